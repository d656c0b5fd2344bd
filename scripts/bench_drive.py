#!/usr/bin/env python
"""A drive day over HTTP against gunicorn, beside the same transactions replayed as raw SQL (issue 9).

For each backend (SQLite, PostgreSQL) it builds a throwaway database (``timebank init``) and seeds it in-process
through the services: ``--centers`` centers, a catalog of two items (rice and oil) and an open drive offering both at
every center (stock for the whole run, no limit per volunteer), ``--volunteers`` volunteers spread over the centers,
each with credits minted once (one lot) and an API token, and at each center as many desk staff (with tokens) as the
most clients. Then, at each number of concurrent clients (``--clients``, default 8 and 32):

- **reservations over HTTP**: every volunteer reserves once, one rice and one oil at their own center,
  ``POST /api/v1/drives/{id}/reservations`` with their token and a fresh ``Idempotency-Key``, from a queue the
  clients share (each client its own keep-alive connection, Python threads), until the queue is empty or
  ``--seconds`` have passed; every answer must be a 201 or the bench stops;
- **reservations as raw SQL**: the same, with the statements one reservation runs (captured from an in-process
  request: see ``sql_replay.py``) replayed through the driver by as many threads, each on its own connection, with
  the parameters of each volunteer and in the same transaction boundaries (the token's autocommit lookup, then the
  one unit of work);
- **redemptions over HTTP**: each client is a desk of one center (client i at center i mod centers) and redeems that
  center's vouchers made over HTTP, ``POST /api/v1/vouchers/redeem {text}`` with what a scanner reads (the QR's URL);
- **redemptions as raw SQL**: the captured statements of one redemption, for the reservations the raw replay made.

It prints, per backend and number of clients, reservations and redemptions per second with p50/p95/p99 latency for
both paths and the ratio of the two, the number of statements each request runs, and at the end whether
``timebank ledger check`` finds the whole database sound (the raw replays included: a replay that wrote anything
else than the app would have shows up there). Progress goes to stderr, the report (Markdown) to stdout.

Usage: .venv/bin/python scripts/bench_drive.py [--volunteers 2000] [--clients 8,32] [--seconds 60] [--workers 4]
       [--centers 4] [--backends sqlite,postgresql]
PostgreSQL: throwaway databases on the server named by TIMEBANK_TEST_PG (default
postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end; SQLite: files in a temporary directory.
"""
from __future__ import annotations

import argparse
import json
import platform
import random
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sql_replay
from benchlib import (
    PASSWORD,
    SECRET_KEY,
    Refused,
    Result,
    backend_label,
    gunicorn,
    log,
    machine_load,
    run_clients,
    throwaway_database,
    timebank,
)

CENTERS = [("DRV01", "京口区大市口养老服务中心", "京口区"), ("DRV02", "润州区宝塔路养老服务中心", "润州区"),
           ("DRV03", "丹徒区高资养老服务中心", "丹徒区"), ("DRV04", "京口区四牌楼养老服务中心", "京口区"),
           ("DRV05", "润州区金山养老服务中心", "润州区"), ("DRV06", "丹徒区辛丰养老服务中心", "丹徒区"),
           ("DRV07", "京口区正东路养老服务中心", "京口区"), ("DRV08", "润州区和平路养老服务中心", "润州区")]
ITEMS = [("RICE-5KG", "大米 5公斤", "Rice, 5 kg", "袋", 12_50), ("OIL-5L", "食用油 5升", "Cooking oil, 5 l", "桶", 30_00)]
LINES = [{"sku": sku, "quantity": 1} for sku, *_ in ITEMS]
TOTAL = sum(price for *_, price in ITEMS)
# A voucher's receipt names its reservation in ``reference`` (its id grows in step with the reservations' ids).
ALIASES = {"receipt_reference": "reservation_id", "reservation_id": "reservation_id"}
SPARE_PER_CENTER = 2  # volunteers for the warm-up and the captures, outside the timed queues


@dataclass(frozen=True)
class Person:
    """A volunteer or a desk: what a client sends as, and the roles the raw replay fills in."""
    user_id: int
    username: str
    token: str
    token_hash: str
    center: int  # index into World.centers
    volunteer_id: int | None = None
    account_id: int | None = None
    lot_id: int | None = None


@dataclass(frozen=True)
class Center:
    code: str
    id: int
    sink_account_id: int


