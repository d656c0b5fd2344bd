"""The sign-in throttle holds across processes: real gunicorn, several workers, one database, many clients at once."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.auth_helpers import PASSWORD, make_user
from timebank.auth.models import SignInFailure
from timebank.db import Database

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3
ATTEMPTS = 16


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(database_url, tmp_path):
    """gunicorn serving ``wsgi:app`` on a free localhost port against the test database; yields (base url, log)."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "TIMEBANK_DATABASE_URL": database_url, "TIMEBANK_SECRET_KEY": "test"}
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
             "--access-logfile", "-", "--access-logformat", "%(p)s %(s)s %(m)s %(U)s", "wsgi:app"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
                time.sleep(0.2)
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def post_json(url: str, body: dict) -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.load(error)


def test_the_throttle_holds_across_gunicorn_workers(database_url, server):
    base, log = server
    db = Database(database_url, pool_size=2)
    try:
        person = make_user(db, "staff")

        def guess(attempt: int):
            return post_json(f"{base}/api/v1/auth/tokens",
                             {"username": person.username, "password": f"Wrong guess {attempt}"})

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(guess, range(ATTEMPTS)))
        statuses = sorted(status for status, _headers, _body in results)
        assert statuses == [401] * 5 + [429] * (ATTEMPTS - 5)
        for status, headers, body in results:
            if status == 429:
                assert body["error"]["code"] == "too_many_attempts"
                assert 0 < int(headers["Retry-After"]) <= 15 * 60

        status, _headers, _body = post_json(f"{base}/api/v1/auth/tokens",
                                            {"username": person.username, "password": PASSWORD})
        assert status == 429  # the right password waits too, whichever worker answers

        failures = db.transaction(lambda s: s.scalar(select(func.count()).select_from(SignInFailure)),
                                  readonly=True)
        assert failures == 5
    finally:
        db.dispose()

    workers = {line.split()[0] for line in log.read_text().splitlines() if "/api/v1/auth/tokens" in line}
    assert len(workers) >= 2, f"every sign-in went to one worker; the test proved nothing:\n{log.read_text()}"

