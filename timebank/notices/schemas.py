"""What crosses the HTTP boundary for expiry notices (SPEC §8.1): ``{kind, lot, credits, expires_at, created_at}``."""
from __future__ import annotations

from marshmallow import fields

from timebank.notices.rules import KINDS
from timebank.schemas import Credits, PageSchema, PagingQuerySchema, Schema


class NoticeSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True, metadata={"enum": list(KINDS), "description": "expiring_30d: the lot "
                         "expires within 30 days; expiring_7d: within 7 days (sent again, a week before)"})
    lot = fields.Integer(dump_only=True, attribute="lot_id", metadata={"description": "the lot the notice is about"})
    credits = Credits(dump_only=True, metadata={"description": "what was left in the lot when the notice was made"})
    expires_at = fields.AwareDateTime(dump_only=True, format="iso", metadata={"description": "when the lot expires"})
    created_at = fields.AwareDateTime(dump_only=True, format="iso", metadata={"description": "when it was sent"})


class NoticePageSchema(PageSchema):
    items = fields.List(fields.Nested(NoticeSchema), required=True, metadata={"description": "newest first"})


class NoticeListQuerySchema(PagingQuerySchema):
    pass
