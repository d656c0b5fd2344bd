"""The OpenAPI 3 document, built from the app's routes under ``/api/v1``: each view's docstring YAML (apispec's
convention) with the marshmallow schemas it names, plus what the routes themselves say — path parameters from the
URL rule, the security requirement from ``@allow``, and the standard error responses.
"""
from __future__ import annotations

import re
from importlib import metadata

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.yaml_utils import load_operations_from_docstring
from marshmallow import Schema, fields
from werkzeug.routing import IntegerConverter, UUIDConverter

from timebank.auth.access import policy_of

OPENAPI_VERSION = "3.0.3"
EXTRA_SCHEMAS: list[type[Schema]] = []  # listed by register_schema(); see timebank.api
_HTTP_METHODS = ("get", "put", "post", "delete", "patch")
_RULE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "stable, machine-readable: not_found, …"})
    message = fields.String(required=True, metadata={"description": "for people"})
    field_errors = fields.Dict(  # "fields" on the wire; the attribute name would shadow Schema.fields
        data_key="fields", keys=fields.String(), required=True,
        metadata={"description": "per input field, the list of what is wrong with it (validation_error)"},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


STANDARD_RESPONSES = {
    "BadRequest": ("400", "The body is not valid JSON (bad_request)."),
    "Unauthorized": ("401", "No valid bearer token (unauthorized)."),
    "Forbidden": ("403", "The caller's role may not do this (forbidden, password_change_required)."),
    "NotFound": ("404", "No such object, or not one this caller may see (not_found)."),
    "Conflict": ("409", "Refused by a business rule; the code says which."),
    "ValidationError": ("422", "The input is not valid (validation_error); fields says where."),
    "TooManyRequests": ("429", "Too many attempts; see Retry-After (too_many_attempts)."),
}


def document(app) -> dict:
    """The OpenAPI document of ``app`` (built once per app: routes do not change after start)."""
    cached = app.extensions.get("timebank.openapi")
    if cached is None:
        cached = app.extensions["timebank.openapi"] = build(app)
    return cached


def build(app) -> dict:
    from timebank.api import API_PREFIX

    spec = APISpec(
        title="timebank",
        version=_version(),
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": "A city's volunteer time bank: centers, volunteers, hours, credits, goods, receipts. "
                             "Sign in with POST /api/v1/auth/tokens, then send `Authorization: Bearer <token>`."},
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    for name, (_status, description) in STANDARD_RESPONSES.items():
        spec.components.response(name, {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        })
    for schema in EXTRA_SCHEMAS:
        name = _schema_name(schema)
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=schema)

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if not (rule.rule == API_PREFIX or rule.rule.startswith(API_PREFIX + "/")):
            continue
        view = app.view_functions[rule.endpoint]
        declared = load_operations_from_docstring(view.__doc__ or "")
        operations = {}
        for method in sorted(m.lower() for m in rule.methods or ()):
            if method not in _HTTP_METHODS:
                continue
            operations[method] = _operation(rule, view, method, declared.get(method))
        if operations:
            spec.path(path=_RULE_ARGUMENT.sub(r"{\1}", rule.rule), operations=operations)
    return spec.to_dict()


def _operation(rule, view, method: str, declared: dict | None) -> dict:
    if declared:
        operation = dict(declared)
    else:  # the route exists but its view documents nothing: still listed, and flagged (a test refuses it)
        summary = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
        operation = {"summary": summary, "x-undocumented": True, "responses": {"200": {"description": "OK"}}}
    operation.setdefault("operationId", f"{rule.endpoint}.{method}" if len(_methods(rule)) > 1 else rule.endpoint)
    responses = {str(status): value for status, value in (operation.get("responses") or {}).items()}

    declared_parameters = list(operation.get("parameters") or [])
    named = {p.get("name") for p in declared_parameters if isinstance(p, dict) and p.get("in") == "path"}
    path_parameters = [
        {"name": name, "in": "path", "required": True, "schema": _converter_schema(converter)}
        for name, converter in rule._converters.items() if name not in named
    ]
    if path_parameters or declared_parameters:
        operation["parameters"] = path_parameters + declared_parameters

    policy = policy_of(view)
    if policy is not None and policy.public:
        operation["security"] = []
    else:
        operation["security"] = [{"bearerAuth": []}]
        responses.setdefault("401", {"$ref": "#/components/responses/Unauthorized"})
        responses.setdefault("403", {"$ref": "#/components/responses/Forbidden"})
    if rule._converters:
        responses.setdefault("404", {"$ref": "#/components/responses/NotFound"})
    if "requestBody" in operation:
        responses.setdefault("400", {"$ref": "#/components/responses/BadRequest"})
        responses.setdefault("422", {"$ref": "#/components/responses/ValidationError"})
    elif any(p.get("in") == "query" for p in declared_parameters if isinstance(p, dict)):
        responses.setdefault("422", {"$ref": "#/components/responses/ValidationError"})
    operation["responses"] = responses
    return operation


def _methods(rule) -> set[str]:
    return {m.lower() for m in rule.methods or ()} & set(_HTTP_METHODS)


def _converter_schema(converter) -> dict:
    if isinstance(converter, IntegerConverter):
        bounds = {"minimum": converter.min if converter.min is not None else 0}
        if converter.max is not None:
            bounds["maximum"] = converter.max
        return {"type": "integer", "format": "int64", **bounds}
    if isinstance(converter, UUIDConverter):
        return {"type": "string", "format": "uuid"}
    return {"type": "string"}


def _schema_name(schema: type[Schema]) -> str:
    name = schema.__name__
    return name[: -len("Schema")] if name.endswith("Schema") and name != "Schema" else name


def _version() -> str:
    try:
        return metadata.version("timebank")
    except metadata.PackageNotFoundError:
        return "0"
