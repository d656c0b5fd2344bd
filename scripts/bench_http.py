#!/usr/bin/env python
"""How fast is an authenticated read over HTTP, against a request that touches nothing (``/healthz``)?

For each backend (SQLite, PostgreSQL) it builds a throwaway database (``timebank init``), seeds it through the
service's own command line and API (an admin, a center, a volunteer, a staff user of that center and the staff's
API token), starts gunicorn with ``--workers`` sync workers on a free loopback port, and measures with ``wrk`` (or,
when wrk is not installed, a Python load generator with one thread per client and keep-alive connections):

- ``GET /healthz`` (no database, no authentication), and
- ``GET /api/v1/volunteers/{id}`` with ``Authorization: Bearer <staff token>``,

at each number of concurrent clients, in ``--rounds`` alternating slices of ``--seconds`` each (healthz, read,
healthz, read …, after a short warm-up), so that a machine whose load changes meanwhile affects both alike. It prints
requests/s (all slices' requests over all their time) and the p99 latency (the median of the slices') of both, and the
ratio read/healthz, as a Markdown table; every answer must be a 200 (a benchmark of
refusals proves nothing), otherwise it stops. Progress goes to stderr, the report to stdout.

Usage: .venv/bin/python scripts/bench_http.py [--seconds 5] [--rounds 3] [--clients 8,32] [--workers 4]
       [--backends sqlite,postgresql] [--python-load]
PostgreSQL: a throwaway database on the server named by TIMEBANK_TEST_PG (default
postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end; SQLite: a file in a temporary directory.
Everything listens on 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
from pathlib import Path

from benchlib import (
    PASSWORD,
    Result,
    call,
    expect,
    gunicorn,
    log,
    run_python_load,
    run_wrk,
    throwaway_database,
    timebank,
)


def seed(url: str, base: str) -> tuple[str, int]:
    """An admin (by the CLI), then through the API a center, a volunteer and a staff user; the staff's token and the
    volunteer's id."""
    timebank(url, "users", "create", "bench-admin", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    api = f"{base}/api/v1"
    admin = expect(call("POST", f"{api}/auth/tokens", {"username": "bench-admin", "password": PASSWORD}), 201,
                   "admin sign-in")["token"]
    expect(call("POST", f"{api}/centers", {"code": "BENCH01", "name": "压测养老服务中心", "district": "京口区"},
                admin), 201, "create center")
    volunteer = expect(call("POST", f"{api}/volunteers",
                            {"name": "王秀英", "phone": "13912345678", "home_center": "BENCH01"}, admin),
                       201, "create volunteer")
    expect(call("POST", f"{api}/users", {"username": "bench-staff", "password": PASSWORD, "role": "staff",
                                         "center": "BENCH01", "must_change_password": False}, admin),
           201, "create staff")
    staff = expect(call("POST", f"{api}/auth/tokens", {"username": "bench-staff", "password": PASSWORD}), 201,
                   "staff sign-in")["token"]
    expect(call("GET", f"{api}/volunteers/{volunteer['id']}", token=staff), 200, "staff reads the volunteer")
    return staff, volunteer["id"]


# ------------------------------------------------------------------------------------------------ the report

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each slice (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating slices per target (default 3)")
    parser.add_argument("--clients", default="8,32", help="concurrent clients, comma-separated (default 8,32)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator even if wrk is here")
    args = parser.parse_args()
    clients = [int(n) for n in args.clients.split(",")]
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    load = run_wrk if use_wrk else run_python_load
    tool = "wrk" if use_wrk else "python threads"

    rows = []
    for backend in args.backends.split(","):
        with throwaway_database(backend) as url, tempfile.TemporaryDirectory() as folder:
            log(f"{backend}: migrating a fresh database")
            timebank(url, "init")
            with gunicorn(url, args.workers, Path(folder) / "gunicorn.log") as base:
                token, volunteer_id = seed(url, base)
                targets = (("/healthz", f"{base}/healthz", {}),
                           ("GET /api/v1/volunteers/{id} (staff token)", f"{base}/api/v1/volunteers/{volunteer_id}",
                            {"Authorization": f"Bearer {token}"}))
                for n in clients:
                    slices = {name: [] for name, _url, _headers in targets}
                    for name, url_, headers in targets:
                        load(url_, n, 1.0, headers)  # warm-up: connections, prepared statements
                    for _round in range(args.rounds):
                        for name, url_, headers in targets:
                            result = load(url_, n, args.seconds, headers)
                            slices[name].append(result)
                            log(f"{backend} {n:>3} clients {name}: {result.requests_per_second:,.0f} req/s, "
                                f"p99 {result.p99_ms:.1f} ms")
                    health, read = (Result.combined(slices[name], args.seconds) for name, _u, _h in targets)
                    rows.append((backend, n, health, read))

    print(f"\nHTTP, gunicorn {args.workers} sync workers, {tool}, {args.rounds} × {args.seconds:g} s per cell, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}\n")
    print("| backend | clients | /healthz req/s | p99 | authenticated read req/s | p99 | read/healthz |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for backend, n, health, read in rows:
        label = "SQLite" if backend == "sqlite" else "PostgreSQL"
        print(f"| {label} | {n} | {health.requests_per_second:,.0f} | {health.p99_ms:.1f} ms "
              f"| {read.requests_per_second:,.0f} | {read.p99_ms:.1f} ms "
              f"| {read.requests_per_second / health.requests_per_second:.0%} |")


if __name__ == "__main__":
    main()
