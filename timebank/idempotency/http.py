"""``@idempotent``: SPEC §4.5 and §8.1's ``Idempotency-Key`` for any Flask view.

How a request under a key runs
==============================

1. The header is checked first, outside any transaction: missing on a view declared ``required=True``, or outside
   1–160 characters, is a 422 ``validation_error`` whose ``fields`` name ``Idempotency-Key``. On a view with
   ``required=False`` a request without the header just runs. Keys are scoped to the caller (``user:<id>``), so two
   people may use the same key; an anonymous request's key is ignored (there is nothing to scope it to), and a
   ``required=True`` view reached anonymously is a bug (it answers 500: such a view is never public).
2. One unit of work (``Database.transaction``) holds everything that follows, so the key and the effect commit
   together or not at all:
   - the stored answer under (caller, key), if any, is returned byte for byte (status, content type, body, and the
     ``Location``/``Content-Language`` headers), plus ``Idempotent-Replayed: true``, without running the view; the same key
     with another method, path (query included) or body (compared by a canonical fingerprint: JSON key order and
     whitespace do not matter) is a 409 ``idempotency_conflict``;
   - otherwise the key is claimed (its row inserted first: a concurrent request under the same key waits on the
     primary key, then fails with a unique violation, and the runner's retry replays the winner's answer), the view
     runs inside a SAVEPOINT, and its answer is stored in the claimed row.
   The services the view calls open their own units of work with ``db.transaction``; inside this one they JOIN it
   (see ``timebank.db``), so the view's effects are in the same transaction as the key.
3. What is stored, and what is not:
   - every answer the view returns with a status below 500, except 400 and 422;
   - a ``DomainError`` refusal the view raises (409 ``insufficient_credits``, 404 ``not_found``, 403 …): the
     SAVEPOINT is rolled back (so nothing the view did survives), SPEC §8's error response is stored, and the key stays
     refused: the same request under it gets the same refusal, even after the caller has earned the credits;
   - NOT stored: 422 validation errors (marshmallow's, or a ``ValidationFailed`` raised by a rule) and 400s. Such a
     request was not acceptable and nothing was attempted; the whole unit is rolled back, including the claim, so the
     client may correct the body and send it again under the same key (as Stripe does). Also NOT stored: any 5xx and
     any other exception (both roll everything back and leave the key free for a retry).
   Exceptions that are not stored are re-raised unchanged, so the app's own error handlers render them.

Using it
========

Put it under the route decorator and above the argument/response decorators, so that what it stores is the final
response::

    @bp.post("/drives/<int:drive_id>/reservations")
    @allow("staff", "volunteer")
    @idempotent(required=True)
    def reserve(drive_id):
        ...

The view may return anything Flask accepts (``current_app.make_response`` turns it into the bytes stored). It must
be safe to run again from the start (a retry reruns it) and must not stream.
"""
from __future__ import annotations

import functools
from typing import Callable

from flask import current_app, g, request
from flask_login import current_user

from timebank.api.errors import handle_domain_error
from timebank.db import get_db
from timebank.errors import DomainError
from timebank.idempotency import services
from timebank.idempotency.errors import HEADER, IdempotencyConflict, IdempotencyKeyMissing

REPLAYED_HEADER = "Idempotent-Replayed"
REPLAYED_HEADERS = ("Location", "Content-Language")  # the response headers stored and replayed with the body
NOT_STORED = frozenset({400, 422})  # and every status from 500


def is_stored(status: int) -> bool:
    return status < 500 and status not in NOT_STORED


def principal_key(principal) -> str:
    """The caller's stable key: ``user:<id>``, or for a system principal (CLI, jobs) ``system:<name>``."""
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    return f"{principal.role}:{principal.username}"[:80]


def caller_of_request() -> str | None:
    """Who is calling: the API's bearer principal, else the signed-in page user; ``None`` when anonymous."""
    principal = g.get("api_principal")
    if principal is None and getattr(current_user, "is_authenticated", False):
        principal = current_user._get_current_object()
    return principal_key(principal) if principal is not None else None


def idempotent(*, required: bool, caller: Callable[[], str | None] = caller_of_request):
    """Make a view honour ``Idempotency-Key`` (required for every endpoint that moves credits or stock)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            key = request.headers.get(HEADER)
            if key is None and not required:
                return view(*args, **kwargs)
            try:
                if key is None:
                    raise IdempotencyKeyMissing()
                services.check_key(key)
            except DomainError as refusal:
                return handle_domain_error(refusal)
            who = caller()
            if who is None:
                if required:
                    raise RuntimeError(f"{request.endpoint} requires an {HEADER} but was reached anonymously")
                return view(*args, **kwargs)
            asked = services.identify(request.method, request.path, list(request.args.items(multi=True)),
                                      request.get_data(cache=True))
            db = get_db()
            if db.in_transaction:  # joined, a rollback here would not undo the claim: the view must own its unit
                raise RuntimeError(f"{request.endpoint}: an idempotent view runs in a unit of work of its own")
            try:
                return db.transaction(lambda s: _run_once(s, who, key, asked, view, args, kwargs))
            except IdempotencyConflict as conflict:
                return handle_domain_error(conflict)
            except _NotStored as not_stored:
                return not_stored.response

        wrapper._timebank_idempotency = {"required": required}  # read by the OpenAPI document
        return wrapper

    return decorate


def openapi_parameter(*, required: bool) -> dict:
    """The header as an OpenAPI 3 parameter, for the document of a view decorated with ``@idempotent``."""
    return {"in": "header", "name": HEADER, "required": required,
            "description": "Retrying with the same key and body returns the first answer; another body is a 409.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 160}}


class _NotStored(Exception):
    """Carries an answer that is returned but not stored out of the unit of work, rolling the unit back."""

    def __init__(self, response):
        super().__init__(response.status_code)
        self.response = response


def _run_once(s, who: str, key: str, asked: services.RequestIdentity, view, args, kwargs):
    stored = services.find_answer(s, caller=who, key=key, request=asked)
    if stored is not None:
        return _replay(stored)
    services.claim(s, caller=who, key=key, request=asked)
    try:
        with s.begin_nested():
            response = current_app.make_response(view(*args, **kwargs))
            if not is_stored(response.status_code):
                raise _NotStored(response)  # rolls back the savepoint here and the claim in the runner
    except DomainError as refusal:
        if not is_stored(refusal.status):
            raise
        response = handle_domain_error(refusal)
    if response.is_streamed:
        raise RuntimeError(f"{request.endpoint}: an idempotent view must not stream its answer")
    services.store_answer(s, caller=who, key=key, answer=services.Answer(
        status=response.status_code, content_type=response.headers.get("Content-Type", ""),
        body=response.get_data(),
        headers={name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers},
    ))
    return response


def _replay(answer: services.Answer):
    response = current_app.response_class(answer.body, status=answer.status)
    if answer.content_type:
        response.headers["Content-Type"] = answer.content_type
    else:
        del response.headers["Content-Type"]
    for name, value in answer.headers.items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response
