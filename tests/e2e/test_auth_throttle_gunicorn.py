"""The sign-in throttle holds across processes: real gunicorn, several workers, one database, many clients at once."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests.auth_helpers import PASSWORD, make_user
from tests.live_server import gunicorn
from timebank.auth.models import SignInFailure
from timebank.db import Database

WORKERS = 3
ATTEMPTS = 16


@pytest.fixture
def server(database_url, tmp_path):
    """gunicorn serving ``wsgi:app`` on a free localhost port against the test database; yields (base url, log)."""
    log = tmp_path / "gunicorn.log"
    with gunicorn(database_url, log, workers=WORKERS) as base:
        yield base, log


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

