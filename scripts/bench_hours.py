#!/usr/bin/env python
"""What does turning service into credits cost over HTTP, against the ledger's own mint?

For each backend (SQLite, PostgreSQL) it builds a throwaway database (``timebank init``) and seeds it in-process
through the services (a center, a service type, a staff user and their API token, 200 volunteers, and two
volunteers with a record book of ``--records`` and of 50 approved records), then starts gunicorn with ``--workers``
sync workers on a free loopback port and measures, at each number of concurrent clients:

- **approvals**: ``POST /api/v1/service-records/{id}/approve`` (staff token, a fresh ``Idempotency-Key`` each), every
  client approving pending records no other client touches; before each cell the pool is topped up to ``--pending``
  records through ``POST /api/v1/service-records/batch`` (one activity of the 200 volunteers per call, each call a
  new time slot, so consecutive records belong to different volunteers). Every answer must be a 200, or the
  bench stops; afterwards the number of approved records the API lists must match;
- beside it, **the ledger's mint** with as many threads, measured right after by ``bench_ledger.run_slice`` (the
  session-form posting in a transaction of its own, on its own throwaway database): the ratio shows what the record,
  its receipt, the idempotency record, the audit row and HTTP cost on top;
- **check-ins**: ``POST /api/v1/check-ins {text}`` by volunteers (one each client, scanning in and out alternately)
  with the text of ``GET /api/v1/centers/{code}/check-in-code`` (fetched by staff, refreshed every 10 s) — SPEC
  §8.1's contract; "not on this build" when the OpenAPI document has no such route.

Then the time to the first byte (and to the last) of ``GET /api/v1/volunteers/{id}/statement`` (its first page) for
the volunteer with ``--records`` records and for the one with 50: paged, it must not grow with the history ("not on
this build" when the route is absent). Progress goes to stderr, the report (Markdown) to stdout.

Usage: .venv/bin/python scripts/bench_hours.py [--seconds 5] [--clients 1,8,32] [--workers 4]
       [--backends sqlite,postgresql] [--records 5000] [--pending 1500] [--reads 20]
PostgreSQL: throwaway databases on the server named by TIMEBANK_TEST_PG (default
postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end; SQLite: files in a temporary directory.
"""
from __future__ import annotations

import argparse
import http.client
import platform
import re
import statistics
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bench_ledger
from benchlib import (
    PASSWORD,
    SECRET_KEY,
    Refused,
    Result,
    backend_label,
    call,
    expect,
    gunicorn,
    log,
    machine_load,
    openapi_paths,
    run_clients,
    throwaway_database,
    timebank,
)

CENTER = "BENCH01"
SERVICE_TYPE = "bench-visit"
POOL_VOLUNTEERS = 200  # the batch API's most volunteers in one activity
SLOT = timedelta(minutes=20)  # every record lasts one slot; a volunteer's slots never overlap
SHORT_BOOK = 50
NOT_ON_BUILD = "not on this build"
CHECK_INS = "/api/v1/check-ins"
CHECK_IN_CODE = "/api/v1/centers/{code}/check-in-code"
STATEMENT = re.compile(r"^/api/v1/volunteers/\{[^}]+\}/statement$")


@dataclass
class World:
    """What the in-process seeding made, for the clients."""
    app: object
    staff_token: str
    pool_volunteers: list[int]
    books: dict[int, int]  # records → volunteer id
    slot_origin: datetime  # every seeded record ends at or before this
    next_slot: int = 0
    pending: deque = field(default_factory=deque)
    approved: int = 0  # through the API, counted by the clients
    login_tokens: list[str] = field(default_factory=list)  # of pool volunteers, for check-ins


# ------------------------------------------------------------------------------------------------ seeding