@dataclass
class World:
    app: object
    db: object
    drive_id: int
    centers: list[Center]
    volunteers: list[Person]
    spare: list[Person]
    desks: dict[int, list[Person]]  # center index -> desks
    plans: dict[str, sql_replay.Plan] = field(default_factory=dict)

    def __post_init__(self):
        self.by_volunteer = {p.volunteer_id: p for p in (*self.volunteers, *self.spare)}

    def desk_of(self, client: int) -> Person:
        """Client i is a desk of center i mod centers (its own staff user there)."""
        center = client % len(self.centers)
        return self.desks[center][client // len(self.centers)]


# ------------------------------------------------------------------------------------------------ seeding

def seed(url: str, volunteers: int, centers: int, desks_per_center: int, reservations_each: int) -> World:
    """Everything through the services, in this process, before gunicorn starts; 100 volunteers to a transaction
    (the services' units of work join the open one)."""
    from argon2 import PasswordHasher

    from timebank import create_app
    from timebank.auth import passwords
    from timebank.auth.access import Principal
    from timebank.auth.principals import secret_hash
    from timebank.auth.services import issue_token
    from timebank.catalog.services import create_item
    from timebank.centers.services import create_center
    from timebank.db import get_db
    from timebank.demo import GIVEN_NAMES, SURNAMES
    from timebank.drives.planning import create_drive
    from timebank.ledger import standalone
    from timebank.ledger.accounts import redemption_sink_for
    from timebank.ledger.postings import Cause
    from timebank.users.services import create_user
    from timebank.volunteers.services import create_volunteer

    # Only the users made here, whose tokens are minted here: no request of the bench signs in with a password.
    passwords.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY})
    actor = Principal.system("bench")
    now = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        db = get_db()
        made_centers = []
        for code, name, district in CENTERS[:centers]:
            center = create_center(db, actor=actor, code=code, name=name, district=district)
            sink = db.transaction(lambda s, center=center: redemption_sink_for(s, center.id))
            made_centers.append((center, Center(code, center.id, sink)))
        for sku, name_zh, name_en, unit, price in ITEMS:
            create_item(db, actor=actor, sku=sku, name_zh=name_zh, name_en=name_en, unit=unit, price=price)
        per_center = -(-(volunteers + SPARE_PER_CENTER * centers) // centers)
        stock = per_center * reservations_each + 10
        drive = create_drive(db, actor=actor, name="2026 年第四季度兑换活动（压测）", now=now,
                             centers=[c.code for _, c in made_centers], opens_at=now - timedelta(hours=1),
                             closes_at=now + timedelta(days=7), pickup_until=now + timedelta(days=14),
                             items=[{"sku": sku, "center": c.code, "stock": stock, "limit_per_volunteer": None}
                                    for sku, *_ in ITEMS for _, c in made_centers])
        expires = now + timedelta(days=730)

        def login(username: str, index: int, **profile) -> Person:
            user = create_user(db, actor=actor, username=username, password=PASSWORD, **profile)
            token, _ = issue_token(db, username=username, password=PASSWORD, address="127.0.0.1")
            return Person(user.id, username, token, secret_hash(token), index,
                          profile.get("volunteer_id"))

        def volunteer(n: int) -> Person:
            index = n % centers
            center, _ = made_centers[index]
            made = create_volunteer(db, actor=actor, name=SURNAMES[n % len(SURNAMES)] + GIVEN_NAMES[n % 7],
                                    phone=f"139{n:08d}", home_center=center.code)
            lot = standalone.mint(db, account_id=made.account_id, issuer_account_id=center.issuance_account_id,
                                  amount=TOTAL * reservations_each, expires_at=expires, key=f"bench-mint:{made.id}",
                                  cause=Cause("job:bench", "bench", "seed"))
            person = login(f"bench-volunteer-{made.id}", index, role="volunteer", volunteer_id=made.id)
            return Person(person.user_id, person.username, person.token, person.token_hash, index, made.id,
                          made.account_id, lot.lot_id)

        people: list[Person] = []
        total = volunteers + SPARE_PER_CENTER * centers
        started = time.perf_counter()
        for first in range(0, total, 100):
            people += db.transaction(lambda s, first=first: [volunteer(n) for n in range(first, min(total,
                                                                                                  first + 100))])
        desks = {index: db.transaction(lambda s, index=index, center=center: [
            login(f"bench-desk-{center.code}-{n}", index, role="staff", center=center.code)
            for n in range(desks_per_center)]) for index, (center, _) in enumerate(made_centers)}
        log(f"  seeded {total:,} volunteers and {desks_per_center * centers} desks in "
            f"{time.perf_counter() - started:.1f} s")
    spare = people[:SPARE_PER_CENTER * centers]
    return World(app, db, drive.id, [c for _, c in made_centers], people[SPARE_PER_CENTER * centers:], spare, desks)


# ------------------------------------------------------------------------------------------------ contexts and plans

def reserve_context(world: World, person: Person) -> dict:
    center = world.centers[person.center]
    return {"volunteer_id": person.volunteer_id, "account_id": person.account_id, "lot_id": person.lot_id,
            "user_id": person.user_id, "username": person.username, "caller": f"user:{person.user_id}",
            "token_hash": person.token_hash, "center_id": center.id, "center_code": center.code,
            "sink_account_id": center.sink_account_id}


def redeem_contexts(world: World, reservation_ids: list[int]) -> dict[int, dict]:
    """What a desk's redemption of each reservation needs (read after the reservations were made, untimed)."""
    from sqlalchemy import select

    from timebank.drives.models import Reservation
    from timebank.receipts.models import Receipt

    R, RC = Reservation.__table__, Receipt.__table__
    found = {}
    for first in range(0, len(reservation_ids), 500):
        chunk = reservation_ids[first:first + 500]
        rows = world.db.transaction(lambda s, chunk=chunk: s.execute(
            select(R.c.id, R.c.hold_transfer_id, R.c.volunteer_id, R.c.center_id, RC.c.id.label("receipt_id"),
                   RC.c.single_use_id, RC.c.token)
            .join(RC, (RC.c.kind == "voucher") & (RC.c.reference == R.c.id)).where(R.c.id.in_(chunk))).all(),
            readonly=True)
        for row in rows:
            found[row.id] = {"reservation_id": row.id, "hold_transfer_id": row.hold_transfer_id,
                             "receipt_id": row.receipt_id, "single_use_id": bytes(row.single_use_id),
                             "volunteer_id": row.volunteer_id, "center_id": row.center_id, "token": row.token}
    return found


def with_desk(world: World, context: dict, desk: Person) -> dict:
    center = world.centers[desk.center]
    volunteer = world.by_volunteer[context["volunteer_id"]]
    return {**context, "account_id": volunteer.account_id, "lot_id": volunteer.lot_id, "user_id": desk.user_id,
            "username": desk.username, "caller": f"user:{desk.user_id}", "token_hash": desk.token_hash,
            "center_code": center.code, "sink_account_id": center.sink_account_id}


def learn_plans(world: World, dialect: str) -> None:
    """Warm up (one reservation and one redemption at every center, through the in-process app, so that no
    captured request is the first of its kind), then capture a reservation and a redemption twice, for two
    volunteers at two centers and two desks, and learn the replay plans from each pair."""
    client = world.app.test_client()

    def reserve(person: Person):
        answer = client.post(f"/api/v1/drives/{world.drive_id}/reservations", json={
            "center": world.centers[person.center].code, "lines": LINES},
            headers={"Authorization": f"Bearer {person.token}", "Idempotency-Key": uuid.uuid4().hex})
        if answer.status_code != 201:
            raise Refused(f"an in-process reservation: {answer.status_code} {answer.get_json()}")
        return answer.get_json()

    def redeem(desk: Person, text: str):
        answer = client.post("/api/v1/vouchers/redeem", json={"text": text},
                             headers={"Authorization": f"Bearer {desk.token}", "Idempotency-Key": uuid.uuid4().hex})
        if answer.status_code != 200:
            raise Refused(f"an in-process redemption: {answer.status_code} {answer.get_json()}")

    warm, first, second = world.spare[:len(world.centers)], world.spare[-2], world.spare[-1]
    for person in warm:
        redeem(world.desks[person.center][0], reserve(person)["voucher"]["url"])
    assert first.center != second.center
    captures, held = [], []
    for person in (first, second):
        answer = {}
        captures.append(sql_replay.capture(world.db, lambda person=person, answer=answer: answer.update(
            reserve(person)), reserve_context(world, person)))
        held.append(answer)
    world.plans["reserve"] = sql_replay.Plan.learn(*captures, dialect, ALIASES)
    contexts = redeem_contexts(world, [answer["id"] for answer in held])
    captures = []
    for person, answer in zip((first, second), held):
        desk = world.desks[person.center][-1]
        context = with_desk(world, contexts[answer["id"]], desk)
        captures.append(sql_replay.capture(world.db, lambda desk=desk, answer=answer: redeem(
            desk, answer["voucher"]["url"]), context))
    world.plans["redeem"] = sql_replay.Plan.learn(*captures, dialect, ALIASES)


# ------------------------------------------------------------------------------------------------ what is timed

def http_reservations(base: str, world: World, clients: int, seconds: float,
                      rate: float | None = None) -> tuple[Result, list[dict]]:
    queue = deque(world.volunteers)
    sent: dict[int, Person] = {}
    made: list[dict] = []

    def next_request(client: int, _n: int):
        try:
            person = queue.popleft()
        except IndexError:
            return None
        sent[client] = person
        return ("POST", f"/api/v1/drives/{world.drive_id}/reservations",
                {"Authorization": f"Bearer {person.token}", "Idempotency-Key": uuid.uuid4().hex},
                {"center": world.centers[person.center].code, "lines": LINES})

    def on_answer(client: int, _status: int, body: bytes) -> None:
        answer = json.loads(body)
        made.append({"id": answer["id"], "center": sent[client].center, "text": answer["voucher"]["url"]})

    result = run_clients(base, clients, seconds, next_request, ok=(201,), on_answer=on_answer, rate=rate)
    return result, made


def http_redemptions(base: str, world: World, clients: int, seconds: float, made: list[dict]) -> Result:
    queues = {index: deque(m["text"] for m in made if m["center"] == index) for index in range(len(world.centers))}

    def next_request(client: int, _n: int):
        try:
            text = queues[client % len(world.centers)].popleft()
        except IndexError:
            return None
        desk = world.desk_of(client)
        return ("POST", "/api/v1/vouchers/redeem",
                {"Authorization": f"Bearer {desk.token}", "Idempotency-Key": uuid.uuid4().hex}, {"text": text})

    return run_clients(base, clients, seconds, next_request, ok=(200,))


def replay(url: str, plan: sql_replay.Plan, clients: int, seconds: float, queues: dict[int, deque],
           queue_of: Callable[[int], int], context_of: Callable[[int, dict], dict]) -> tuple[Result, list[dict]]:
    """``clients`` threads, each on its own driver connection, replaying ``plan`` for what they take from their
    queue (``queues[queue_of(client)]``, shared with the other clients of that queue), with the context
    ``context_of(client, taken)``, until the queues are empty or ``seconds`` have passed."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    produced: list[dict] = []
    failures: list[str] = []
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]
    finished = [0.0] * clients

    def client(index: int) -> None:
        connection = sql_replay.connect(url)
        queue = queues[queue_of(index)]
        start.wait()
        try:
            while time.perf_counter() < stop_at[0] and not failures:
                try:
                    context = context_of(index, queue.popleft())
                except IndexError:
                    break
                began = time.perf_counter()
                new = plan.run(connection, context)
                latencies[index].append(time.perf_counter() - began)
                produced.append(new)
        except Exception as error:  # noqa: BLE001 - reported, and the bench stops
            failures.append(f"{type(error).__name__}: {error}")
        finally:
            finished[index] = time.perf_counter()
            connection.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join(seconds + 60)
    if failures:
        raise Refused(f"the raw replay failed: {failures[:3]}")
    return Result.of([x for one in latencies for x in one], max(finished) - began), produced


def raw_reservations(url: str, world: World, clients: int, seconds: float) -> tuple[Result, list[int]]:
    queues = {0: deque(reserve_context(world, person) for person in world.volunteers)}
    result, produced = replay(url, world.plans["reserve"], clients, seconds, queues, lambda _client: 0,
                              lambda _client, context: context)
    return result, [new["new:reservation#0"] for new in produced]


def raw_redemptions(url: str, world: World, clients: int, seconds: float, reservation_ids: list[int]) -> Result:
    """As over HTTP: client i is a desk of center i mod centers, taking that center's vouchers from a queue."""
    index_of = {center.id: index for index, center in enumerate(world.centers)}
    queues = {index: deque() for index in range(len(world.centers))}
    for context in redeem_contexts(world, reservation_ids).values():
        queues[index_of[context["center_id"]]].append(context)
    return replay(url, world.plans["redeem"], clients, seconds, queues, lambda client: client % len(world.centers),
                  lambda client, context: with_desk(world, context, world.desk_of(client)))[0]


# ------------------------------------------------------------------------------------------------ the report

@dataclass
class Paced:
    backend: str
    clients: int
    rate: float
    result: Result


@dataclass(frozen=True)
class Row:
    backend: str
    clients: int
    reserve_http: Result
    reserve_raw: Result
    redeem_http: Result
    redeem_raw: Result


def measure(backend: str, args, rows: list[Row], paced: list[Paced], notes: dict) -> None:
    with throwaway_database(backend, "bench_drive") as url, tempfile.TemporaryDirectory() as folder:
        log(f"{backend}: migrating a fresh database, seeding in-process")
        timebank(url, "init")
        cells = len(args.clients)
        world = seed(url, args.volunteers, args.centers, max(args.clients),
                     reservations_each=2 * cells + len(args.paced) + 2)
        try:
            learn_plans(world, "sqlite" if backend == "sqlite" else "postgresql")
            plans = world.plans
            if args.show_plans:
                for name, plan in plans.items():
                    log(f"{backend}: the plan of one {name}:\n{plan.describe()}")
            notes[backend] = {"statements": {name: (plan.statements, plan.autocommit_statements)
                                             for name, plan in plans.items()}}
            with gunicorn(url, args.workers, Path(folder) / "gunicorn.log") as base:
                for n in args.clients:
                    random.shuffle(world.volunteers)
                    reserve_http, made = http_reservations(base, world, n, args.seconds)
                    log(f"{backend} {n:>3} clients: {reserve_http.requests:,} reservations over HTTP, "
                        f"{reserve_http.requests_per_second:,.1f}/s, p99 {reserve_http.p99_ms:.0f} ms")
                    reserve_raw, raw_made = raw_reservations(url, world, n, args.seconds)
                    log(f"{backend} {n:>3} clients: {reserve_raw.requests:,} reservations as raw SQL, "
                        f"{reserve_raw.requests_per_second:,.1f}/s, p99 {reserve_raw.p99_ms:.0f} ms")
                    redeem_http = http_redemptions(base, world, n, args.seconds, made)
                    log(f"{backend} {n:>3} clients: {redeem_http.requests:,} redemptions over HTTP, "
                        f"{redeem_http.requests_per_second:,.1f}/s, p99 {redeem_http.p99_ms:.0f} ms")
                    redeem_raw = raw_redemptions(url, world, n, args.seconds, raw_made)
                    log(f"{backend} {n:>3} clients: {redeem_raw.requests:,} redemptions as raw SQL, "
                        f"{redeem_raw.requests_per_second:,.1f}/s, p99 {redeem_raw.p99_ms:.0f} ms "
                        f"({machine_load()})")
                    rows.append(Row(backend, n, reserve_http, reserve_raw, redeem_http, redeem_raw))
                for rate in args.paced:
                    random.shuffle(world.volunteers)
                    result, _ = http_reservations(base, world, max(args.clients), args.paced_seconds, rate=rate)
                    log(f"{backend} {max(args.clients):>3} clients paced at {rate:g}/s: {result.requests:,} "
                        f"reservations over HTTP, {result.requests_per_second:,.1f}/s, p99 {result.p99_ms:.0f} ms "
                        f"({machine_load()})")
                    paced.append(Paced(backend, max(args.clients), rate, result))
            notes[backend]["retries"] = {name: plan.retries for name, plan in plans.items()}
            try:
                notes[backend]["check"] = timebank(url, "ledger", "check").strip().splitlines()[-1]
            except SystemExit as failed:
                log(str(failed))
                notes[backend]["check"] = "FAILED (the violations are on stderr)"
        finally:
            world.db.dispose()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volunteers", type=int, default=2000, help="volunteers in the queue (default 2000)")
    parser.add_argument("--clients", default="8,32", help="concurrent clients, comma-separated (default 8,32)")
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="at most this long per cell, even with volunteers left (default 60)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--centers", type=int, default=4, help=f"centers, 2 to {len(CENTERS)} (default 4)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--paced", default="20,50",
                        help="then reservations arriving at these paces (a second, comma-separated; the most "
                             "clients free to take them; latency from when each was due), default 20,50; "
                             "'' for none")
    parser.add_argument("--paced-seconds", type=float, default=30.0, help="how long each paced cell runs (30)")
    parser.add_argument("--show-plans", action="store_true",
                        help="print the replay plans (what fills each parameter) to stderr")
    args = parser.parse_args(argv)
    try:
        args.clients = [int(n) for n in args.clients.split(",")]
    except ValueError:
        parser.error("--clients takes whole numbers separated by commas, e.g. 8,32")
    try:
        args.paced = [float(n) for n in args.paced.split(",") if n.strip()]
    except ValueError:
        parser.error("--paced takes numbers separated by commas, e.g. 20,50")
    if any(rate <= 0 for rate in args.paced) or args.paced_seconds <= 0:
        parser.error("--paced and --paced-seconds positive")
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if any(b not in ("sqlite", "postgresql") for b in args.backends):
        parser.error("--backends: sqlite, postgresql")
    if min(args.clients) < 1 or args.seconds <= 0 or args.workers < 1 or args.volunteers < 10 \
            or not 2 <= args.centers <= len(CENTERS):
        parser.error(f"--clients, --seconds, --workers positive; --volunteers at least 10; --centers 2 to "
                     f"{len(CENTERS)}")
    return args


