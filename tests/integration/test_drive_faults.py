"""Fault injection on the drive's two money-and-stock requests, over the app's HTTP stack on both databases: a
reservation (``POST /drives/{id}/reservations``, two lines) and a redemption (``POST /vouchers/redeem``) fail at each
of their SQL statements in turn, and at the commit.

As in test_ledger_faults.py, a ``before_cursor_execute`` hook on the engine first counts the statements of an
undisturbed request, then raises at the Nth one for every N (and a ``commit`` hook fails the commit itself). What is
counted is everything the request runs through SQLAlchemy: the idempotency key's claim and answer, the volunteer's
lock, the stock, the ledger's hold or posting, the voucher, the audit row, the answer's reads. (The bearer token is
looked up before the unit of work opens, by one autocommit read on a raw connection that the hook does not see; a
failure there cannot leave anything behind.)

After each failure every table but the sign-in ones is exactly as before (stock, held, accounts, transfers, lots,
receipts and their revocations, reservations and their lines, idempotency keys, audit) and the ledger check is clean;
then the same request under the same ``Idempotency-Key`` goes through once, as an undisturbed one does (the same
statements, the same rows added), and a third send replays it.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

from tests.auth_helpers import bearer, make_app, make_user, mint_token
from tests.drive_helpers import OIL, RICE, make_city, volunteer_with
from tests.integration.test_ledger_faults import AT_COMMIT, InjectedFault, faults
from timebank.db import get_db
from timebank.drives.models import Reservation
from timebank.ledger.check import check_ledger
from timebank.receipts.keys import ensure_signing_key
from timebank.receipts.models import Receipt, ReceiptRevocation

SIGN_IN_TABLES = {"api_token", "app_user", "user_session", "sign_in_failure"}  # made per scenario, before the call
TABLES = [t for t in SQLModel.metadata.sorted_tables if t.name not in SIGN_IN_TABLES]
LINES = [{"sku": "RICE-5KG", "quantity": 2}, {"sku": "OIL-5L", "quantity": 1}]
TOTAL = 2 * RICE + OIL


@pytest.fixture
def site(database_url):
    """The app on the test database, a city with an open drive (plenty of stock, no limit), a desk at JK01."""
    app = make_app(database_url)
    db = get_db(app)
    ensure_signing_key(db)  # as `timebank init` does (so no request below is the one that creates it)
    city = make_city(db, rice_stock=10_000, oil_stock=10_000, rice_limit=None)
    desk = mint_token(db, make_user(db, "staff", center_id=city.jk.id))
    yield app, db, city, desk
    db.dispose()


def snapshot(db) -> dict[str, list[tuple]]:
    def read(s):
        return {table.name: sorted((tuple(row) for row in s.execute(select(table))), key=repr) for table in TABLES}

    return db.transaction(read, readonly=True)


def rows_added(before: dict, after: dict) -> dict[str, int]:
    return {name: len(after[name]) - len(before[name]) for name in before if len(after[name]) != len(before[name])}


@dataclass
class Call:
    """One request under test, ready to send (and send again) under its key; ``volunteer_id`` is whose it is."""

    send: Callable[[], object]
    volunteer_id: int
    ok: int


def new_volunteer(db, city) -> tuple[int, str]:
    def work(s):
        volunteer = volunteer_with(db, city.jk, 200_00)
        return volunteer.id, mint_token(db, make_user(db, "volunteer", volunteer_id=volunteer.id))

    return db.transaction(work)


def reservation_call(app, db, city, _desk) -> Call:
    volunteer_id, token = new_volunteer(db, city)
    client, headers = app.test_client(), {**bearer(token), "Idempotency-Key": f"reserve-{uuid.uuid4().hex}"}
    return Call(lambda: client.post(f"/api/v1/drives/{city.drive.id}/reservations", headers=headers,
                                    json={"center": "JK01", "lines": LINES}), volunteer_id, 201)


def redemption_call(app, db, city, desk) -> Call:
    volunteer_id, token = new_volunteer(db, city)
    client = app.test_client()
    held = client.post(f"/api/v1/drives/{city.drive.id}/reservations",
                       headers={**bearer(token), "Idempotency-Key": uuid.uuid4().hex},
                       json={"center": "JK01", "lines": LINES})
    assert held.status_code == 201, held.get_json()
    text = held.get_json()["voucher"]["url"]  # what the scanner read
    headers = {**bearer(desk), "Idempotency-Key": f"redeem-{uuid.uuid4().hex}"}
    return Call(lambda: client.post("/api/v1/vouchers/redeem", headers=headers, json={"text": text}),
                volunteer_id, 200)


def effect_of(db, volunteer_id: int) -> list[tuple]:
    """The volunteer's reservations (status, total) and, per voucher, its revocation (or None)."""
    R, RC, RV = Reservation.__table__, Receipt.__table__, ReceiptRevocation.__table__
    query = (select(R.c.status, R.c.total, RV.c.status)
             .join(RC, (RC.c.kind == "voucher") & (RC.c.reference == R.c.id))
             .outerjoin(RV, RV.c.receipt_id == RC.c.id)
             .where(R.c.volunteer_id == volunteer_id).order_by(R.c.id))
    return [tuple(row) for row in db.transaction(lambda s: s.execute(query).all(), readonly=True)]