def seed(url: str, records: int) -> World:
    """The center, the service type, a staff user and their token, the approval pool's volunteers and the two record
    books: through the services, in this process, before gunicorn starts (the record books' records are approved
    in batches, far faster than 5,000 requests)."""
    from timebank import create_app
    from timebank.auth.access import Principal
    from timebank.auth.services import issue_token
    from timebank.centers.services import create_center
    from timebank.db import get_db
    from timebank.demo import GIVEN_NAMES, SURNAMES
    from timebank.service_types.services import create_service_type
    from timebank.users.services import create_user
    from timebank.volunteers.services import create_volunteer

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY})
    actor = Principal.system("bench")
    with app.app_context():
        db = get_db()
        center = create_center(db, actor=actor, code=CENTER, name="压测养老服务中心", district="京口区")
        service_type = create_service_type(db, actor=actor, code=SERVICE_TYPE, name_zh="上门探访",
                                           credits_per_hour=100)
        create_user(db, actor=actor, username="bench-staff", password=PASSWORD, role="staff", center=CENTER)
        token, _ = issue_token(db, username="bench-staff", password=PASSWORD, address="127.0.0.1")
        volunteers = [create_volunteer(db, actor=actor, name=SURNAMES[i % len(SURNAMES)] + GIVEN_NAMES[i % 7],
                                       phone=f"1390000{i:04d}", home_center=CENTER).id
                      for i in range(POOL_VOLUNTEERS + 2)]
        origin = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
        books = {}
        for size, volunteer_id in ((records, volunteers[-2]), (SHORT_BOOK, volunteers[-1])):
            started = time.perf_counter()
            approve_history(db, actor, volunteer_id, center.id, service_type.id, size, origin)
            log(f"  a record book of {size:,} approved records in {time.perf_counter() - started:.1f} s")
            books[size] = volunteer_id
    return World(app=app, staff_token=token, pool_volunteers=volunteers[:POOL_VOLUNTEERS], books=books,
                 slot_origin=origin)


def approve_history(db, actor, volunteer_id: int, center_id: int, service_type_id: int, size: int,
                    origin: datetime) -> None:
    from timebank.hours.services import NewRecord, approve_records, insert_records

    for first in range(0, size, 500):
        chunk = [NewRecord(volunteer_id=volunteer_id, center_id=center_id, service_type_id=service_type_id,
                           started_at=origin - (n + 1) * SLOT, ended_at=origin - n * SLOT)
                 for n in range(first, min(size, first + 500))]
        ids = db.transaction(lambda s, chunk=chunk: insert_records(s, actor=actor, records=chunk,
                                                                   now=origin, home_center_only=False))
        for start in range(0, len(ids), 100):
            approve_records(db, actor=actor, record_ids=ids[start:start + 100], validity_days=730)


def top_up(base: str, world: World, wanted: int) -> None:
    """Pending records for the approval clients, ``POOL_VOLUNTEERS`` at a time through the batch API, each call in
    the next free time slot going back from the origin (the record books are other volunteers')."""
    while len(world.pending) < wanted:
        slot, world.next_slot = world.next_slot, world.next_slot + 1
        end = world.slot_origin - slot * SLOT
        body = {"center": CENTER, "service_type": SERVICE_TYPE, "volunteer_ids": world.pool_volunteers,
                "started_at": (end - SLOT).isoformat(), "ended_at": end.isoformat()}
        made = expect(call("POST", f"{base}/api/v1/service-records/batch", body, world.staff_token), 201,
                      "log an activity of the pool's volunteers")
        world.pending.extend(record["id"] for record in made["records"])


# ------------------------------------------------------------------------------------------------ what is timed

def approvals(base: str, world: World, clients: int, seconds: float) -> Result:
    auth = {"Authorization": f"Bearer {world.staff_token}"}

    def next_request(_client: int, _n: int):
        try:
            record_id = world.pending.popleft()  # atomic: no two clients get the same record
        except IndexError:
            return None
        return ("POST", f"/api/v1/service-records/{record_id}/approve",
                {**auth, "Idempotency-Key": f"bench-{uuid.uuid4().hex}"}, None)

    result = run_clients(base, clients, seconds, next_request)
    world.approved += result.requests
    if not world.pending:
        log(f"  the pool ran out after {result.seconds:.1f} s (raise --pending): the rate is over that time")
    return result


def check_approved_count(base: str, world: World) -> None:
    """Every 200 was an approval: the API lists exactly as many approved records as were counted."""
    listed = expect(call("GET", f"{base}/api/v1/service-records?status=approved&per_page=1",
                         token=world.staff_token), 200, "list approved records")["total"]
    expected = world.approved + sum(world.books)
    if listed != expected:
        raise SystemExit(f"{listed} approved records listed, {expected} expected")


