"""What every feature's schemas share: credits as decimal strings, one-line text, pages and paging queries.

Schemas are the one contract for the API and the pages: both load requests with them, the OpenAPI document is
generated from them. They check shape (types, lengths, choices); the services normalize and apply the rules.
Unknown fields are refused (marshmallow's default, ``RAISE``).
"""
from __future__ import annotations

import math

from marshmallow import Schema, fields, validate

from timebank.ledger.rules import format_credits, parse_credits
from timebank.paging import MAX_ID, MAX_PAGE, MAX_PER_PAGE


class Credits(fields.Field):
    """Credits as a decimal string with two places (``"1.50"``), stored as integer hundredths (150)."""

    default_error_messages = {"invalid": 'Not a credit amount: a decimal number with at most two places, like "1.50".'}

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


def text_field(max_length: int, **kwargs):
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


class PageSchema(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class PagingQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))
