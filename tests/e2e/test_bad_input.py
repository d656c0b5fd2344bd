"""What a prober sends (issue 6, bugs 11, 12, 14, 15): oversized bodies, half a million unknown keys, JSON nested
hundreds of levels deep, integers past the database's range. Each is refused in SPEC §8's shape (or, on a page,
with a readable page), quickly, and never with a server error."""
from __future__ import annotations

import io
import json
import time

import pytest

from tests.auth_helpers import mint_session_key
from timebank.api.errors import MAX_REPORTED_FIELDS
from timebank.db import get_db
from timebank.api.parsing import MAX_JSON_DEPTH
from timebank.paging import MAX_ID
from timebank.request_limits import DEFAULT_MAX_BODY, MAX_UPLOAD_BODY

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

API = "/api/v1"


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    return body["error"]


@pytest.fixture
def admin(make_user, api_headers):
    return api_headers(make_user("admin"))


# --------------------------------------------------------------------------------------------------- body size (12)

def test_a_json_body_over_the_limit_is_413_in_the_error_shape(client):
    body = json.dumps({"username": "x" * (DEFAULT_MAX_BODY + 10), "password": "y"})
    error = error_of(client.post(f"{API}/auth/tokens", data=body, content_type="application/json"), 413,
                     "payload_too_large")
    assert str(DEFAULT_MAX_BODY) in error["message"]


def test_a_body_without_a_length_is_cut_at_the_limit_too(client):
    # Chunked: no Content-Length to refuse up front; Werkzeug stops reading at the limit. (A server that
    # de-chunks says the stream ends by itself: wsgi.input_terminated, as gunicorn does.)
    stream = io.BytesIO(b'{"username": "' + b"x" * (2 * DEFAULT_MAX_BODY) + b'", "password": "y"}')
    response = client.post(f"{API}/auth/tokens", input_stream=stream, content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    error_of(response, 413, "payload_too_large")


def test_half_a_million_unknown_keys_are_refused_before_they_are_read(client):
    body = json.dumps({f"k{i}": 1 for i in range(550_000)})  # ~7.6 MB, as the prober sent
    started = time.monotonic()
    response = client.post(f"{API}/auth/tokens", data=body, content_type="application/json")
    assert time.monotonic() - started < 2
    error_of(response, 413, "payload_too_large")
    assert len(response.get_data()) < 1000


def test_a_body_full_of_unknown_keys_answers_small_and_fast(client):
    keys = {f"k{i}": 1 for i in range(70_000)}  # as many as fit under the limit
    body = json.dumps({"username": "a", "password": "b", **keys})
    assert len(body) < DEFAULT_MAX_BODY
    started = time.monotonic()
    response = client.post(f"{API}/auth/tokens", data=body, content_type="application/json")
    elapsed = time.monotonic() - started
    error = error_of(response, 422, "validation_error")
    assert len(error["fields"]) == MAX_REPORTED_FIELDS
    assert all(messages == ["Unknown field."] for messages in error["fields"].values())
    assert "70000 fields" in error["message"]
    assert len(response.get_data()) < 5000
    assert elapsed < 3  # measured ~0.2 s: the flood is refused before each key is checked


def test_the_import_accepts_a_file_larger_than_a_json_body(client, admin):
    client.post(f"{API}/centers", json={"code": "JK01", "name": "京口区养老服务中心", "district": "京口区"},
                headers=admin)
    header = "姓名,手机号,服务中心\n".encode()
    line = "王秀英,13805291234,JK01\n".encode()
    big = header + line * ((3 * 1024 * 1024) // len(line))  # 3 MB: over the JSON limit, under the import's
    response = client.post(f"{API}/volunteers/import?dry_run=true", data=big, content_type="text/csv",
                           headers=admin)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    too_big = header + line * ((MAX_UPLOAD_BODY + 1024) // len(line))
    error_of(client.post(f"{API}/volunteers/import?dry_run=true", data=too_big, content_type="text/csv",
                         headers=admin), 413, "payload_too_large")


def test_a_page_form_over_the_limit_gets_a_readable_page(client):
    response = client.post("/sign-in", data={"username": "x" * (DEFAULT_MAX_BODY + 10), "password": "y"})
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "内容过大" in page and "1 MB" in page  # Chinese by default, like every page
    english = client.post("/sign-in", data={"username": "x" * (DEFAULT_MAX_BODY + 10)},
                          headers={"Accept-Language": "en"}, query_string={"lang": "en"})
    assert english.status_code == 413


# ----------------------------------------------------------------------------------------------- deep nesting (14)

@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 326, 100_000])
@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a":', "}")])
def test_deeply_nested_json_is_400_never_a_recursion_error(client, depth, opening, closing):
    body = opening * depth + "1" + closing * depth
    error = error_of(client.post(f"{API}/auth/tokens", data=body, content_type="application/json"), 400,
                     "bad_request")
    assert str(MAX_JSON_DEPTH) in error["message"]


