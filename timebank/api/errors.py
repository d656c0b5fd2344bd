"""The API's one error path: every refusal leaves as SPEC §8's ``{"error": {"code", "message", "fields"}}``.

The ``message`` and the field messages are rendered in the caller's language (``Accept-Language``; Chinese when it
names no language of ours, see ``timebank.web.i18n.accepted_language``); the ``code`` is the same in every language.
"""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, InternalServerError

from timebank.errors import DomainError, ValidationFailed, render, render_message

# Werkzeug's HTTP errors, by status, as stable codes. A status not listed gets its name in snake_case.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
}

HTTP_MESSAGES = {
    400: _l("The request could not be read."),
    401: _l("Please sign in first."),
    403: _l("Your role may not do this."),
    404: _l("There is nothing at this address."),
    405: _l("This address does not accept that method."),
    409: _l("The request conflicts with the current state."),
    413: _l("The request is too large."),
    415: _l("This type of content is not accepted here."),
    422: _l("The request is not valid."),
    429: _l("Too many requests. Please wait a moment and try again."),
    500: _l("Something went wrong on the server."),
}


def translate(message, params: dict | None = None) -> str:
    """A message (a lazy string, or a plain one shown as it is) in the language of this request."""
    return render_message(message, params)


def error_response(status: int, code: str, message, fields: dict | None = None, headers: dict | None = None):
    """SPEC §8's error body; ``message`` and ``fields`` may hold lazy strings, rendered here in the caller's language."""
    response = jsonify({"error": {"code": code, "message": translate(message), "fields": render(fields or {})}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="timebank"'
    return response


def handle_domain_error(error: DomainError):
    headers = {}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(int(retry_after))
    return error_response(error.status, error.code, error.text(), error.fields, headers)


def handle_validation_error(error: ValidationError):
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return error_response(422, ValidationFailed.code, ValidationFailed.message, messages)


def handle_http_error(error: HTTPException):
    status = error.code or 500
    code = HTTP_CODES.get(status) or error.name.lower().replace(" ", "_").replace("'", "")
    message = HTTP_MESSAGES.get(status) or error.name
    headers = {}
    for name, value in error.get_headers():
        if name.lower() in ("allow", "retry-after"):
            headers[name] = value
    return error_response(status, code, message, headers=headers)


def _is_api_path(path: str) -> bool:
    from timebank.api import API_PREFIX

    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def _answer_routing_errors_as_json():
    # An unknown URL or method under /api/v1 matches no view, so no blueprint handler sees it; answer it here,
    # before Flask raises it, so the API's shape does not depend on whichever 404 page the app has.
    error = request.routing_exception
    if isinstance(error, HTTPException) and (error.code or 0) >= 400 and _is_api_path(request.path):
        return handle_http_error(error)
    return None


def install(bp) -> None:
    """Attach the handlers to the API blueprint (once, at import: a registered blueprint takes no more setup)."""
    bp.register_error_handler(DomainError, handle_domain_error)
    bp.register_error_handler(ValidationError, handle_validation_error)
    bp.register_error_handler(HTTPException, handle_http_error)
    bp.register_error_handler(InternalServerError, handle_http_error)


def init_app(app) -> None:
    # First of the app's before_request functions: nothing else should see a request that matched no route.
    app.before_request_funcs.setdefault(None, []).insert(0, _answer_routing_errors_as_json)
