"""``/api/v1/auth``: sign in for a bearer token, use it, lose it (expiry, sign-out, password change), throttling."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.auth_helpers import PASSWORD, bearer, fast_hashing, make_app, make_user
from timebank.auth import principals, services
from timebank.auth.access import policy_of
from timebank.auth.models import SignInFailure
from timebank.clock import utcnow
from timebank.db import get_db

WRONG = "Not-the-password 1"


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_hashing(monkeypatch)


def sign_in(client, username, password=PASSWORD, address="203.0.113.7"):
    return client.post("/api/v1/auth/tokens", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def token_of(client, person) -> str:
    response = sign_in(client, person.username, person.password)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def test_signing_in_answers_201_with_a_token_and_its_expiry_with_an_offset(app, client):
    person = make_user(get_db(app), "staff")
    response = sign_in(client, person.username)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert expires_at.utcoffset() is not None
    assert timedelta(hours=11, minutes=59) < expires_at - utcnow() <= timedelta(hours=12)
    assert response.headers["Cache-Control"] == "no-store"


def test_usernames_sign_in_whatever_their_case(app, client):
    person = make_user(get_db(app), "staff", username="wang-fang")
    assert sign_in(client, "Wang-Fang").status_code == 201
    assert sign_in(client, " WANG-FANG ").status_code == 201
    assert sign_in(client, "wang-fan").status_code == 401
    assert person.username == "wang-fang"


def test_the_token_identifies_the_caller(app, client):
    person = make_user(get_db(app), "volunteer")
    response = client.get("/api/v1/auth/me", headers=bearer(token_of(client, person)))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["user_id"], body["username"], body["role"]) == (person.user_id, person.username, "volunteer")
    assert body["volunteer_id"] is not None and body["must_change_password"] is False


def test_token_lifetime_comes_from_the_configuration(database_url):
    app = make_app(database_url, TOKEN_TTL_SECONDS=600)
    try:
        person = make_user(get_db(app), "admin")
        body = sign_in(app.test_client(), person.username).get_json()
        assert timedelta(minutes=9) < datetime.fromisoformat(body["expires_at"]) - utcnow() <= timedelta(minutes=10)
    finally:
        get_db(app).dispose()


def test_a_wrong_password_answers_401_in_the_error_shape(app, client):
    person = make_user(get_db(app), "admin")
    response = sign_in(client, person.username, WRONG)
    assert response.status_code == 401
    assert response.get_json() == {"error": {"code": "unauthorized", "message": "用户名或密码错误。",
                                             "fields": {}}}  # Chinese: the caller named no language
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_deactivated_user_gets_no_token(app, client):
    person = make_user(get_db(app), "staff", active=False)
    response = sign_in(client, person.username)
    assert response.status_code == 401
    assert "已停用" in response.get_json()["error"]["message"]  # Chinese by default, like the pages


def test_the_sixth_rapid_failure_is_answered_429_with_retry_after(app, client):
    person = make_user(get_db(app), "admin")
    statuses = [sign_in(client, person.username, WRONG).status_code for _ in range(5)]
    assert statuses == [401] * 5
    response = sign_in(client, person.username)  # even the right password waits now
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_attempts"
    assert 14 * 60 <= int(response.headers["Retry-After"]) <= 15 * 60


def test_the_throttle_counts_the_client_address_behind_a_trusted_proxy(database_url):
    app = make_app(database_url, TRUSTED_PROXIES=1)
    try:
        client = app.test_client()
        client.post("/api/v1/auth/tokens", json={"username": "nobody", "password": WRONG},
                    headers={"X-Forwarded-For": "198.51.100.23"}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
        addresses = get_db(app).transaction(lambda s: s.scalars(select(SignInFailure.address)).all(), readonly=True)
        assert addresses == ["198.51.100.23"]
    finally:
        get_db(app).dispose()


def test_without_a_trusted_proxy_a_forwarded_address_is_ignored(app, client):
    client.post("/api/v1/auth/tokens", json={"username": "nobody", "password": WRONG},
                headers={"X-Forwarded-For": "198.51.100.23"}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    addresses = get_db(app).transaction(lambda s: s.scalars(select(SignInFailure.address)).all(), readonly=True)
    assert addresses == ["10.0.0.2"]


def test_missing_or_unknown_fields_in_a_sign_in_are_422(client):
    response = client.post("/api/v1/auth/tokens", json={"username": "x", "password": "y", "remember": True})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"remember": ["不应填写此项。"]}
    response = client.post("/api/v1/auth/tokens", json={})
    assert set(response.get_json()["error"]["fields"]) == {"username", "password"}


def test_an_expired_token_answers_401(app, client, monkeypatch):
    person = make_user(get_db(app), "admin")
    token = token_of(client, person)
    moment = utcnow() + timedelta(hours=12, seconds=1)
    monkeypatch.setattr(principals, "utcnow", lambda: moment)  # the clock that checks a token on each request
    response = client.get("/api/v1/auth/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("header", ["Bearer", "Bearer not-a-token", "Basic YWRtaW46eA==", "Token abc", "bearer  "])
def test_a_missing_or_malformed_authorization_answers_401(client, header):
    response = client.get("/api/v1/auth/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_signing_out_ends_the_token(app, client):
    person = make_user(get_db(app), "staff")
    token = token_of(client, person)
    assert client.delete("/api/v1/auth/tokens/current", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401


def test_changing_the_password_ends_every_token_and_the_new_one_signs_in(app, client):
    person = make_user(get_db(app), "supervisor")
    first, second = token_of(client, person), token_of(client, person)
    response = client.post("/api/v1/auth/password", headers=bearer(first),
                           json={"current_password": PASSWORD, "new_password": "Lotus-pond 2024"})
    assert response.status_code == 204
    for token in (first, second):
        assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
    assert sign_in(client, person.username).status_code == 401
    assert sign_in(client, person.username, "Lotus-pond 2024").status_code == 201


def test_a_common_new_password_is_refused_with_the_field_named(app, client):
    person = make_user(get_db(app), "admin")
    response = client.post("/api/v1/auth/password", headers=bearer(token_of(client, person)),
                           json={"current_password": PASSWORD, "new_password": "woaini1314"})
    assert response.status_code == 422
    body = response.get_json()["error"]
    assert body["code"] == "validation_error"
    assert "太常见" in body["fields"]["new_password"][0]  # Chinese: the caller named no language


def test_a_one_time_password_lets_the_user_do_nothing_but_change_it(app, client):
    person = make_user(get_db(app), "admin", must_change_password=True)
    token = token_of(client, person)
    assert client.get("/api/v1/auth/me", headers=bearer(token)).get_json()["must_change_password"] is True
    guarded = [
        rule for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and "GET" in rule.methods and not rule.arguments
        and not policy_of(app.view_functions[rule.endpoint]).allow_pending_password
        and "admin" in policy_of(app.view_functions[rule.endpoint]).roles
    ]
    for rule in guarded:
        response = client.get(rule.rule, headers=bearer(token))
        assert response.status_code == 403, rule.rule
        assert response.get_json()["error"]["code"] == "password_change_required"
    response = client.post("/api/v1/auth/password", headers=bearer(token),
                           json={"current_password": PASSWORD, "new_password": "Lotus-pond 2024"})
    assert response.status_code == 204
    fresh = sign_in(client, person.username, "Lotus-pond 2024").get_json()["token"]
    assert client.get("/api/v1/auth/me", headers=bearer(fresh)).get_json()["must_change_password"] is False
    for rule in guarded:
        assert client.get(rule.rule, headers=bearer(fresh)).status_code not in (401, 403), rule.rule
