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
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TIMEBANK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TIMEBANK = str(Path(sys.executable).with_name("timebank"))
PASSWORD = "Bench-marked 2024 plum"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Result:
    requests_per_second: float
    p99_ms: float

    @classmethod
    def combined(cls, slices: list["Result"], seconds: float) -> "Result":
        total = sum(r.requests_per_second * seconds for r in slices)
        return cls(total / (seconds * len(slices)), statistics.median(r.p99_ms for r in slices))


# ------------------------------------------------------------------------------------------------ the databases

@contextmanager
def throwaway_database(backend: str):
    """A fresh, migrated database URL for ``backend``; removed afterwards."""
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench-http-")
        try:
            yield f"sqlite:///{folder}/timebank.db"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"bench_http_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(url: str) -> dict:
    return {**os.environ, "TIMEBANK_DATABASE_URL": url, "TIMEBANK_SECRET_KEY": "bench-http-secret"}


def timebank(url: str, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([TIMEBANK, *args], cwd=ROOT, env=environment(url), input=stdin, capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"timebank {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# ------------------------------------------------------------------------------------------------ the server

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(url: str, workers: int, log_path: Path):
    port = free_port()
    with open(log_path, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--backlog", "256", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=environment(url), stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def call(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def expect(answer: tuple[int, dict], status: int, doing: str) -> dict:
    if answer[0] != status:
        raise SystemExit(f"{doing}: expected {status}, got {answer[0]} {answer[1]}")
    return answer[1]


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


# ------------------------------------------------------------------------------------------------ load generators

def run_wrk(url: str, clients: int, seconds: float, headers: dict) -> Result:
    threads = min(clients, 2)
    command = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{max(1, round(seconds))}s", "--latency",
               "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60)
    output = done.stdout
    if done.returncode != 0:
        raise SystemExit(f"wrk failed:\n{output}\n{done.stderr}")
    if "Non-2xx or 3xx responses" in output or "Socket errors" in output:
        raise SystemExit(f"some answers were not 200 (or connections failed):\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)\b", output).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return Result(rate, p99)


def run_python_load(url: str, clients: int, seconds: float, headers: dict) -> Result:
    """One thread per client, each on its own keep-alive connection, as many requests as it can in ``seconds``.
    (Threads share one interpreter, so on a small machine this measures less than wrk would: compare like with like.)"""
    parts = urllib.request.urlparse(url)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        start.wait()
        mine = latencies[index]
        while time.perf_counter() < stop_at[0]:
            began = time.perf_counter()
            connection.request("GET", parts.path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(f"{response.status}")
                return
            mine.append(time.perf_counter() - began)
        connection.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join(seconds + 30)
    elapsed = time.perf_counter() - began
    if failures:
        raise SystemExit(f"some answers were not 200: {failures[:5]}")
    every = sorted(x for one in latencies for x in one)
    p99 = every[min(len(every) - 1, int(len(every) * 0.99))] * 1000 if every else float("nan")
    return Result(len(every) / elapsed, p99)


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