def ledger_mint(bench: bench_ledger.Bench, workers: int, seconds: float) -> float:
    return bench_ledger.run_slice(bench, "mint", "app", workers, seconds).rate


def check_in_logins(world: World, count: int) -> list[str]:
    """Tokens of ``count`` volunteers of the pool (users made in-process; password hashing is slow on purpose)."""
    from timebank.auth.access import Principal
    from timebank.auth.services import issue_token
    from timebank.db import get_db
    from timebank.users.services import create_user

    tokens = []
    with world.app.app_context():
        db = get_db()
        for volunteer_id in world.pool_volunteers[len(world.login_tokens):count]:
            username = f"bench-volunteer-{volunteer_id}"
            create_user(db, actor=Principal.system("bench"), username=username, password=PASSWORD, role="volunteer",
                        volunteer_id=volunteer_id)
            tokens.append(issue_token(db, username=username, password=PASSWORD, address="127.0.0.1")[0])
    world.login_tokens.extend(tokens)
    return world.login_tokens[:count]


def check_ins(base: str, world: World, clients: int, seconds: float) -> Result:
    """SPEC §8.1: staff read the poster's current code, each volunteer's phone posts what its camera read (in, out,
    in …). The code is refreshed every 10 s in the background: it rotates every 30 s and is refused after 2 minutes."""
    tokens = check_in_logins(world, clients)
    code_url = base + CHECK_IN_CODE.format(code=CENTER)
    current = [expect(call("GET", code_url, token=world.staff_token), 200, "read the check-in code")["text"]]
    stop = threading.Event()

    def refresh() -> None:
        while not stop.wait(10):
            status, answer = call("GET", code_url, token=world.staff_token)
            if status == 200:
                current[0] = answer["text"]

    refresher = threading.Thread(target=refresh, daemon=True)
    refresher.start()
    try:
        return run_clients(base, clients, seconds,
                           lambda client, _n: ("POST", CHECK_INS, {"Authorization": f"Bearer {tokens[client]}"},
                                               {"text": current[0]}),
                           ok=(200, 201))
    finally:
        stop.set()
        refresher.join()


def statement_times(base: str, world: World, volunteer_id: int, reads: int) -> tuple[float, float]:
    """Median time to the first byte and to the last of the record book's first page, over ``reads`` requests on
    one keep-alive connection after two warm-ups."""
    parts = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    path = f"/api/v1/volunteers/{volunteer_id}/statement"
    headers = {"Authorization": f"Bearer {world.staff_token}"}
    first_bytes, last_bytes = [], []
    try:
        for n in range(reads + 2):
            began = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()  # returns once the status line and headers arrived
            first = time.perf_counter()
            body = response.read()
            last = time.perf_counter()
            if response.status != 200:
                raise Refused(f"GET {path}: {response.status} {body[:300].decode(errors='replace')}")
            if n >= 2:
                first_bytes.append(first - began)
                last_bytes.append(last - began)
    finally:
        connection.close()
    return statistics.median(first_bytes) * 1000, statistics.median(last_bytes) * 1000


# ------------------------------------------------------------------------------------------------ the report

@dataclass
class Row:
    backend: str
    clients: int
    approve: Result
    mint: float
    check_in: Result | str


