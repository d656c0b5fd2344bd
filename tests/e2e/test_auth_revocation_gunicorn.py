"""Revocation holds on every worker at once: real gunicorn with several workers, one database. Nothing about who is
signed in is cached in a process, so a revoked token, a changed password, a deactivated user or a signed-out page
session is refused on the very next request, whichever worker answers it."""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from urllib.parse import urlencode

from tests.auth_helpers import PASSWORD, make_user
from tests.e2e.test_auth_throttle_gunicorn import post_json, server  # noqa: F401  (server is a fixture)
from timebank.db import Database
from timebank.auth.models import User

REQUESTS = 24  # spread over the workers: each answers several


def get(url: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def many(url: str, headers: dict | None = None) -> list[tuple[int, str]]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda _: get(url, headers), range(REQUESTS)))


def token_for(base: str, person) -> str:
    status, _headers, body = post_json(f"{base}/api/v1/auth/tokens",
                                       {"username": person.username, "password": person.password})
    assert status == 201, body
    return body["token"]


def workers_answering(log, path: str, status: str) -> set[str]:
    return {line.split()[0] for line in log.read_text().splitlines()
            if line.split()[1:2] == [status] and line.endswith(path)}


def test_a_revoked_token_a_changed_password_and_a_deactivated_user_are_refused_by_every_worker(database_url, server):
    base, log = server
    db = Database(database_url, pool_size=2)
    try:
        me = f"{base}/api/v1/auth/me"
        revoked, changed, deactivated = (make_user(db, "staff") for _ in range(3))

        token = token_for(base, revoked)
        assert [status for status, _ in many(me, {"Authorization": f"Bearer {token}"})] == [200] * REQUESTS
        status, _headers, _body = _delete(f"{base}/api/v1/auth/tokens/current", token)
        assert status == 204
        assert [status for status, _ in many(me, {"Authorization": f"Bearer {token}"})] == [401] * REQUESTS

        token = token_for(base, changed)
        assert [status for status, _ in many(me, {"Authorization": f"Bearer {token}"})] == [200] * REQUESTS
        status, _headers, body = post_json_with(f"{base}/api/v1/auth/password", token,
                                                {"current_password": PASSWORD, "new_password": "Lotus-pond 2024"})
        assert status == 204, body
        assert [status for status, _ in many(me, {"Authorization": f"Bearer {token}"})] == [401] * REQUESTS

        token = token_for(base, deactivated)
        assert [status for status, _ in many(me, {"Authorization": f"Bearer {token}"})] == [200] * REQUESTS

        def deactivate(s):
            s.get(User, deactivated.user_id).active = False

        db.transaction(deactivate)
        assert [status for status, _ in many(me, {"Authorization": f"Bearer {token}"})] == [401] * REQUESTS
    finally:
        db.dispose()

    refusing = workers_answering(log, "/api/v1/auth/me", "401")
    assert len(refusing) >= 2, f"one worker answered every refused request; the test proved nothing:\n{log.read_text()}"


def test_a_signed_out_page_session_is_refused_by_every_worker(database_url, server):
    base, log = server
    db = Database(database_url, pool_size=2)
    try:
        person = make_user(db, "staff")
    finally:
        db.dispose()
    browser = Browser(base)
    browser.sign_in(person.username, PASSWORD)
    copied = browser.session_cookie()
    assert [status for status, _ in many(f"{base}/", {"Cookie": copied})] == [200] * REQUESTS

    status, _location = browser.post("/sign-out", {"csrf_token": browser.csrf_token("/")})
    assert status == 302
    answers = many(f"{base}/", {"Cookie": copied})  # the copy of the cookie from before signing out
    assert all(status == 302 and "/sign-in" in location for status, location in answers), answers
    assert len(workers_answering(log, "/", "302")) >= 2, log.read_text()


# --- by hand: a token's calls, and a browser's few steps --------------------------------------------------------------

def _delete(url: str, token: str):
    request = urllib.request.Request(url, method="DELETE", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), None
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def post_json_with(url: str, token: str, body: dict):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Browser:
    """Cookies kept, redirects not followed, CSRF tokens read from the pages: enough of a browser for signing in."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect)

    def open(self, request) -> tuple[int, str, str]:
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), error.read().decode()

    def csrf_token(self, path: str) -> str:
        status, _location, page = self.open(urllib.request.Request(self.base + path))
        assert status == 200, status
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def post(self, path: str, form: dict) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, data=urlencode(form).encode(), method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        status, location, _page = self.open(request)
        return status, location

    def sign_in(self, username: str, password: str) -> None:
        form = {"csrf_token": self.csrf_token("/sign-in"), "username": username, "password": password, "next": "/"}
        status, location = self.post("/sign-in", form)
        assert status == 302 and "/sign-in" not in location, (status, location)

    def session_cookie(self) -> str:
        found = [cookie for cookie in self.cookies if cookie.name == "session"]
        assert found, "signing in set no session cookie"
        return f"session={found[0].value}"
