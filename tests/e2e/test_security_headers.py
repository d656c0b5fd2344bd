"""Security headers on every response (API, health, pages, assets, errors) and the cookie flags."""
from __future__ import annotations

import pytest
from flask import session

from tests.auth_helpers import make_app
from timebank.security import CONTENT_SECURITY_POLICY

EXPECTED = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@pytest.fixture
def app(sqlite_url):
    # With the schema: public routes such as GET /api/v1/keys read the database.
    return make_app(sqlite_url)


def assert_secured(response, what: str):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, f"{name} on {what} ({response.status_code})"


def test_the_policy_forbids_inline_script_and_framing():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "unsafe-eval" not in CONTENT_SECURITY_POLICY


def test_every_parameterless_get_route_answers_with_the_headers(app):
    client = app.test_client()
    seen = 0
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments:
            assert_secured(client.get(rule.rule), rule.rule)
            seen += 1
    assert seen >= 3


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/auth/me"),  # 401
    ("GET", "/api/v1/no-such-thing"),  # API 404
    ("DELETE", "/api/v1/openapi.json"),  # 405
    ("POST", "/api/v1/auth/tokens"),  # 422
    ("GET", "/healthz"),
    ("GET", "/no-such-page"),  # page 404
    ("GET", "/"),  # a page (a redirect to sign-in when anonymous)
])
def test_errors_and_redirects_carry_the_headers_too(app, method, path):
    assert_secured(app.test_client().open(path, method=method), f"{method} {path}")


def test_static_assets_carry_the_headers(app):
    assets = [rule for rule in app.url_map.iter_rules() if rule.endpoint.endswith("static")]
    client = app.test_client()
    for rule in assets:
        assert_secured(client.get(rule.build({"filename": "no-such-file.css"})[1]), rule.rule)


def session_cookie(app, base_url: str) -> str:
    with app.test_request_context("/", base_url=base_url):
        session["probe"] = 1
        response = app.process_response(app.make_response("ok"))  # saves the session, then the after_request hooks
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(app.config["SESSION_COOKIE_NAME"])]
    return cookie


def flags(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


def test_the_session_cookie_is_httponly_and_samesite_lax(app):
    cookie = flags(session_cookie(app, "http://localhost"))
    assert {"httponly", "samesite=lax"} <= cookie
    assert "secure" not in cookie  # plain HTTP on a developer's machine: a Secure cookie would never come back


def test_cookies_are_secure_when_the_request_is_https(app):
    assert "secure" in flags(session_cookie(app, "https://timebank.example"))
    with app.test_request_context("/", base_url="https://timebank.example"):
        response = app.make_response("ok")
        response.set_cookie("tb_lang", "en")
        response = app.process_response(response)
    assert [c for c in response.headers.getlist("Set-Cookie") if "secure" not in flags(c)] == []
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_an_https_public_address_makes_the_session_cookie_secure(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'timebank.db'}", PUBLIC_URL="https://timebank.zhenjiang.example")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert "secure" in flags(session_cookie(app, "http://localhost"))


def test_a_trusted_proxy_that_says_https_makes_cookies_secure(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'timebank.db'}", TRUSTED_PROXIES=1)
    response = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_plain_http_gets_no_hsts(app):
    assert "Strict-Transport-Security" not in app.test_client().get("/healthz").headers