def latency(result: Result) -> str:
    return f"{result.p50_ms:.0f} / {result.p95_ms:.0f} / {result.p99_ms:.0f} ms"


def ratio(http: Result, raw: Result) -> str:
    return f"{http.requests_per_second / raw.requests_per_second:.0%}" if raw.requests_per_second else "n/a"


def main(argv=None) -> None:
    args = parse_args(argv)
    load_at_start = machine_load()
    rows: list[Row] = []
    paced: list[Paced] = []
    notes: dict = {}
    for backend in args.backends:
        measure(backend, args, rows, paced, notes)

    print(f"\nDrive-day benchmark: gunicorn {args.workers} sync workers, {args.volunteers:,} volunteers at "
          f"{args.centers} centers, each reservation two lines (rice and oil) at the volunteer's center, each "
          f"redemption by a desk of that center; Python client threads, at most {args.seconds:g} s per cell; "
          f"Python {platform.python_version()}; the machine was shared with other work: {load_at_start} at the "
          f"start, {machine_load()} at the end\n")
    for what, http_of, raw_of in (("reservations", lambda r: r.reserve_http, lambda r: r.reserve_raw),
                                  ("redemptions", lambda r: r.redeem_http, lambda r: r.redeem_raw)):
        print(f"| backend | clients | {what}/s (HTTP) | p50 / p95 / p99 | raw SQL/s | p50 / p95 / p99 | HTTP/raw |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for row in rows:
            http, raw = http_of(row), raw_of(row)
            print(f"| {backend_label(row.backend)} | {row.clients} | {http.requests_per_second:,.1f} "
                  f"({http.requests:,}) | {latency(http)} | {raw.requests_per_second:,.1f} ({raw.requests:,}) | "
                  f"{latency(raw)} | {ratio(http, raw)} |")
        print()
    if paced:
        print("Reservations arriving at a steady pace (open loop), over HTTP; latency from when each was due:\n")
        print("| backend | clients free | paced at | made/s | p50 / p95 / p99 |")
        print("|---|---:|---:|---:|---:|")
        for cell in paced:
            print(f"| {backend_label(cell.backend)} | {cell.clients} | {cell.rate:g}/s | "
                  f"{cell.result.requests_per_second:,.1f} ({cell.result.requests:,}) | {latency(cell.result)} |")
        print()
    for backend in args.backends:
        note = notes.get(backend, {})
        statements = note.get("statements", {})
        described = "; ".join(f"a {'reservation' if name == 'reserve' else 'redemption'} runs {count} statements "
                              f"({auto} of them in autocommit before its unit of work)"
                              for name, (count, auto) in statements.items())
        print(f"- {backend_label(backend)}: {described}; raw-replay retries {note.get('retries', {})}; "
              f"`timebank ledger check` afterwards: {note.get('check', 'not run')}")
    aim = [row for row in rows if row.backend == "postgresql" and row.clients == 32]
    if aim:
        row = aim[0]
        share = row.reserve_http.requests_per_second / row.reserve_raw.requests_per_second \
            if row.reserve_raw.requests_per_second else 0.0
        met = share >= 0.30 and row.reserve_http.p99_ms < 150
        print(f"- The aim (issue 9: on PostgreSQL at 32 clients, reservations over HTTP at least 30% of the raw-SQL "
              f"rate, p99 under 150 ms): {share:.0%} of the raw rate, p99 {row.reserve_http.p99_ms:.0f} ms — "
              f"{'met' if met else 'NOT met'}.")


if __name__ == "__main__":
    main()
