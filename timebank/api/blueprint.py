"""``ApiBlueprint``: a flask-smorest blueprint that every feature's ``api.py`` makes one of.

On top of flask-smorest it adds, for every view, with nothing to write in the view:

- access control, failing closed: a ``before_request`` authenticates the bearer token and checks the view's
  ``@allow`` policy (a view without one is refused to everyone);
- SPEC §8's error shape on every error (``timebank.api.errors``) and ``Cache-Control: no-store`` on every answer;
- the strict request parser (``timebank.api.parsing``: depth, NUL characters, one location per error);
- the OpenAPI operation's readable ``operationId`` (the view function's name), its security requirement (from
  ``@allow``), and the refusals every view of its kind can answer: 401/403 unless public, 404 with a path parameter,
  400/413/422 with a JSON body, 422 with query parameters. Other refusals are declared with ``@blp.refuses``.
"""
from __future__ import annotations

from flask import current_app, g, request
from flask_smorest import Blueprint

from timebank.api import errors
from timebank.api.errors import ErrorSchema
from timebank.api.parsing import RequestParser
from timebank.auth import services as auth_services
from timebank.auth.access import Principal, Unauthorized, check, policy_of
from timebank.db import get_db

API_PREFIX = "/api/v1"

# Response components (see ``TimebankApi``), by status: what every operation of a kind may answer.
STANDARD_RESPONSES = {
    400: ("BadRequest", "The body is not valid JSON, or nests too deeply (bad_request)."),
    401: ("Unauthorized", "No valid bearer token (unauthorized)."),
    403: ("Forbidden", "The caller's role may not do this (forbidden, password_change_required)."),
    404: ("NotFound", "No such object, or not one this caller may see (not_found)."),
    413: ("PayloadTooLarge", "The body is larger than this operation accepts (payload_too_large)."),
    422: ("ValidationError", "The input is not valid (validation_error); fields says where."),
    429: ("TooManyRequests", "Too many attempts; see Retry-After (too_many_attempts)."),
}


class ApiBlueprint(Blueprint):
    """One feature's part of ``/api/v1``: ``ApiBlueprint("centers", __name__)``, routes relative to the prefix."""

    ARGUMENTS_PARSER = RequestParser()

    def __init__(self, tag: str, import_name: str, *, description: str = "", url_prefix: str = ""):
        super().__init__(f"api_{tag.replace('-', '_')}", import_name, url_prefix=API_PREFIX + url_prefix,
                         description=description)
        self.tag = tag
        self.before_request(_authenticate_and_authorize)
        self.after_request(_not_for_caches)
        errors.install(self)

    def refuses(self, status: int, description: str):
        """Document a refusal in the error shape: ``@blp.refuses(409, "already_exists: the code is taken")``."""
        return self.alt_response(status, schema=ErrorSchema, description=description)

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, *,
                     parameters=None, tags=None, **options):
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, parameters=parameters,
                             tags=tags if tags is not None else [self.tag], **options)
        endpoint = self._endpoints[-1]
        methods = [m.lower() for m in options.get("methods", ("GET",))]
        for method in methods:
            operation_id = view_func.__name__ if len(methods) == 1 else f"{view_func.__name__}_{method}"
            _complete_operation(self._docs[endpoint][method], operation_id, policy_of(view_func),
                                has_path_parameters="<" in rule)


def _complete_operation(doc: dict, operation_id: str, policy, *, has_path_parameters: bool) -> None:
    public = policy is not None and policy.public
    manual = doc.setdefault("manual_doc", {})
    manual.setdefault("operationId", operation_id)
    manual["security"] = [] if public else [{"bearerAuth": []}]

    arguments = doc.get("arguments", {})
    locations = {p["in"] for p in arguments.get("parameters", []) if isinstance(p, dict)}
    arguments.pop("responses", None)  # smorest's generic 422; ours is below
    refusals = set()
    if not public:
        refusals |= {401, 403}
    if has_path_parameters:
        refusals.add(404)
    if "json" in locations or "requestBody" in manual:
        refusals |= {400, 413, 422}
    if "query" in locations:
        refusals.add(422)
    responses = doc.setdefault("response", {}).setdefault("responses", {})
    for status in sorted(refusals):
        if status not in responses:
            responses[status] = [STANDARD_RESPONSES[status][0]]


def current_principal() -> Principal:
    """Who is calling (authenticated by a bearer token). Raises ``Unauthorized`` when nobody is signed in."""
    principal = g.get("api_principal")
    if principal is None:
        raise Unauthorized()
    return principal


def optional_principal() -> Principal | None:
    """Who is calling, or ``None`` for an anonymous caller of a public view."""
    return g.get("api_principal")


def no_content():
    """The answer of a view documented as ``@blp.response(204)``."""
    return current_app.response_class(status=204)


def _authenticate_and_authorize():
    """The one place the API decides who is calling and whether the view's ``@allow`` policy lets them in."""
    g.api_principal = _principal_from_bearer()
    view = current_app.view_functions.get(request.endpoint)
    check(policy_of(view), g.api_principal)


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
    return auth_services.principal_for_token(get_db(), token)
