"""The API's one error path: every refusal leaves as SPEC §8's ``{"error": {"code", "message", "fields"}}``.

``install(blueprint)`` attaches the handlers to an API blueprint: domain errors keep their code and status,
marshmallow's ``ValidationError`` (the request parser raises one for every bad body or query) is a 422, and every
Werkzeug HTTP error (404, 405, 413 …) gets a stable code. The list of field errors is capped, so a body with half a
million unknown keys gets a short answer.

The ``message`` and the field messages are rendered in the caller's language (``Accept-Language``; Chinese when it
names no language of ours, see ``timebank.web.i18n.accepted_language``); the ``code`` is the same in every language.
"""
from __future__ import annotations

from flask import has_request_context, jsonify, request
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, default_exceptions

from timebank.errors import DomainError, ValidationFailed, render, render_message

MAX_REPORTED_FIELDS = 20  # a body with more bad fields than this gets the first ones and a count

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
BODY_TOO_LARGE = _l("The request is too large: at most %(limit)s bytes.")
FIELDS_CAPPED = _l("%(count)s fields have errors; the first %(shown)s are listed.")


class BadRequestBody(DomainError):
    """The body is not valid JSON."""

    message = _l("The body is not valid JSON.")
    code = "bad_request"
    status = 400


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "stable, machine-readable: not_found, …"})
    message = fields.String(required=True, metadata={"description": "for people"})
    field_errors = fields.Dict(  # "fields" on the wire; the attribute name would shadow Schema.fields
        data_key="fields", keys=fields.String(), required=True,
        metadata={"description": "per input field, what is wrong with it (validation_error): a list of messages, "
                                 "or for a nested field an object of the same shape"},
    )


class ErrorSchema(Schema):
    """SPEC §8: every error the API answers."""

    error = fields.Nested(ErrorDetailSchema, required=True)


def translate(message, params: dict | None = None) -> str:
    """A message (a lazy string, or a plain one shown as it is) in the language of this request."""
    return render_message(message, params)


def error_response(status: int, code: str, message, field_errors: dict | None = None, headers: dict | None = None):
    """SPEC §8's error body; ``message`` and the field errors may hold lazy strings, rendered here in the caller's
    language."""
    field_errors, message = _capped(render(field_errors or {}), translate(message))
    response = jsonify({"error": {"code": code, "message": message, "fields": field_errors}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="timebank"'
    return response


def _capped(field_errors: dict, message: str) -> tuple[dict, str]:
    if len(field_errors) <= MAX_REPORTED_FIELDS:
        return field_errors, message
    first = dict(list(field_errors.items())[:MAX_REPORTED_FIELDS])
    return first, f"{message} " + translate(FIELDS_CAPPED, {"count": len(field_errors), "shown": MAX_REPORTED_FIELDS})


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
    if isinstance(error, RequestEntityTooLarge) and has_request_context() and request.max_content_length:
        message = translate(BODY_TOO_LARGE, {"limit": request.max_content_length})
    headers = {}
    for name, value in error.get_headers():
        if name.lower() in ("allow", "retry-after"):
            headers[name] = value
    return error_response(status, code, message, headers=headers)


def install(blueprint) -> None:
    """Attach the handlers to an API blueprint. Every HTTP status is registered by its code as well: the app's own
    handlers for a code (the pages' 404 and 413 pages) would otherwise win over a blueprint's class handler."""
    blueprint.register_error_handler(DomainError, handle_domain_error)
    blueprint.register_error_handler(ValidationError, handle_validation_error)
    blueprint.register_error_handler(HTTPException, handle_http_error)
    for status in default_exceptions:
        blueprint.register_error_handler(status, handle_http_error)
