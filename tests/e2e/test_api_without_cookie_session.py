"""An API request is known by its bearer token alone: it never reads, verifies or writes the page's cookie session
(no Set-Cookie, no ``Vary: Cookie``), and a page session's cookie does not sign anyone in to the API."""
from __future__ import annotations

import pytest
from flask import session

from tests.auth_helpers import PASSWORD, bearer, fast_hashing, make_app, make_user, mint_token
from timebank.db import get_db


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_hashing(monkeypatch)


@pytest.fixture
def app(database_url):
    application = make_app(database_url)
    yield application
    get_db(application).dispose()


def signed_in_browser(app, person):
    client = app.test_client()
    response = client.post("/sign-in", data={"username": person.username, "password": PASSWORD, "next": "/"})
    assert response.status_code == 302
    assert client.get_cookie("session") is not None
    return client


def test_an_api_request_with_the_page_cookie_leaves_the_cookie_alone(app):
    person = make_user(get_db(app), "admin")
    browser = signed_in_browser(app, person)
    cookie = browser.get_cookie("session").value
    token = mint_token(get_db(app), person)

    for path in ("/api/v1/centers", "/api/v1/no-such-thing"):
        response = browser.get(path, headers=bearer(token))
        assert response.status_code in (200, 404)
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")
    assert browser.get_cookie("session").value == cookie
    assert browser.get("/").status_code == 200  # the page session is untouched and still signed in


def test_the_page_cookie_alone_does_not_sign_in_to_the_api(app):
    person = make_user(get_db(app), "admin")
    browser = signed_in_browser(app, person)
    response = browser.get("/api/v1/centers")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_an_api_request_sees_an_empty_session_that_is_never_saved(app):
    person = make_user(get_db(app), "admin")
    cookie = f"session={signed_in_browser(app, person).get_cookie('session').value}"
    with app.test_request_context("/api/v1/centers", headers={"Cookie": cookie}):
        assert dict(session) == {}  # the signed-in page session is not even read
        session["written"] = "by mistake"
        response = app.process_response(app.response_class("{}"))
        assert "Set-Cookie" not in response.headers
    with app.test_request_context("/", headers={"Cookie": cookie}):
        assert "_user_id" in session  # a page reads its session