EXPECTED = {
    reservation_call: [("held", TOTAL, None)],
    redemption_call: [("fulfilled", TOTAL, "redeemed")],
}


@pytest.mark.parametrize("scenario", [reservation_call, redemption_call], ids=lambda f: f.__name__)
def test_a_drive_request_interrupted_at_any_statement_leaves_no_trace_and_its_retry_goes_through_once(site,
                                                                                                       scenario):
    app, db, city, desk = site
    warm_up = scenario(app, db, city, desk).send()  # a worker that has served one: its caches (the voucher's
    assert warm_up.status_code in (200, 201), warm_up.get_json()  # verifying key) are full, as in every run below
    call = scenario(app, db, city, desk)
    before = snapshot(db)
    with faults(db) as counted:
        undisturbed = call.send()
    assert undisturbed.status_code == call.ok, undisturbed.get_json()
    assert "Idempotent-Replayed" not in undisturbed.headers
    expected_rows = rows_added(before, snapshot(db))
    statements = counted.statements
    assert effect_of(db, call.volunteer_id) == EXPECTED[scenario]
    assert statements >= 15, statements  # the hook saw the request's statements
    assert {"idempotency_key", "audit_entry", "transfer"} <= set(expected_rows), expected_rows

    for fail_at in [*range(1, statements + 1), AT_COMMIT]:
        call = scenario(app, db, city, desk)
        before = snapshot(db)
        effect = effect_of(db, call.volunteer_id)

        with faults(db, fail_at) as hooks, pytest.raises(InjectedFault):
            call.send()

        assert hooks.fired
        assert snapshot(db) == before, f"{scenario.__name__} left a partial effect when failing at {fail_at}"
        assert effect_of(db, call.volunteer_id) == effect
        assert check_ledger(db) == [], f"{scenario.__name__} failing at {fail_at}"

        with faults(db) as retried:
            answer = call.send()
        assert answer.status_code == call.ok, (fail_at, answer.get_json())
        assert "Idempotent-Replayed" not in answer.headers, f"the failure at {fail_at} stored an answer"
        assert retried.statements == statements, fail_at
        assert rows_added(before, snapshot(db)) == expected_rows, fail_at
        assert effect_of(db, call.volunteer_id) == EXPECTED[scenario], fail_at

        again = call.send()  # the key now answers what it did, and does nothing more
        assert (again.status_code, again.get_data(), again.headers.get("Idempotent-Replayed")) == \
            (call.ok, answer.get_data(), "true")
        assert effect_of(db, call.volunteer_id) == EXPECTED[scenario], fail_at

    assert check_ledger(db) == []
    held, sold = db.transaction(lambda s: s.execute(select(
        func.sum(Reservation.__table__.c.total).filter(Reservation.__table__.c.status == "held"),
        func.sum(Reservation.__table__.c.total).filter(Reservation.__table__.c.status == "fulfilled"))).one(),
        readonly=True)
    runs = statements + 3  # the warm-up, the undisturbed one, and one retry per failure point and the commit
    if scenario is reservation_call:
        assert (held, sold) == (runs * TOTAL, None)
    else:
        assert (held, sold) == (None, runs * TOTAL)
