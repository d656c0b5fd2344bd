#!/usr/bin/env python
"""How long do the reports take over millions of service records?

For each backend it builds a throwaway database (``timebank init``, so with every migration's indexes) and fills it
with bulk SQL: ``--centers`` centers (each with its issuance account), 8 service types, ``--volunteers`` volunteers
with their accounts, ``--records`` service records over the last two years (8 in 10 approved, the rest pending or
rejected), for each approved one its mint transfer and its lot (the lots older than their 730 days expired, the
accounts' totals raised to match), and one open drive at every center with 20 items and a reservation for every
tenth volunteer (held, picked up, cancelled). Then, after ``ANALYZE`` (PostgreSQL: ``VACUUM ANALYZE``), it times
``GET /api/v1/reports/{name}`` (JSON) through the app in this process, as an admin (every center) and as one
center's staff: each call ``--repeat`` times, the first (cold) and the best of the others reported. Last it closes
the current review period (publishing every center's figures, timed once) and times the public pages of a center and
of the city, and the certificate (JSON and PDF) of the volunteer with the most approved records.

Usage: .venv/bin/python scripts/bench_reports.py [--records N] [--volunteers 100000] [--centers 500]
       [--backends sqlite,postgresql] [--repeat 3] [--without-index]
--without-index then drops the hours report's index (migration 0019) and times every report again, on the same data
and under the same load: what the index is worth.
The default of --records is 5,000,000 on PostgreSQL and 1,000,000 on SQLite (the SPEC's year of a city).
PostgreSQL: a throwaway database on the server named by TIMEBANK_TEST_PG (default
postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end; SQLite: a file in a temporary directory.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from benchlib import PASSWORD, backend_label, environment, log, machine_load, throwaway_database, timebank
from timebank.db import Database

DEFAULT_RECORDS = {"postgresql": 5_000_000, "sqlite": 1_000_000}
NOW = datetime.now(UTC).replace(microsecond=0)
FIRST_START = NOW - timedelta(days=730)  # the records start over the two years before now
SPAN_MINUTES = 730 * 24 * 60 - 13 * 60
TYPES = 8
REPORT_INDEX = "ix_service_record_approved_start"
ITEMS = 20


def generate(url: str, backend: str, *, records: int, volunteers: int, centers: int) -> None:
    sqlite = backend == "sqlite"

    def ts(value: datetime):
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}" if sqlite else value

    def numbers(count: str) -> tuple[str, str]:
        if sqlite:
            return (f"WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < {count}) ",
                    "numbers")
        return "", f"generate_series(1, {count}) AS numbers(n)"

    def plus_minutes(base: str, minutes: str) -> str:
        if sqlite:
            return f"strftime('%Y-%m-%d %H:%M:%S', {base}, '+' || ({minutes}) || ' minutes') || '.000000'"
        return f"(CAST({base} AS TIMESTAMPTZ) + ({minutes}) * INTERVAL '1 minute')"

    first = ts(FIRST_START)[:19] if sqlite else FIRST_START
    params = {"centers": centers, "volunteers": volunteers, "records": records, "at": ts(FIRST_START),
              "first": first, "now": ts(NOW), "fp": "0" * 64, "opens": ts(NOW - timedelta(days=3)),
              "closes": ts(NOW + timedelta(days=11)), "until": ts(NOW + timedelta(days=18))}
    c_n, v_n, r_n = numbers(":centers"), numbers(":volunteers"), numbers(":records")
    i_n = numbers(str(ITEMS))
    start = plus_minutes(":first", f"(n * 7919) % {SPAN_MINUTES}")
    minutes = "(30 + (n * 7) % 211)"
    end = plus_minutes(":first", f"(n * 7919) % {SPAN_MINUTES} + {minutes}")
    lot_expires = plus_minutes("t.created_at" if not sqlite else "substr(t.created_at, 1, 19)", "730 * 24 * 60")
    statements = [
        ("issuance accounts",
         f"{c_n[0]}INSERT INTO account (code, kind, center_id, no_overdraft, debits_pending, debits_posted, "
         "credits_pending, credits_posted, created_at) SELECT 'issuance\\:B' || n, 'issuance', n, FALSE, 0, 0, 0, 0, "
         f":at FROM {c_n[1]} ORDER BY n"),
        ("centers",
         "INSERT INTO center (code, name, district, active, issuance_account_id, created_at) "
         "SELECT 'B' || center_id, '测试养老服务中心' || center_id, '京口区', TRUE, id, :at FROM account "
         "WHERE kind = 'issuance' AND code LIKE 'issuance\\:B%' ORDER BY center_id"),
        ("service types",
         f"{numbers(str(TYPES))[0]}INSERT INTO service_type (code, name_zh, name_en, credits_per_hour, active, "
         f"created_at) SELECT 'type' || n, '服务' || n, 'Service ' || n, 100, TRUE, :at FROM {numbers(str(TYPES))[1]} "
         "ORDER BY n"),
        ("volunteer accounts",
         f"{v_n[0]}INSERT INTO account (code, kind, center_id, no_overdraft, debits_pending, debits_posted, "
         "credits_pending, credits_posted, created_at) SELECT 'volunteer\\:B' || n, 'volunteer', NULL, TRUE, 0, 0, 0, "
         f"0, :at FROM {v_n[1]} ORDER BY n"),
        ("volunteers",  # volunteer n: home center 1 + n % centers
         "INSERT INTO volunteer (name, phone, home_center_id, active, account_id, created_at) "
         "SELECT '志愿者' || a.id, '1' || CAST(30000000000 + a.id AS VARCHAR), c.id, TRUE, a.id, :at "
         "FROM account a JOIN center c ON c.code = 'B' || (1 + (a.id % :centers)) "
         "WHERE a.kind = 'volunteer' ORDER BY a.id"),
        ("service records",  # record n: volunteer 1 + n % volunteers, at that volunteer's home center
         f"{r_n[0]}INSERT INTO service_record (center_id, volunteer_id, service_type_id, started_at, ended_at, "
         "minutes, status, source, missing_check_out, entered_at, credits) "
         f"SELECT v.home_center_id, v.id, 1 + n % {TYPES}, {start}, {end}, "
         f"{minutes}, CASE n % 10 WHEN 0 THEN 'pending' WHEN 1 THEN 'rejected' ELSE 'approved' END, 'staff', FALSE, "
         f"{start}, CASE WHEN n % 10 >= 2 THEN {minutes} * 100 / 60 ELSE NULL END "
         f"FROM {r_n[1]} JOIN volunteer v ON v.id = (SELECT MIN(id) FROM volunteer) + n % :volunteers ORDER BY n"),
        ("mint transfers",
         "INSERT INTO transfer (kind, debit_account_id, credit_account_id, amount, idempotency_key, fingerprint, "
         "actor, reason_type, reason_id, created_at) "
         "SELECT 'mint', c.issuance_account_id, v.account_id, r.credits, 'bench-mint:' || r.id, :fp, "
         "'job\\:bench-reports', 'service_record', CAST(r.id AS VARCHAR), r.ended_at "
         "FROM service_record r JOIN volunteer v ON v.id = r.volunteer_id JOIN center c ON c.id = r.center_id "
         "WHERE r.status = 'approved' ORDER BY r.id"),
        ("lots",
         "INSERT INTO lot (account_id, mint_transfer_id, amount, remaining, expires_at, expired_at) "
         f"SELECT t.credit_account_id, t.id, t.amount, t.amount, {lot_expires}, NULL "
         "FROM transfer t WHERE t.kind = 'mint' AND t.actor = 'job\\:bench-reports' ORDER BY t.id"),
        ("expired lots",
         "UPDATE lot SET remaining = 0, expired_at = expires_at WHERE expires_at <= :now"),
        ("volunteers' totals",
         "UPDATE account SET credits_posted = s.minted, debits_posted = s.minted - s.live FROM (SELECT account_id, "
         "SUM(amount) AS minted, SUM(remaining) AS live FROM lot GROUP BY account_id) AS s "
         "WHERE account.id = s.account_id"),
        ("catalog",
         f"{i_n[0]}INSERT INTO catalog_item (sku, name_zh, name_en, unit, price, active, created_at) "
         f"SELECT 'SKU' || n, '物品' || n, 'Item ' || n, '件', 100 * n, TRUE, :at FROM {i_n[1]} ORDER BY n"),
        ("drive",
         "INSERT INTO drive (name, opens_at, closes_at, pickup_until, created_at) "
         "VALUES ('测试兑换', :opens, :closes, :until, :at)"),
        ("drive centers", "INSERT INTO drive_center (drive_id, center_id) SELECT d.id, c.id FROM drive d, center c"),
        ("drive items", "INSERT INTO drive_item (drive_id, item_id) SELECT d.id, i.id FROM drive d, catalog_item i"),
        ("drive stock",
         "INSERT INTO drive_stock (drive_id, center_id, item_id, stock, held, sold) "
         "SELECT dc.drive_id, dc.center_id, di.item_id, 200, 0, 0 FROM drive_center dc "
         "JOIN drive_item di ON di.drive_id = dc.drive_id"),
        ("reservations",
         "INSERT INTO reservation (drive_id, volunteer_id, center_id, status, total, walk_up, created_at, "
         "fulfilled_at, cancelled_at) SELECT d.id, v.id, v.home_center_id, "
         "CASE v.id % 3 WHEN 0 THEN 'held' WHEN 1 THEN 'fulfilled' ELSE 'cancelled' END, 500, FALSE, :opens, "
         "CASE WHEN v.id % 3 = 1 THEN :opens END, CASE WHEN v.id % 3 = 2 THEN :opens END "
         "FROM volunteer v, drive d WHERE v.id % 10 = 0"),
    ]
    db = Database(url, pool_size=1)
    try:
        with db.engine.begin() as conn:
            for label, sql in statements:
                t0 = time.perf_counter()
                count = conn.execution_options(preserve_rowcount=True).execute(text(sql), params).rowcount
                rows = f"{count:,} rows" if count >= 0 else "done"
                log(f"[{backend}]   {label}: {rows} in {time.perf_counter() - t0:.1f} s")
        with db.engine.connect() as conn:
            if sqlite:
                conn.exec_driver_sql("ANALYZE")
            else:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
            conn.commit()
    finally:
        db.dispose()


CALLS = (
    ("hours, every center, all time", "admin", "/api/v1/reports/hours"),
    ("hours, every center, last 12 months", "admin", "/api/v1/reports/hours?from={year_ago}&to={today}"),
    ("hours, one center, last 12 months", "staff", "/api/v1/reports/hours?from={year_ago}&to={today}"),
    ("liability, every center", "admin", "/api/v1/reports/liability"),
    ("liability, one center", "staff", "/api/v1/reports/liability"),
    ("drive, every center", "admin", "/api/v1/reports/drive"),
    ("drive, one center", "staff", "/api/v1/reports/drive"),
)


def time_reports(url: str, repeat: int) -> list[tuple[str, int, float, float, int]]:
    """Each call of ``CALLS``: (label, status, first seconds, best seconds of the others, rows)."""
    import os

    os.environ.update(environment(url))
    from timebank import create_app
    from timebank.db import get_db

    app = create_app()
    client = app.test_client()
    tokens = {}
    for role in ("admin", "staff"):
        answer = client.post("/api/v1/auth/tokens", json={"username": f"bench-{role}", "password": PASSWORD})
        tokens[role] = {"Authorization": f"Bearer {answer.get_json()['token']}"}
    today = NOW.date()
    found = []
    for label, role, path in CALLS:
        path = path.format(today=today.isoformat(), year_ago=(today - timedelta(days=365)).isoformat())
        times = []
        status, rows = 0, 0
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            answer = client.get(path, headers=tokens[role])
            times.append(time.perf_counter() - t0)
            status = answer.status_code
            rows = len((answer.get_json() or {}).get("rows", []))
        found.append((label, status, times[0], min(times[1:] or times), rows))
        log(f"  {label}: {status}, {rows:,} rows, first {times[0]:.2f} s, best {min(times[1:] or times):.2f} s")
    # The hours of every center for a year, the largest answer, without HTTP and JSON: the database's part.
    from timebank.auth.access import Principal
    from timebank.reports import queries, rules

    period = rules.period(today - timedelta(days=365), today, "Asia/Shanghai")
    times = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        report = queries.hours_report(get_db(app), actor=Principal.system("bench"), period=period,
                                      zone="Asia/Shanghai")
        times.append(time.perf_counter() - t0)
    found.append(("hours, every center, last 12 months: the query alone", 200, times[0], min(times[1:] or times),
                  len(report.rows)))
    log(f"  the hours query alone: first {times[0]:.2f} s, best {min(times[1:] or times):.2f} s")
    found += time_publication_and_certificate(app, client, tokens, repeat)
    get_db(app).dispose()
    return found


def time_publication_and_certificate(app, client, tokens, repeat: int) -> list[tuple[str, int, float, float, int]]:
    """Closing the current review period (every center's figures computed and stored), the public pages that then
    read them, and a certificate (JSON and PDF) of the volunteer with the most approved records."""
    from sqlalchemy import func, select

    from timebank.auth.access import Principal
    from timebank.db import get_db
    from timebank.hours.models import ServiceRecord
    from timebank.supervision import services as periods

    db = get_db(app)
    period = periods.open_current_period(db, zone="Asia/Shanghai")
    found = []
    if period.status != "closed":  # closed already when timed again --without-index
        t0 = time.perf_counter()
        periods.close_period(db, actor=Principal.system("bench"), period_id=period.id, zone="Asia/Shanghai")
        closing = time.perf_counter() - t0
        log(f"  closing the current period: {closing:.2f} s")
        found.append(("closing the current review period (every center's figures)", 200, closing, closing, 0))
    records = ServiceRecord.__table__.c
    volunteer = db.read_one(select(records.volunteer_id).where(records.status == "approved")
                            .group_by(records.volunteer_id).order_by(func.count().desc()).limit(1))[0]
    calls = (("public page of a center (HTML, no sign-in)", None, "/public/centers/B1"),
             ("public API of a center", None, "/api/v1/public/centers/B1"),
             ("public page of the city (HTML, no sign-in)", None, "/public/"),
             ("certificate of the busiest volunteer (JSON)", "admin", f"/api/v1/volunteers/{volunteer}/certificate"),
             ("certificate of the busiest volunteer (PDF)", "admin",
              f"/api/v1/volunteers/{volunteer}/certificate?format=pdf"))
    for label, role, path in calls:
        times, status = [], 0
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            answer = client.get(path, headers=tokens[role] if role else {})
            times.append(time.perf_counter() - t0)
            status = answer.status_code
        found.append((label, status, times[0], min(times[1:] or times), 0))
        log(f"  {label}: {status}, first {times[0]:.2f} s, best {min(times[1:] or times):.2f} s")
    return found


def drop_report_index(url: str, backend: str) -> None:
    db = Database(url, pool_size=1)
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql(f"DROP INDEX {REPORT_INDEX}")
            conn.commit()
            if backend == "sqlite":
                conn.exec_driver_sql("ANALYZE")
            else:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
            conn.commit()
    finally:
        db.dispose()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, help="service records (default 5000000 on PostgreSQL, 1000000 on "
                                                    "SQLite)")
    parser.add_argument("--volunteers", type=int, default=100_000, help="volunteers (default 100000)")
    parser.add_argument("--centers", type=int, default=500, help="centers (default 500)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3, help="calls of each report (default 3)")
    parser.add_argument("--without-index", action="store_true",
                        help=f"then drop {REPORT_INDEX} (migration 0019) and time every report again")
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for backend in args.backends:
        if backend not in ("sqlite", "postgresql"):
            parser.error(f"unknown backend {backend!r}; choose from sqlite, postgresql")
    if min(args.records or 1, args.volunteers, args.centers, args.repeat) < 1:
        parser.error("--records, --volunteers, --centers and --repeat must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    load_start = machine_load()
    results = {}
    failed = False
    for backend in args.backends:
        records = args.records or DEFAULT_RECORDS[backend]
        with throwaway_database(backend, prefix="bench_reports") as url:
            log(f"[{backend}] timebank init")
            timebank(url, "init")
            log(f"[{backend}] generating {records:,} service records of {args.volunteers:,} volunteers at "
                f"{args.centers} centers")
            t0 = time.perf_counter()
            generate(url, backend, records=records, volunteers=args.volunteers, centers=args.centers)
            generated = time.perf_counter() - t0
            timebank(url, "users", "create", "bench-admin", "--role", "admin", "--password-stdin", stdin=PASSWORD)
            timebank(url, "users", "create", "bench-staff", "--role", "staff", "--center", "B1", "--password-stdin",
                     stdin=PASSWORD)
            log(f"[{backend}] generated in {generated:.0f} s; timing the reports")
            results[backend] = (records, generated, time_reports(url, args.repeat))
            failed = failed or any(status != 200 for _, status, *_ in results[backend][2])
            if args.without_index:
                log(f"[{backend}] dropping {REPORT_INDEX}; timing again")
                drop_report_index(url, backend)
                results[f"{backend} without {REPORT_INDEX}"] = (records, generated, time_reports(url, args.repeat))
    print(f"## Reports benchmark ({datetime.now(UTC):%Y-%m-%d})\n")
    print(f"Machine: {load_start} at the start, {machine_load()} at the end. {args.volunteers:,} volunteers, "
          f"{args.centers} centers; `GET /api/v1/reports/{{name}}` (JSON) in process, first call and best of "
          f"{args.repeat - 1 or 1} more.\n")
    print("| backend | records | report | status | rows | first | best |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for backend, (records, _generated, found) in results.items():
        for label, status, first, best, rows in found:
            print(f"| {label_of(backend)} | {records:,} | {label} | {status} | {rows:,} | {first:.2f} s | "
                  f"{best:.2f} s |")
    return 1 if failed else 0


def label_of(key: str) -> str:
    backend, _, rest = key.partition(" ")
    return backend_label(backend) + (f" {rest}" if rest else "")


if __name__ == "__main__":
    sys.exit(main())
