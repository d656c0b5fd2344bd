"""What the HTTP benchmarks share: a throwaway database per backend, the ``timebank`` CLI against it, gunicorn on a
free loopback port, JSON calls, and the load generators (wrk when installed, else Python threads).

Used by ``bench_http.py`` and ``bench_hours.py`` (both put ``scripts/`` on ``sys.path`` by being run from it).
"""
from __future__ import annotations

import http.client
import itertools
import json
import os
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
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TIMEBANK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TIMEBANK = str(Path(sys.executable).with_name("timebank"))
PASSWORD = "Bench-marked 2024 plum"
SECRET_KEY = "bench-http-secret"  # gunicorn's workers and an in-process app must sign with the same key


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def backend_label(backend: str) -> str:
    return "SQLite" if backend == "sqlite" else "PostgreSQL"


def machine_load() -> str:
    """The load averages, for a report's header: on a shared machine every absolute rate depends on them."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} CPUs"


class Refused(SystemExit):
    """An answer that was not the expected one: a benchmark of refusals proves nothing, so it stops."""


@dataclass
class Result:
    requests_per_second: float
    p99_ms: float
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = float("nan")
    p95_ms: float = float("nan")

    @classmethod
    def of(cls, latencies: list[float], seconds: float) -> Result:
        """From every request's latency (in seconds) over ``seconds`` of wall time."""
        every = sorted(latencies)
        return cls(len(every) / seconds if seconds > 0 else 0.0, percentile(every, 0.99), len(every), seconds,
                   percentile(every, 0.50), percentile(every, 0.95))

    @classmethod
    def combined(cls, slices: list[Result], seconds: float) -> Result:
        total = sum(r.requests_per_second * seconds for r in slices)
        return cls(total / (seconds * len(slices)), statistics.median(r.p99_ms for r in slices))


def percentile(ordered: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ascending latencies in seconds, in milliseconds (nearest rank)."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


# ------------------------------------------------------------------------------------------------ the databases

@contextmanager
def throwaway_database(backend: str, prefix: str = "bench_http"):
    """A fresh, empty database URL for ``backend`` (migrate it with ``timebank(url, "init")``); removed afterwards."""
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix=f"{prefix.replace('_', '-')}-")
        try:
            yield f"sqlite:///{folder}/timebank.db"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(url: str) -> dict:
    return {**os.environ, "TIMEBANK_DATABASE_URL": url, "TIMEBANK_SECRET_KEY": SECRET_KEY}


def timebank(url: str, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([TIMEBANK, *args], cwd=ROOT, env=environment(url), input=stdin, capture_output=True,
                          text=True, timeout=300, check=False)
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


def call(method: str, url: str, body: dict | None = None, token: str | None = None,
         headers: dict | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **(headers or {})}
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
        raise Refused(f"{doing}: expected {status}, got {answer[0]} {answer[1]}")
    return answer[1]


def openapi_paths(base: str) -> set[str]:
    """The paths the running build serves, from its OpenAPI document (to tell which features this build has)."""
    return set(expect(call("GET", f"{base}/api/v1/openapi.json"), 200, "the OpenAPI document")["paths"])


# ------------------------------------------------------------------------------------------------ load generators

def run_wrk(url: str, clients: int, seconds: float, headers: dict) -> Result:
    threads = min(clients, 2)
    command = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{max(1, round(seconds))}s", "--latency",
               "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60,
                          check=False)
    output = done.stdout
    if done.returncode != 0:
        raise SystemExit(f"wrk failed:\n{output}\n{done.stderr}")
    if "Non-2xx or 3xx responses" in output or "Socket errors" in output:
        raise Refused(f"some answers were not 200 (or connections failed):\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)\b", output).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return Result(rate, p99)


# What one client sends next: (method, path, headers, JSON body or None), or None when it has nothing left to send.
NextRequest = Callable[[int, int], "tuple[str, str, dict, dict | None] | None"]


def run_clients(base: str, clients: int, seconds: float, next_request: NextRequest,
                ok: tuple[int, ...] = (200,), on_answer: Callable[[int, int, bytes], None] | None = None,
                rate: float | None = None) -> Result:
    """One thread per client, each on its own keep-alive connection, sending ``next_request(client, n)`` until
    ``seconds`` are up or it returns None. The first answer outside ``ok`` stops every client and raises ``Refused``;
    ``on_answer(client, status, body)`` sees every other answer.

    Without ``rate`` each client sends its next request as soon as the last one is answered (closed loop: the
    latency then grows with the clients, by Little's law, whatever the server). With ``rate`` the requests are due
    at a fixed pace, ``rate`` a second, the next due one taken by whichever client is free (open loop, as people
    arriving on a drive morning): the latency counts from when the request was due, so a server falling behind
    shows up as latency rather than as a slower pace.
    (Threads share one interpreter, so on a small machine this measures less than wrk would: compare like with like.)
    """
    parts = urllib.parse.urlparse(base)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]
    finished = [0.0] * clients
    slots, slot_lock, paced_from = itertools.count(), threading.Lock(), [0.0]

    def due_time() -> float:
        """Paced: wait for the next slot that is due; its time (closed loop: now)."""
        if rate is None:
            return time.perf_counter()
        with slot_lock:
            due = paced_from[0] + next(slots) / rate
        if due > time.perf_counter():
            time.sleep(due - time.perf_counter())
        return due

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        start.wait()
        mine, n = latencies[index], 0
        try:
            while time.perf_counter() < stop_at[0] and not failures:
                began = due_time()
                if began >= stop_at[0]:
                    break
                request = next_request(index, n)
                if request is None:
                    break
                method, path, headers, body = request
                data = json.dumps(body).encode() if body is not None else None
                if data is not None:
                    headers = {"Content-Type": "application/json", **headers}
                connection.request(method, path, body=data, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                if response.status not in ok:
                    failures.append(f"{method} {path}: {response.status} {answer[:300].decode(errors='replace')}")
                    return
                mine.append(time.perf_counter() - began)
                if on_answer is not None:
                    on_answer(index, response.status, answer)
                n += 1
        except OSError as error:
            failures.append(f"connection failed: {error!r}")
        finally:
            finished[index] = time.perf_counter()
            connection.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    began = paced_from[0] = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = max(finished) - began
    if failures:
        raise Refused(f"some answers were not {' or '.join(map(str, ok))}: {failures[:3]}")
    return Result.of([x for one in latencies for x in one], elapsed)


def run_python_load(url: str, clients: int, seconds: float, headers: dict) -> Result:
    """The same GET of ``url`` from every client, as fast as each can."""
    parts = urllib.parse.urlparse(url)
    return run_clients(f"{parts.scheme}://{parts.netloc}", clients, seconds,
                       lambda _client, _n: ("GET", parts.path, headers, None))
