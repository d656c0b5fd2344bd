"""Every API error leaves in SPEC §8's shape: ``{"error": {"code", "message", "fields"}}``, with its status."""
from __future__ import annotations

import pytest

from tests.auth_helpers import ROLES, bearer, make_app, make_user, mint_token
from timebank.auth.access import policy_of
from timebank.db import get_db


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]


def test_no_token_is_401_unauthorized(client):
    error = error_of(client.get("/api/v1/auth/me"), 401)
    assert error["code"] == "unauthorized"


def test_a_role_outside_the_policy_is_403_forbidden(app, client):
    db = get_db(app)
    refused = [
        (rule, role)
        for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/") and "GET" in rule.methods
        for role in ROLES
        if not policy_of(app.view_functions[rule.endpoint]).public
        and role not in policy_of(app.view_functions[rule.endpoint]).roles
    ]
    if not refused:
        pytest.skip("no API route refuses any role yet")
    rule, role = refused[0]
    token = mint_token(db, make_user(db, role))
    path = rule.build({name: 999999 for name in rule.arguments})[1] if rule.arguments else rule.rule
    error = error_of(client.get(path, headers=bearer(token)), 403)
    assert error["code"] == "forbidden"


def test_an_unknown_address_under_the_api_is_404_not_found(client):
    for path in ("/api/v1/no-such-thing", "/api/v1/volunteers/1/nothing/here", "/api/v1", "/api/v1/"):
        assert error_of(client.get(path), 404)["code"] == "not_found", path


def test_a_wrong_method_is_405_with_the_allowed_ones(client):
    response = client.delete("/api/v1/openapi.json")
    error = error_of(response, 405)
    assert error["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_missing_fields_are_422_naming_each_field(client):
    error = error_of(client.post("/api/v1/auth/tokens", json={"username": "somebody"},
                                 headers={"Accept-Language": "en"}), 422)
    assert error == {"code": "validation_error", "message": "The request is not valid.",
                     "fields": {"password": ["This field is required."]}}


def test_unknown_fields_are_refused_with_422(client):
    error = error_of(client.post("/api/v1/auth/tokens",
                                 json={"username": "a", "password": "b", "is_admin": True}), 422)
    assert error["fields"] == {"is_admin": ["不应填写此项。"]}  # Chinese: the caller named no language


def test_a_body_that_is_not_an_object_is_422(client):
    error = error_of(client.post("/api/v1/auth/tokens", json=["admin", "secret"]), 422)
    assert error["code"] == "validation_error"
    assert "_schema" in error["fields"]


def test_a_body_that_is_not_json_is_400_bad_request(client):
    error = error_of(client.post("/api/v1/auth/tokens", data="username=admin&password=x",
                                 content_type="application/json"), 400)
    assert error["code"] == "bad_request"


def test_an_empty_body_reports_the_required_fields(client):
    error = error_of(client.post("/api/v1/auth/tokens"), 422)
    assert set(error["fields"]) == {"username", "password"}


def test_a_domain_error_keeps_its_code_and_status(app, client):
    db = get_db(app)
    person = make_user(db, "admin")
    response = client.post("/api/v1/auth/password", headers=bearer(mint_token(db, person)),
                           json={"current_password": "Not-the-password 1", "new_password": "Lotus-pond 2024"})
    error = error_of(response, 422)
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["current_password"]


def test_pages_keep_their_own_404(client):
    response = client.get("/no-such-page-anywhere")
    assert response.status_code == 404
    assert not (response.is_json and "error" in (response.get_json() or {}))


def test_an_unexpected_failure_is_500_in_the_same_shape_without_details(database_url, monkeypatch):
    from timebank.auth import services

    def broken(_db, _token):
        raise RuntimeError("connection string with a password in it")

    monkeypatch.setattr(services, "principal_for_token", broken)
    app = make_app(database_url, TESTING=False, PROPAGATE_EXCEPTIONS=False)
    try:
        response = app.test_client().get("/api/v1/auth/me", headers=bearer("anything"))
        error = error_of(response, 500)
        assert error["code"] == "internal_error"
        assert "password" not in response.get_data(as_text=True)
    finally:
        get_db(app).dispose()


@pytest.mark.parametrize("body, field", [
    ({"username": "adm\u0000in", "password": "x"}, "username"),
    ({"username": "admin", "password": ["x\u0000"]}, "password"),
])
def test_text_with_a_nul_character_is_refused_before_it_reaches_the_database(client, body, field):
    error = error_of(client.post("/api/v1/auth/tokens", json=body, headers={"Accept-Language": "en"}), 422)
    assert error["fields"] == {field: ["NUL characters are not allowed."]}
    chinese = error_of(client.post("/api/v1/auth/tokens", json=body), 422)  # Chinese unless asked otherwise
    assert chinese["fields"] == {field: ["内容中不能含有空字符（NUL）。"]}


def test_an_unknown_query_parameter_is_422_naming_it(app, client):
    db = get_db(app)
    token = mint_token(db, make_user(db, "admin"))
    error = error_of(client.get("/api/v1/centers?per-page=5", headers={**bearer(token), "Accept-Language": "en"}),
                     422)
    assert list(error["fields"]) == ["per-page"] and len(error["fields"]["per-page"]) == 1


def test_a_query_of_the_wrong_type_is_422_in_the_same_shape(app, client):
    db = get_db(app)
    token = mint_token(db, make_user(db, "admin"))
    error = error_of(client.get("/api/v1/centers?page=abc&per_page=0", headers=bearer(token)), 422)
    assert set(error["fields"]) == {"page", "per_page"}


def test_a_patch_without_a_body_changes_nothing_and_succeeds(app, client):
    db = get_db(app)
    token = mint_token(db, make_user(db, "admin"))
    created = client.post("/api/v1/centers", json={"code": "JK01", "name": "京口区养老服务中心", "district": "京口区"},
                          headers=bearer(token))
    assert created.status_code == 201
    response = client.patch(f"/api/v1/centers/{created.get_json()['id']}", headers=bearer(token))
    assert response.status_code == 200 and response.get_json()["name"] == "京口区养老服务中心"