def test_nesting_within_the_limit_and_brackets_inside_strings_are_ordinary_input(client):
    shallow = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    error_of(client.post(f"{API}/auth/tokens", data=shallow, content_type="application/json"), 422,
             "validation_error")
    in_a_string = json.dumps({"username": "[" * 400 + '\\"{' * 50, "password": "x"})
    error = error_of(client.post(f"{API}/auth/tokens", data=in_a_string, content_type="application/json"), 422,
                     "validation_error")
    assert list(error["fields"]) == ["username"]  # too long: a length rule, not a nesting refusal


def test_deep_nesting_is_refused_on_every_json_endpoint(client, admin):
    body = "[" * 1000 + "]" * 1000
    for method, path in (("POST", "/centers"), ("PATCH", "/centers/1"), ("POST", "/users"),
                         ("PATCH", "/volunteers/1"), ("POST", "/service-types")):
        error_of(client.open(f"{API}{path}", method=method, data=body, content_type="application/json",
                             headers=admin), 400, "bad_request")


@pytest.mark.parametrize("body, chinese", [
    ("{bad", "请求内容不是有效的 JSON。"),
    ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), f"嵌套超过 {MAX_JSON_DEPTH} 层"),
])
def test_a_body_that_is_not_json_is_refused_in_the_requests_language(client, body, chinese):
    """Found by trying the API as a client developer: the bad-JSON refusal stayed English under zh-CN."""
    zh = error_of(client.post(f"{API}/auth/tokens", data=body, content_type="application/json",
                              headers={"Accept-Language": "zh-CN"}), 400, "bad_request")
    assert chinese in zh["message"]
    en = error_of(client.post(f"{API}/auth/tokens", data=body, content_type="application/json",
                              headers={"Accept-Language": "en"}), 400, "bad_request")
    assert "JSON" in en["message"] or "nests" in en["message"]
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en["message"])


# -------------------------------------------------------------------------------------------- integer bounds (15)

@pytest.mark.parametrize("value", [MAX_ID + 1, 2**64, -1, 0])
def test_a_volunteer_id_past_the_database_range_is_422_when_creating_a_user(client, admin, value):
    error = error_of(client.post(f"{API}/users", json={"username": "v-huge", "role": "volunteer",
                                                       "volunteer_id": value}, headers=admin),
                     422, "validation_error")
    assert list(error["fields"]) == ["volunteer_id"]


def test_a_volunteer_id_past_the_database_range_is_422_when_changing_a_user(client, admin, make_user):
    user = make_user("staff")
    error = error_of(client.patch(f"{API}/users/{user.user_id}", json={"volunteer_id": MAX_ID + 1},
                                  headers=admin), 422, "validation_error")
    assert list(error["fields"]) == ["volunteer_id"]


@pytest.mark.parametrize("query", [{"page": MAX_ID + 1}, {"per_page": 2**64}, {"center_id": 2**63},
                                   {"actor_user_id": 10**30}])
def test_query_integers_past_their_bound_are_422(client, admin, query):
    error = error_of(client.get(f"{API}/audit", query_string=query, headers=admin), 422, "validation_error")
    assert list(error["fields"]) == list(query)


def test_the_user_form_refuses_a_huge_volunteer_id_without_a_server_error(app, client, make_user):
    admin = make_user("admin")
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(get_db(app), admin)
        session["_fresh"] = True
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post("/users/new", data={"username": "v-huge", "role": "volunteer",
                                               "volunteer_id": str(2**63)})
    assert response.status_code == 422, response.status_code
    assert "v-huge" in response.get_data(as_text=True)  # the form comes back with what was typed


def test_every_integer_field_of_a_request_schema_is_bounded(app):
    # The document says so, so clients and fuzzers know it: every integer a request may carry has a maximum.
    document = app.test_client().get(f"{API}/openapi.json").get_json()
    unbounded = []
    bodies = {media["schema"]["$ref"].rsplit("/", 1)[-1]
              for item in document["paths"].values() for operation in item.values() if isinstance(operation, dict)
              for media in operation.get("requestBody", {}).get("content", {}).values() if "$ref" in media["schema"]}
    assert "UserCreate" in bodies
    for name in bodies:
        for field, spec in document["components"]["schemas"][name].get("properties", {}).items():
            if spec.get("type") == "integer" and "maximum" not in spec:
                unbounded.append(f"{name}.{field}")
    for path, item in document["paths"].items():
        for parameter in item.get("parameters", []) + [p for op in item.values() if isinstance(op, dict)
                                                      for p in op.get("parameters", [])]:
            if parameter["schema"].get("type") == "integer" and "maximum" not in parameter["schema"]:
                unbounded.append(f"{path} {parameter['name']}")
    assert unbounded == []
