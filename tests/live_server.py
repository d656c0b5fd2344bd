"""A real gunicorn serving the app on a free localhost port against a test database, for the end-to-end tests that
need several processes (throttle, revocation, idempotency) or a real HTTP client (the generated API client)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READY_HOOK = Path(__file__).with_name("gunicorn_ready.py")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ready_workers(log: Path) -> int:
    return sum(1 for line in log.read_text().splitlines() if line.startswith("worker ready "))


@contextmanager
def gunicorn(database_url: str, log: Path, *, workers: int, app: str = "wsgi:app", env: dict | None = None):
    """Start gunicorn (``app`` is its application spec), wait until every worker has loaded the app and ``/healthz``
    answers, yield the base URL; stop it at the end. The access log (``pid status method path``) goes to ``log``, with
    a line ``worker ready PID`` from each worker (tests/gunicorn_ready.py); ``env`` adds to the environment."""
    port = free_port()
    env = {**os.environ, "TIMEBANK_DATABASE_URL": database_url, "TIMEBANK_SECRET_KEY": "test", **(env or {})}
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(READY_HOOK), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--access-logfile", "-", "--access-logformat", "%(p)s %(s)s %(m)s %(U)s", app],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if ready_workers(log) >= workers:
                    with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start its {workers} workers:\n{log.read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
