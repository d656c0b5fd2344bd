"""How the API reads a request: webargs' Flask parser (which ``@blp.arguments`` uses), made strict about bad input.

- A body is read as JSON whatever its Content-Type says (a client that forgets the header still gets its fields
  checked); an empty body is an empty object, so every required field is reported missing.
- Nesting deeper than ``MAX_JSON_DEPTH`` is refused (400) before the JSON parser sees it: Python's parser would
  recurse until ``RecursionError``.
- Unknown query parameters are refused (422), like unknown body fields.
- No text with a NUL character gets in: PostgreSQL cannot store one, and no person types one.
- A validation error is raised as marshmallow's ``ValidationError`` with the messages of the one location that was
  read, so ``timebank.api.errors`` answers it in SPEC §8's shape (422 ``validation_error``).

The body size is bounded earlier, by ``MAX_CONTENT_LENGTH`` (see ``timebank.request_limits``).
"""
from __future__ import annotations

import re
from itertools import accumulate

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import RequestEntityTooLarge

from timebank.api.errors import MAX_REPORTED_FIELDS, BadRequestBody
from timebank.errors import ValidationFailed

MAX_JSON_DEPTH = 32  # our schemas nest three levels at most

_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
NUL_MESSAGE = _l("NUL characters are not allowed.")


def nests_deeper_than(data: bytes, limit: int) -> bool:
    """Whether the arrays and objects of a JSON text nest more than ``limit`` levels (brackets inside strings do not
    count). Linear, and instant for the usual body, which has fewer brackets than the limit."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", data).translate(None, _NOT_A_BRACKET)
    return max(accumulate(_DEPTH_STEP[b] for b in brackets), default=0) > limit


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul_characters(payload) -> None:
    if isinstance(payload, dict):
        bad = {str(key): [NUL_MESSAGE] for key, value in payload.items() if _has_nul(key) or _has_nul(value)}
    else:
        bad = {"_schema": [NUL_MESSAGE]} if _has_nul(payload) else {}
    if bad:
        raise ValidationError(bad)


def _refuse_floods_of_unknown_keys(payload, schema) -> None:
    """A body with far more keys than the schema knows is refused at once, naming a few of the unknown ones:
    checking (and reporting) each of tens of thousands of keys would only cost time and bytes."""
    if not isinstance(payload, dict) or len(payload) <= len(schema.fields) + MAX_REPORTED_FIELDS:
        return
    known = {field.data_key or name for name, field in schema.fields.items()}
    unknown = (key for key in payload if key not in known)
    count = len(payload) - len(known & payload.keys())
    raise ValidationFailed(
        f"The request is not valid ({count} fields have errors; the first {MAX_REPORTED_FIELDS} are listed.)",
        fields={str(key): ["Unknown field."] for key, _ in zip(unknown, range(MAX_REPORTED_FIELDS))})


class RequestParser(FlaskParser):
    # Unknown query parameters are refused like unknown body fields: a typo (?per-page=) must not pass unnoticed.
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE, "querystring": RAISE}

    def _raw_load_json(self, req):
        data = req.get_data(cache=True)
        limit = req.max_content_length
        if limit is not None and req.content_length is None and len(data) >= limit:
            # A stream without a length (chunked) is cut at the limit rather than refused: refuse it here.
            raise RequestEntityTooLarge()
        if not data.strip():
            return core.missing
        if nests_deeper_than(data, MAX_JSON_DEPTH):
            raise BadRequestBody(_l("The body nests arrays or objects more than %(levels)s levels deep."), levels=MAX_JSON_DEPTH)
        try:
            return core.parse_json(data)
        except RecursionError:  # cannot happen below the depth limit; never a 500 if it does
            raise BadRequestBody(_l("The body nests too deeply.")) from None

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise BadRequestBody()

    def load_json(self, req, schema):
        payload = super().load_json(req, schema)
        if payload is not core.missing:
            _refuse_floods_of_unknown_keys(payload, schema)
            _refuse_nul_characters(payload)
        return payload

    def load_querystring(self, req, schema):
        _refuse_nul_characters({key: req.args.getlist(key) for key in req.args})
        return super().load_querystring(req, schema)

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        # webargs has put the messages under the location they came from ({"json": {...}}): one location per
        # decorator, so the location adds nothing for the client.
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1:
            messages = next(iter(messages.values()))
        raise ValidationError(messages)
