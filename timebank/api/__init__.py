"""The JSON API under ``/api/v1`` (SPEC §8): one blueprint, one authentication and authorization point, one error
path, and an OpenAPI document generated from the marshmallow schemas that validate the requests.

How a feature adds an endpoint
==============================

1. Put the feature's module in ``API_MODULES`` below (the ONE list; ``init_app`` imports it before the blueprint is
   registered, so every route must be defined at import time).
2. In that module (``timebank/<feature>/api.py``) define each view on ``timebank.api.bp``, declare who may call it
   with ``@allow`` (a view without it is refused to everyone), load the body with ``load_body(Schema)``, call ONE
   service with ``actor=current_principal()``, and dump with a schema. The docstring's YAML after ``---`` is the
   view's OpenAPI operation (apispec's convention); it names schemas by their class name, which puts them into
   ``components.schemas`` of the document::

       from timebank.api import bp, current_principal, load_body
       from timebank.auth.access import allow
       from timebank.db import get_db
       from timebank.centers.services import create_center
       from timebank.centers.schemas import CenterCreateSchema, CenterSchema


       @bp.post("/centers")
       @allow("admin")
       def create_center():
           \"\"\"Open a center.
           ---
           post:
             tags: [centers]
             summary: Open a center
             requestBody:
               required: true
               content:
                 application/json:
                   schema: CenterCreateSchema
             responses:
               201:
                 description: the new center
                 content:
                   application/json:
                     schema: CenterSchema
           \"\"\"
           data = load_body(CenterCreateSchema)
           center = create_center(get_db(), actor=current_principal(), **data)
           return CenterSchema().dump(center), 201

   - Query strings: load with ``load_query(Schema)`` and document with
     ``parameters: [{in: query, schema: CenterListQuerySchema}]`` (the plugin expands it into one parameter per field).
   - Path parameters (``<int:center_id>``) are documented automatically from the URL rule; list them only to add a
     description.
   - The error responses are added automatically where they apply and need not be written: 401 and 403 on every
     non-public view, 400 and 422 on every view with a ``requestBody``, 422 on every view with query parameters, 404
     on every view with a path parameter; all use ``#/components/schemas/Error``. Document other refusals (409 ``insufficient_credits`` …) with
     ``$ref: "#/components/responses/Conflict"`` or your own description.
   - The security requirement (bearer token, or none for ``@allow(public=True)``) comes from the ``@allow`` policy.
   - A schema that no view names (say, one nested only at runtime) can be listed with ``register_schema(Schema)``.
   - A view whose docstring has no YAML still appears (so nothing is hidden) but is flagged ``x-undocumented`` and
     ``tests/e2e/test_openapi.py`` fails until it is documented.
3. ``tests/e2e/test_openapi.py`` validates the whole document as OpenAPI 3 and checks that every route is in it;
   ``tests/e2e/test_route_sweep.py`` calls every route as every role — a new view is covered without new code.

Errors: raise a ``timebank.errors.DomainError`` (or let marshmallow's ``ValidationError`` escape from
``load_body``); the handler answers SPEC §8's ``{"error": {"code", "message", "fields"}}`` with its status. Never build
an error response by hand in a view.
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import BadRequest

from timebank.auth.access import Principal, Unauthorized, check, policy_of

API_PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)

from timebank.api import errors  # noqa: E402  (needs bp)

errors.install(bp)


def current_principal() -> Principal:
    """Who is calling (authenticated by a bearer token). Raises ``Unauthorized`` when nobody is signed in."""
    principal = g.get("api_principal")
    if principal is None:
        raise Unauthorized()
    return principal


def optional_principal() -> Principal | None:
    """Who is calling, or ``None`` for an anonymous caller of a public view."""
    return g.get("api_principal")


def load_body(schema: type[Schema] | Schema, **kwargs) -> dict:
    """The JSON body loaded with ``schema`` (unknown fields refused); a ``ValidationError`` becomes a 422."""
    instance = schema(**kwargs) if isinstance(schema, type) else schema
    payload = request.get_json(force=True, silent=True)
    if payload is None:
        if request.get_data(cache=True).strip():
            raise BadRequest("the body is not valid JSON")
        payload = {}  # no body at all: every required field is reported missing (422)
    _refuse_nul_characters(payload)
    return instance.load(payload)


def load_query(schema: type[Schema] | Schema, **kwargs) -> dict:
    """The query string loaded with ``schema``; a ``ValidationError`` becomes a 422."""
    instance = schema(**kwargs) if isinstance(schema, type) else schema
    query = _query_dict(instance)
    _refuse_nul_characters(query)
    return instance.load(query)


def register_schema(schema: type[Schema]) -> type[Schema]:
    """List ``schema`` in the OpenAPI document even if no view's docstring names it. Usable as a class decorator."""
    from timebank.api import openapi

    openapi.EXTRA_SCHEMAS.append(schema)
    return schema


def _refuse_nul_characters(payload) -> None:
    """No text with a NUL character gets in: PostgreSQL cannot store one, and no person types one."""
    def has_nul(value) -> bool:
        if isinstance(value, str):
            return "\x00" in value
        if isinstance(value, dict):
            return any(has_nul(k) or has_nul(v) for k, v in value.items())
        if isinstance(value, list):
            return any(has_nul(v) for v in value)
        return False

    if isinstance(payload, dict):
        bad = {str(key): ["NUL characters are not allowed."] for key, value in payload.items()
               if has_nul(key) or has_nul(value)}
    else:
        bad = {"_schema": ["NUL characters are not allowed."]} if has_nul(payload) else {}
    if bad:
        raise ValidationError(bad)


def _query_dict(schema: Schema) -> dict:
    """Query arguments as a dict: a field declared as a List takes every value, other fields take the last one."""
    from marshmallow import fields

    result = {}
    for key in request.args:
        field = schema.fields.get(key) or next(
            (f for f in schema.fields.values() if f.data_key == key), None
        )
        values = request.args.getlist(key)
        result[key] = values if isinstance(field, fields.List) else values[-1]
    return result


@bp.before_request
def _authenticate_and_authorize():
    """The one place the API decides who is calling and whether the view's ``@allow`` policy lets them in."""
    g.api_principal = _principal_from_bearer()
    view = current_app.view_functions.get(request.endpoint)
    check(policy_of(view), g.api_principal)


@bp.after_request
def _not_for_caches(response):
    # API answers carry tokens and personal data: no shared or browser cache may keep them.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _principal_from_bearer() -> Principal | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    from timebank.auth import services
    from timebank.db import get_db

    return services.principal_for_token(get_db(), token)


def init_app(app) -> None:
    """Install the error path and register ``bp``: every feature's API module has added its routes by now
    (``create_app``'s module imports them first)."""
    errors.init_app(app)
    app.register_blueprint(bp)
