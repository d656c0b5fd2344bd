"""Drive day over real HTTP: gunicorn with 4 sync workers against one database (SQLite and PostgreSQL), many clients
released at once by a barrier, each with a token of its own (SPEC §4.3, §4.5, §4.9, §8.1).

- 200 volunteers reserve the same item, 50 in stock: exactly 50 are held (201) and 150 refused ``out_of_stock``
  (409); a client polling ``GET /drives/{id}/stock`` meanwhile never sees more held than stock, and afterwards the
  endpoint, the rows and the volunteers' accounts agree;
- 20 desks (staff of the pickup center, each their own token) redeem one voucher at once: one ``fulfilled``,
  19 ``already_redeemed``;
- a volunteer with credits for exactly one unit sends 10 reservations at once (10 keys; the item's limit is high, so
  only the credits decide): one held, 9 ``insufficient_credits``;
- one ``Idempotency-Key`` from 10 threads: one reservation, and all 10 answers the same status and bytes
  (``timebank.idempotency.http``: the losers of the race on the key wait for the winner and replay its answer, with
  ``Idempotent-Replayed: true``);
- five desks hand over walk-ups of the last three units at once: three fulfilled, two ``out_of_stock``.

After each the ledger check finds nothing, and at the end of the day ``timebank ledger check`` (the CLI, in a process
of its own, against the same database) exits 0. The people, tokens and drives are made in-process through the
services before each storm (a token per person without a sign-in, as the other gunicorn tests do); one server and
one database per backend serve the whole day, each storm with a drive and an item of its own.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.auth_helpers import make_user, mint_token
from tests.drive_helpers import SYSTEM, balance, collide, open_center, volunteer_with
from tests.live_server import ROOT, gunicorn
from timebank.catalog.services import create_item
from timebank.clock import utcnow
from timebank.db import Database
from timebank.drives.models import Reservation
from timebank.drives.planning import create_drive
from timebank.ledger.check import check_ledger
from timebank.receipts.keys import ensure_signing_key

WORKERS = 4
SECRET = "test"  # the server's TIMEBANK_SECRET_KEY (tests/live_server.py): the in-process seeding signs with it too
CENTER = "JK01"
TIMEBANK = str(Path(sys.executable).with_name("timebank"))


@dataclass
class Live:
    base: str
    url: str
    db: Database
    log: Path
    center: object
    admin: str  # token
    desks: list[str]  # tokens of the center's staff


@pytest.fixture
def live(database_url, tmp_path):
    """The test database with its center, an admin and 20 staff of the center with their tokens, and gunicorn
    serving it with 4 workers."""
    db = Database(database_url, pool_size=20, secret_key=SECRET)
    try:
        ensure_signing_key(db)  # as `timebank init` does
        center = open_center(db, CENTER, "京口区大市口中心")
        admin = mint_token(db, make_user(db, "admin"))
        desks = db.transaction(lambda s: [mint_token(db, make_user(db, "staff", center_id=center.id))
                                          for _ in range(20)])
        log = tmp_path / "gunicorn.log"
        with gunicorn(database_url, log, workers=WORKERS) as base:
            yield Live(base, database_url, db, log, center, admin, desks)
    finally:
        db.dispose()


# ------------------------------------------------------------------------------------------------------- helpers

def open_drive(live: Live, *, price: int, stock: int, limit: int | None) -> tuple[int, str]:
    """A catalog item of its own and an open drive at the center offering ``stock`` of it; (drive id, SKU)."""
    sku = f"DAY-{uuid.uuid4().hex[:8].upper()}"
    create_item(live.db, actor=SYSTEM, sku=sku, name_zh="洗衣粉 2公斤", name_en="Washing powder, 2 kg", unit="袋",
                price=price)
    now = utcnow().replace(microsecond=0)
    drive = create_drive(live.db, actor=SYSTEM, name=f"兑换日 {sku}", centers=[CENTER], now=now,
                         opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7),
                         pickup_until=now + timedelta(days=14),
                         items=[{"sku": sku, "center": CENTER, "stock": stock, "limit_per_volunteer": limit}])
    return drive.id, sku


def volunteers(live: Live, count: int, credits: int) -> list[tuple[int, str]]:
    """``count`` volunteers of the center holding ``credits`` each: (volunteer id, API token). Through the services,
    50 to a transaction (the services' units of work join the open one)."""

    def some(s, size: int) -> list[tuple[int, str]]:
        made = []
        for _ in range(size):
            volunteer = volunteer_with(live.db, live.center, credits)
            person = make_user(live.db, "volunteer", volunteer_id=volunteer.id)
            made.append((volunteer.id, mint_token(live.db, person)))
        return made

    return [made for first in range(0, count, 50)
            for made in live.db.transaction(lambda s, first=first: some(s, min(50, count - first)))]


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    replayed: str | None

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def code(self) -> str | None:
        return self.json["error"]["code"] if self.status >= 400 else None


def send(live: Live, method: str, path: str, token: str, body: dict | None = None,
         key: str | None = None) -> Answer:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(f"{live.base}/api/v1{path}", method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return Answer(response.status, response.read(), response.headers.get("Idempotent-Replayed"))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read(), error.headers.get("Idempotent-Replayed"))


def reserve(live: Live, drive_id: int, sku: str, token: str, key: str | None = None) -> Answer:
    return send(live, "POST", f"/drives/{drive_id}/reservations", token,
                {"center": CENTER, "lines": [{"sku": sku, "quantity": 1}]}, key or uuid.uuid4().hex)


def stock_row(live: Live, drive_id: int) -> dict:
    answer = send(live, "GET", f"/drives/{drive_id}/stock?center={CENTER}", live.admin)
    assert answer.status == 200, answer
    [row] = answer.json["items"]
    return row


def reservations_of(live: Live, drive_id: int) -> list[tuple[int, str]]:
    """(volunteer id, status) of every reservation in the drive, from the rows."""
    R = Reservation.__table__
    return [tuple(row) for row in live.db.transaction(lambda s: s.execute(
        select(R.c.volunteer_id, R.c.status).where(R.c.drive_id == drive_id).order_by(R.c.id)).all(), readonly=True)]


def served_by(live: Live, path: str, since: int) -> set[str]:
    """The gunicorn workers (pids) that answered POSTs to ``path`` in the access log after its line ``since``."""
    lines = live.log.read_text().splitlines()[since:]
    return {line.split()[0] for line in lines if f"POST /api/v1{path}" in line}


def log_length(live: Live) -> int:
    return len(live.log.read_text().splitlines())


# ------------------------------------------------------------------------------------------------------- the day

RICE = 12_50


def two_hundred_volunteers_after_fifty_units_leave_exactly_fifty_held(live: Live) -> None:
    drive_id, sku = open_drive(live, price=RICE, stock=50, limit=2)
    people = volunteers(live, 200, 100_00)
    seen: list[dict] = []
    done = threading.Event()

    def watch() -> None:  # a dashboard refreshing while the storm goes on
        while not done.is_set():
            seen.append(stock_row(live, drive_id))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    since = log_length(live)
    watcher.start()
    try:
        answers = collide([lambda token=token: reserve(live, drive_id, sku, token) for _id, token in people])
    finally:
        done.set()
        watcher.join(30)

    assert Counter((a.status, a.code) for a in answers) == {(201, None): 50, (409, "out_of_stock"): 150}, \
        Counter((a.status, a.code) for a in answers)
    winners = {volunteer_id for (volunteer_id, _token), a in zip(people, answers) if a.status == 201}
    assert all(a.json["status"] == "held" and a.json["voucher"]["code"] for a in answers if a.status == 201)
    assert sorted(reservations_of(live, drive_id)) == sorted((v, "held") for v in winners)
    final = stock_row(live, drive_id)
    assert (final["stock"], final["held"], final["sold"], final["left"]) == (50, 50, 0, 0)
    assert len(seen) >= 2, "the dashboard never read the stock during the storm"
    for row in seen:  # never beyond stock, never negative, and held only grows (every reservation commits once)
        assert 0 <= row["held"] <= row["stock"] == 50 and row["sold"] == 0 and row["left"] == 50 - row["held"], row
    assert [row["held"] for row in seen] == sorted(row["held"] for row in seen)
    held = {volunteer_id: balance(live.db, volunteer_id) for volunteer_id, _token in people}
    assert {v for v, b in held.items() if b.held} == winners
    assert all(b.held == (RICE if v in winners else 0) and b.balance == 100_00 for v, b in held.items())
    workers = served_by(live, f"/drives/{drive_id}/reservations", since)
    assert len(workers) >= 2, f"one worker answered everything; the test proved nothing: {workers}"
    assert check_ledger(live.db) == []


def twenty_desks_scanning_one_voucher_at_once_hand_it_over_once(live: Live) -> None:
    drive_id, sku = open_drive(live, price=RICE, stock=10, limit=2)
    [(volunteer_id, token)] = volunteers(live, 1, 50_00)
    held = reserve(live, drive_id, sku, token)
    assert held.status == 201, held
    voucher = held.json["voucher"]
    # half the desks scan the QR (its URL), half type the short code: the same voucher either way
    texts = [voucher["url"] if n % 2 else voucher["code"] for n in range(len(live.desks))]
    since = log_length(live)

    answers = collide([lambda desk=desk, text=text: send(live, "POST", "/vouchers/redeem", desk, {"text": text},
                                                         uuid.uuid4().hex)
                       for desk, text in zip(live.desks, texts)])

    assert Counter((a.status, a.code) for a in answers) == {(200, None): 1, (409, "already_redeemed"): 19}, \
        [(a.status, a.body[:200]) for a in answers]
    [won] = [a for a in answers if a.status == 200]
    assert (won.json["status"], won.json["reservation"]["status"], won.json["reservation"]["id"]) == \
        ("fulfilled", "fulfilled", held.json["id"])
    assert reservations_of(live, drive_id) == [(volunteer_id, "fulfilled")]
    final = stock_row(live, drive_id)
    assert (final["held"], final["sold"], final["left"]) == (0, 1, 9)
    after = balance(live.db, volunteer_id)
    assert (after.balance, after.held) == (50_00 - RICE, 0)
    assert len(served_by(live, "/vouchers/redeem", since)) >= 2
    assert check_ledger(live.db) == []


def a_volunteer_with_credits_for_one_sending_ten_reservations_at_once_gets_one(live: Live) -> None:
    price = 10_00
    drive_id, sku = open_drive(live, price=price, stock=20, limit=10)  # neither stock nor the limit decides
    [(volunteer_id, token)] = volunteers(live, 1, price + 5_00)
    since = log_length(live)

    answers = collide([lambda: reserve(live, drive_id, sku, token) for _ in range(10)])

    assert Counter((a.status, a.code) for a in answers) == {(201, None): 1, (409, "insufficient_credits"): 9}, \
        [(a.status, a.body[:200]) for a in answers]
    assert reservations_of(live, drive_id) == [(volunteer_id, "held")]
    after = balance(live.db, volunteer_id)
    assert (after.balance, after.held, after.available) == (price + 5_00, price, 5_00)
    final = stock_row(live, drive_id)
    assert (final["held"], final["left"]) == (1, 19)
    assert len(served_by(live, f"/drives/{drive_id}/reservations", since)) >= 2
    assert check_ledger(live.db) == []


def one_key_from_ten_threads_makes_one_reservation_and_ten_equal_answers(live: Live) -> None:
    drive_id, sku = open_drive(live, price=RICE, stock=20, limit=10)
    [(volunteer_id, token)] = volunteers(live, 1, 100_00)
    key = f"phone-retry-{uuid.uuid4().hex}"
    since = log_length(live)

    answers = collide([lambda: reserve(live, drive_id, sku, token, key) for _ in range(10)])

    assert {(a.status, a.body) for a in answers} == {(201, answers[0].body)}, \
        [(a.status, a.body[:200]) for a in answers]
    assert answers[0].json["status"] == "held"
    assert sorted(a.replayed or "" for a in answers) == [""] + ["true"] * 9  # one ran the view, nine replayed it
    assert reservations_of(live, drive_id) == [(volunteer_id, "held")]
    assert balance(live.db, volunteer_id).held == RICE
    assert stock_row(live, drive_id)["held"] == 1
    count = live.db.transaction(lambda s: s.scalar(select(func.count()).select_from(Reservation.__table__).where(
        Reservation.__table__.c.volunteer_id == volunteer_id)), readonly=True)
    assert count == 1
    assert len(served_by(live, f"/drives/{drive_id}/reservations", since)) >= 2
    assert check_ledger(live.db) == []


def walk_ups_at_five_desks_for_the_last_three_units_hand_over_three(live: Live) -> None:
    drive_id, sku = open_drive(live, price=RICE, stock=3, limit=2)
    people = volunteers(live, 5, 50_00)

    answers = collide([lambda desk=desk, volunteer_id=volunteer_id: send(
        live, "POST", f"/drives/{drive_id}/walk-ups", desk,
        {"volunteer_id": volunteer_id, "center": CENTER, "lines": [{"sku": sku, "quantity": 1}]}, uuid.uuid4().hex)
        for desk, (volunteer_id, _token) in zip(live.desks, people)])

    assert Counter((a.status, a.code) for a in answers) == {(201, None): 3, (409, "out_of_stock"): 2}, \
        [(a.status, a.body[:200]) for a in answers]
    assert all(a.json["status"] == "fulfilled" for a in answers if a.status == 201)
    final = stock_row(live, drive_id)
    assert (final["held"], final["sold"], final["left"]) == (0, 3, 0)
    assert check_ledger(live.db) == []


def test_a_drive_day_over_http_against_gunicorn(live):
    """The storms one after the other on one server and database (one test per database, so that under
    pytest-xdist each starts one gunicorn), then the ledger check command on the whole day."""
    two_hundred_volunteers_after_fifty_units_leave_exactly_fifty_held(live)
    twenty_desks_scanning_one_voucher_at_once_hand_it_over_once(live)
    a_volunteer_with_credits_for_one_sending_ten_reservations_at_once_gets_one(live)
    one_key_from_ten_threads_makes_one_reservation_and_ten_equal_answers(live)
    walk_ups_at_five_desks_for_the_last_three_units_hand_over_three(live)

    assert live.db.transaction(lambda s: s.scalar(select(func.count()).select_from(Reservation.__table__)),
                               readonly=True) == 50 + 1 + 1 + 1 + 3
    environment = {**os.environ, "TIMEBANK_DATABASE_URL": live.url, "TIMEBANK_SECRET_KEY": SECRET}
    done = subprocess.run([TIMEBANK, "ledger", "check"], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, f"timebank ledger check:\n{done.stdout}\n{done.stderr}"
    assert "every invariant holds" in done.stdout
