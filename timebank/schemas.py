"""What every feature's schemas share: the base ``Schema`` that speaks the reader's language, credits as decimal
strings, one-line text, fields checked by a feature's rule, pages and paging queries.

Schemas are the one contract for the API and the pages: both load requests with them, the OpenAPI document is
generated from them. They check shape (types, lengths, choices) and, with ``by_rule``, the same rule the service
applies, so a form reports every bad field at once. Unknown fields are refused (marshmallow's default, ``RAISE``).

Every schema derives from ``Schema`` below: marshmallow's own messages (required, not a number, unknown field, too
long, out of range, not one of …) are replaced here, once, by sentences that translate themselves.
"""
from __future__ import annotations

import math
from typing import Callable

import marshmallow
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

from timebank.errors import rule_message
from timebank.ledger.rules import format_credits, parse_credits
from timebank.paging import MAX_ID, MAX_PAGE, MAX_PER_PAGE

REQUIRED = _l("This field is required.")
NOT_VALID = _l("This value is not valid.")

# marshmallow's messages, by the field class that defines them and the error key; the most specific class wins.
FIELD_MESSAGES = {
    fields.Field: {"required": REQUIRED, "null": REQUIRED, "validator_failed": NOT_VALID},
    fields.String: {"invalid": _l("Please enter text."), "invalid_utf8": _l("Please enter text.")},
    fields.Number: {"invalid": _l("Please enter a number."), "too_large": _l("This number is too large.")},
    fields.Integer: {"invalid": _l("Please enter a whole number.")},
    fields.Float: {"special": _l("Please enter a number.")},
    fields.Decimal: {"special": _l("Please enter a number.")},
    fields.Boolean: {"invalid": _l("Please choose yes or no.")},
    fields.List: {"invalid": _l("Please send a list.")},
    fields.Tuple: {"invalid": _l("Please send a list.")},
    fields.Mapping: {"invalid": _l("Please send an object.")},
    fields.Nested: {"type": _l("Please send an object.")},
    fields.DateTime: {"invalid": _l("Please enter a date and time, such as 2026-05-01T09:30:00+08:00."),
                      "invalid_awareness": _l("Please give the time with its offset, such as +08:00.")},
    fields.Date: {"invalid": _l("Please enter a date, such as 2026-05-01.")},
    fields.Time: {"invalid": _l("Please enter a time, such as 09:30.")},
    fields.UUID: {"invalid_uuid": NOT_VALID},
    fields.Email: {"invalid": _l("Please enter an email address.")},
    fields.Url: {"invalid": _l("Please enter a web address.")},
}
SCHEMA_MESSAGES = {"type": _l("Please send an object."), "unknown": _l("This field is not expected.")}
# Validators format their message with str.format: {min}, {max}, {equal}, {choices}.
LENGTH_MESSAGES = {
    "message_min": _l("Please enter at least {min} characters."),
    "message_max": _l("Please enter at most {max} characters."),
    "message_all": _l("Please enter between {min} and {max} characters."),
    "message_equal": _l("Please enter exactly {equal} characters."),
}
# The same validator on a list (ticked boxes, ids) counts items, not characters.
LIST_LENGTH_MESSAGES = {
    "message_min": _l("Please choose at least {min}."),
    "message_max": _l("Please choose at most {max}."),
    "message_all": _l("Please choose from {min} to {max}."),
    "message_equal": _l("Please choose exactly {equal}."),
}
RANGE_MESSAGES = {
    "message_min": _l("Please enter a value of at least {min}."),
    "message_max": _l("Please enter a value of at most {max}."),
    "message_all": _l("Please enter a value from {min} to {max}."),
}
ONE_OF_MESSAGE = _l("Please choose one of: {choices}.")
REGEXP_MESSAGE = _l("This value is not in the expected format.")


def overridden_messages() -> list:
    """Every sentence that replaces one of marshmallow's (for the test that each has its Chinese)."""
    found = [m for messages in FIELD_MESSAGES.values() for m in messages.values()]
    found += [*SCHEMA_MESSAGES.values(), *LENGTH_MESSAGES.values(), *LIST_LENGTH_MESSAGES.values(),
              *RANGE_MESSAGES.values(), ONE_OF_MESSAGE, REGEXP_MESSAGE]
    return found