def measure(backend: str, args, rows: list[Row], books: dict) -> None:
    with throwaway_database(backend, "bench_hours") as url, tempfile.TemporaryDirectory() as folder:
        log(f"{backend}: migrating a fresh database, seeding in-process")
        timebank(url, "init")
        world = seed(url, args.records)
        ledger = bench_ledger.Bench(backend, uuid.uuid4().hex[:10])
        try:
            with gunicorn(url, args.workers, Path(folder) / "gunicorn.log") as base:
                paths = openapi_paths(base)
                has_check_ins = CHECK_INS in paths
                has_statement = any(STATEMENT.match(p) for p in paths)
                for n in args.clients:
                    top_up(base, world, args.pending)
                    approvals(base, world, n, min(1.0, args.seconds / 3))  # warm-up: connections, caches
                    top_up(base, world, args.pending)
                    approve = approvals(base, world, n, args.seconds)
                    mint = ledger_mint(ledger, n, args.seconds)
                    check_in: Result | str = NOT_ON_BUILD
                    if has_check_ins:
                        try:
                            check_in = check_ins(base, world, n, args.seconds)
                        except Refused as refused:
                            check_in = f"stopped: {str(refused)[:120]}"
                    log(f"{backend} {n:>3} clients: approve {approve.requests_per_second:,.1f}/s "
                        f"(p99 {approve.p99_ms:.0f} ms), ledger mint {mint:,.1f}/s, check-ins "
                        f"{check_in if isinstance(check_in, str) else f'{check_in.requests_per_second:,.1f}/s'} "
                        f"({machine_load()})")
                    rows.append(Row(backend, n, approve, mint, check_in))
                check_approved_count(base, world)
                if has_statement:
                    try:
                        books[backend] = {size: statement_times(base, world, volunteer, args.reads)
                                          for size, volunteer in sorted(world.books.items())}
                    except Refused as refused:
                        books[backend] = f"stopped: {str(refused)[:120]}"
                else:
                    books[backend] = NOT_ON_BUILD
        finally:
            ledger.close()
            world.app.extensions["timebank.db"].dispose()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each cell (default 5)")
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients, comma-separated (default 1,8,32)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--records", type=int, default=5000, help="the long record book's records (default 5000)")
    parser.add_argument("--pending", type=int, default=1500,
                        help="pending records ready before each approval cell (default 1500)")
    parser.add_argument("--reads", type=int, default=20, help="statement requests per record book (default 20)")
    args = parser.parse_args(argv)
    try:
        args.clients = [int(n) for n in args.clients.split(",")]
    except ValueError:
        parser.error("--clients takes whole numbers separated by commas, e.g. 1,8,32")
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if any(b not in ("sqlite", "postgresql") for b in args.backends):
        parser.error("--backends: sqlite, postgresql")
    if min(args.clients) < 1 or max(args.clients) > POOL_VOLUNTEERS or args.seconds <= 0 or args.workers < 1 \
            or args.records <= SHORT_BOOK or args.pending < 1 or args.reads < 1:
        parser.error(f"--clients 1 to {POOL_VOLUNTEERS}; --seconds, --workers, --pending, --reads positive; "
                     f"--records more than {SHORT_BOOK}")
    return args


def rate(result: Result | str) -> str:
    return result if isinstance(result, str) else f"{result.requests_per_second:,.1f}"


def main(argv=None) -> None:
    args = parse_args(argv)
    load_at_start = machine_load()
    rows: list[Row] = []
    books: dict = {}
    for backend in args.backends:
        measure(backend, args, rows, books)

    print(f"\nHours benchmark: gunicorn {args.workers} sync workers, Python client threads, {args.seconds:g} s per "
          f"cell, Python {platform.python_version()}; the machine was shared with other work: {load_at_start} at "
          f"the start, {machine_load()} at the end\n")
    print("| backend | clients | approvals/s (HTTP) | p99 | ledger mints/s | approvals/mints | check-ins/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        ratio = row.approve.requests_per_second / row.mint if row.mint else float("nan")
        print(f"| {backend_label(row.backend)} | {row.clients} | {rate(row.approve)} | {row.approve.p99_ms:.0f} ms "
              f"| {row.mint:,.1f} | {ratio:.0%} | {rate(row.check_in)} |")
    sizes = f"{args.records:,}"
    print(f"\nRecord book, `GET /api/v1/volunteers/{{id}}/statement` (first page), median of {args.reads} reads:\n")
    print(f"| backend | {SHORT_BOOK} records: first byte | last byte | {sizes} records: first byte | last byte |")
    print("|---|---:|---:|---:|---:|")
    for backend in args.backends:
        times = books.get(backend)
        if isinstance(times, str) or times is None:
            print(f"| {backend_label(backend)} | {times or NOT_ON_BUILD} | | | |")
            continue
        (short_first, short_last), (long_first, long_last) = times[SHORT_BOOK], times[args.records]
        print(f"| {backend_label(backend)} | {short_first:.1f} ms | {short_last:.1f} ms | {long_first:.1f} ms "
              f"| {long_last:.1f} ms |")


if __name__ == "__main__":
    main()
