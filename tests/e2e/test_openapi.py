"""``GET /api/v1/openapi.json``: a valid OpenAPI 3 document of every API route, built from the marshmallow schemas
that validate the requests."""
from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from tests.auth_helpers import make_app
from timebank.api import API_PREFIX
from timebank.auth.access import policy_of
from timebank.auth.schemas import PasswordChangeSchema, TokenRequestSchema

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    # The document needs no database: building the app never connects.
    return make_app(f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'unused.db'}")


@pytest.fixture(scope="module")
def document(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def api_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(API_PREFIX + "/")]


def openapi_path(rule) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def test_the_document_is_valid_openapi_3(document):
    assert document["openapi"].startswith("3.")
    validate(document)


def test_the_document_is_public(app):
    assert app.test_client().get("/api/v1/openapi.json").status_code == 200


def test_every_api_route_and_method_is_in_the_document(app, document):
    missing = []
    for rule in api_rules(app):
        for method in {m.lower() for m in rule.methods} & HTTP_METHODS:
            if method not in document["paths"].get(openapi_path(rule), {}):
                missing.append(f"{method.upper()} {rule.rule}")
    assert missing == []


def test_every_operation_says_what_it_does_and_what_it_answers(document):
    # The summary is the view's docstring; the answers come from @blp.response and @blp.refuses.
    vague = [f"{method.upper()} {path}" for path, method, operation in operations(document)
             if not operation.get("summary") or not any(s.startswith("2") for s in operation["responses"])]
    assert vague == [], "give these views a docstring and an @blp.response"


def test_no_yaml_in_docstrings_and_no_home_made_loaders():
    from pathlib import Path

    import timebank

    root = Path(timebank.__file__).parent
    offenders = [str(path.relative_to(root)) for path in root.rglob("*.py")
                 if any(marker in path.read_text(encoding="utf-8")
                        for marker in ("load_body(", "load_query(", "load_operations_from_docstring", "---\n    post:",
                                       "requestBody:\n"))]
    assert offenders == []


def test_operation_ids_are_the_view_names(app, document):
    ids = {operation["operationId"] for _path, _method, operation in operations(document)}
    assert {"create_token", "create_center", "list_centers", "get_center", "update_center"} <= ids
    assert not any(i.startswith("api") for i in ids)


def test_operation_ids_are_unique(document):
    ids = [operation["operationId"] for _path, _method, operation in operations(document)]
    assert len(ids) == len(set(ids))


def test_the_schemas_that_validate_requests_are_listed(document):
    schemas = document["components"]["schemas"]
    for name in ("Error", "TokenRequest", "Token", "PasswordChange", "Principal"):
        assert name in schemas, name
    assert set(schemas["TokenRequest"]["properties"]) == set(TokenRequestSchema().fields)
    assert set(schemas["PasswordChange"]["properties"]) == set(PasswordChangeSchema().fields)
    assert schemas["TokenRequest"]["additionalProperties"] is False  # unknown fields are refused
    assert set(schemas["TokenRequest"]["required"]) == {"username", "password"}


def test_request_bodies_refer_to_named_schemas(document):
    body = document["paths"]["/api/v1/auth/tokens"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/TokenRequest"}
    inline = [f"{method.upper()} {path}" for path, method, operation in operations(document)
              if "$ref" not in operation.get("requestBody", {}).get("content", {})
              .get("application/json", {}).get("schema", {"$ref": "not JSON"})]
    assert inline == [], "JSON bodies should be marshmallow schemas, which refuse unknown fields"


def test_the_security_requirement_follows_the_access_policy(app, document):
    for rule in api_rules(app):
        policy = policy_of(app.view_functions[rule.endpoint])
        for method in {m.lower() for m in rule.methods} & HTTP_METHODS:
            operation = document["paths"][openapi_path(rule)][method]
            if policy.public:
                assert operation["security"] == [], rule.rule
            else:
                assert operation["security"] == [{"bearerAuth": []}], rule.rule
                assert {"401", "403"} <= set(operation["responses"]), rule.rule
    assert document["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}


def test_path_parameters_come_from_the_url_rules(app, document):
    for rule in api_rules(app):
        for method in {m.lower() for m in rule.methods} & HTTP_METHODS:
            item = document["paths"][openapi_path(rule)]
            parameters = item.get("parameters", []) + item[method].get("parameters", [])  # path-wide or per method
            in_path = {p["name"] for p in parameters if p.get("in") == "path"}
            assert in_path == set(rule.arguments), rule.rule


def _response(document, response: dict) -> dict:
    ref = response.get("$ref")
    return document["components"]["responses"][ref.rsplit("/", 1)[-1]] if ref else response


def test_every_refusal_is_documented_in_the_error_shape(document):
    wrong = []
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                schema = _response(document, response).get("content", {}).get("application/json", {}).get("schema")
                if schema != {"$ref": "#/components/schemas/Error"}:
                    wrong.append(f"{method.upper()} {path} {status}")
    assert wrong == []
    error = document["components"]["schemas"]["ErrorDetail"]
    assert set(error["properties"]) == {"code", "message", "fields"} and set(error["required"]) == set(
        error["properties"])


def test_bodies_and_queries_document_their_refusals(document):
    missing = []
    for path, method, operation in operations(document):
        expected = set()
        if "requestBody" in operation:
            expected |= {"413", "422"}
        if any(p.get("in") == "query" for p in operation.get("parameters", [])):
            expected.add("422")
        if "{" in path:
            expected.add("404")
        if not expected <= set(operation["responses"]):
            missing.append(f"{method.upper()} {path}: {sorted(expected - set(operation['responses']))}")
    assert missing == []
    creates = {path: item["post"] for path, item in document["paths"].items()
               if path in ("/api/v1/centers", "/api/v1/volunteers", "/api/v1/users", "/api/v1/service-types")}
    assert all("409" in operation["responses"] for operation in creates.values())
    assert "already_exists" in creates["/api/v1/centers"]["responses"]["409"]["description"]


def test_a_patch_may_send_no_body_and_every_list_is_a_page(document):
    for path, method, operation in operations(document):
        if method == "patch":
            assert operation["requestBody"]["required"] is False, path
        if method == "get" and "{" not in path and path != "/api/v1/openapi.json" and path != "/api/v1/auth/me":
            content = operation["responses"]["200"]["content"]
            if "application/json" not in content:
                continue  # a download (the import template), not a list
            schema = content["application/json"]["schema"]
            page = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
            assert {"items", "total", "page", "per_page", "pages"} <= set(page["properties"]), path