def _marshmallow_default(field_class, key: str):
    for cls in field_class.__mro__:
        if key in cls.__dict__.get("default_error_messages", {}):
            return cls.__dict__["default_error_messages"][key]
    return None


def _ours(field_class, key: str):
    for cls in field_class.__mro__:
        if key in FIELD_MESSAGES.get(cls, {}):
            return FIELD_MESSAGES[cls][key]
    return None


def speak_our_language(field: fields.Field) -> None:
    """Replace the field's (and its validators') marshmallow messages that were left at their defaults."""
    for key, message in list(field.error_messages.items()):
        ours = _ours(type(field), key)
        if ours is not None and message == _marshmallow_default(type(field), key):
            # In a list: marshmallow lists only ``str`` messages itself, and a lazy string is not one.
            field.error_messages[key] = [ours]
    for validator in field.validators:
        if isinstance(validator, validate.Length) and validator.error is None:
            counted = LIST_LENGTH_MESSAGES if isinstance(field, (fields.List, fields.Tuple)) else LENGTH_MESSAGES
            for name, message in counted.items():
                setattr(validator, name, message)
        elif isinstance(validator, validate.Range) and validator.error is None:
            for name, message in RANGE_MESSAGES.items():
                setattr(validator, name, message)
        elif isinstance(validator, validate.OneOf) and validator.error == validate.OneOf.default_message:
            validator.error = ONE_OF_MESSAGE
        elif isinstance(validator, validate.Regexp) and validator.error == validate.Regexp.default_message:
            validator.error = REGEXP_MESSAGE
    for inner in (getattr(field, "inner", None), getattr(field, "key_field", None),
                  getattr(field, "value_field", None), *getattr(field, "tuple_fields", ())):
        if isinstance(inner, fields.Field):
            speak_our_language(inner)


class Schema(marshmallow.Schema):
    """The base of every schema: marshmallow's messages in the reader's language (see ``FIELD_MESSAGES``)."""

    error_messages = SCHEMA_MESSAGES

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        speak_our_language(field_obj)


def by_rule(rule: Callable) -> Callable:
    """A validator that applies a feature's rule (which raises ``ValueError``) exactly as its service will."""

    def check(value) -> None:
        try:
            rule(value)
        except ValueError as error:
            raise ValidationError([rule_message(error)]) from None

    return check


class LengthThenRule(validate.Length):
    """The length (documented in OpenAPI as ``minLength``/``maxLength``), then, if it fits, the feature's rule: one
    message per bad field, and the same one the service would give."""

    def __init__(self, rule: Callable, **kwargs):
        super().__init__(**kwargs)
        self.rule = by_rule(rule)

    def __call__(self, value):
        super().__call__(value)
        self.rule(value)
        return value


class Credits(fields.Field):
    """Credits as a decimal string with two places (``"1.50"``), stored as integer hundredths (150)."""

    default_error_messages = {"invalid": [_l('Please enter credits as a number with at most two decimal places, such as '
                                             '"1.50".')]}

    def __init__(self, **kwargs):
        metadata = {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "example": "1.50", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format_credits(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.make_error("invalid")
            value = repr(value)
        elif isinstance(value, int):
            value = str(value)
        try:
            return parse_credits(value.strip() if isinstance(value, str) else value)
        except ValueError:
            raise self.make_error("invalid") from None


def id_field(**kwargs):
    """A database id given in a body or a query: bounded like every integer field (a BIGINT holds at most
    ``MAX_ID``), so a huge number is a 422 and never reaches a query."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)




def text_field(max_length: int, *, rule: Callable | None = None, **kwargs):
    """A required-when-given one-line text of at most ``max_length`` characters, checked by ``rule`` too if given."""
    if rule is None:
        return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)
    return fields.String(validate=LengthThenRule(rule, min=1, max=max_length), **kwargs)


class PageSchema(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class PagingQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))
