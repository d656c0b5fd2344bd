"""What crosses the HTTP boundary for the audit log."""
from __future__ import annotations

from marshmallow import fields, validate

from timebank.paging import MAX_PAGE, MAX_PER_PAGE
from timebank.schemas import Schema, id_field


class AuditEntrySchema(Schema):
    id = fields.Integer(dump_only=True)
    at = fields.AwareDateTime(dump_only=True, format="iso")
    actor_user_id = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "null: the system"})
    actor_name = fields.String(dump_only=True)
    actor_role = fields.String(dump_only=True)
    center_id = fields.Integer(dump_only=True, allow_none=True)
    action = fields.String(dump_only=True, metadata={"example": "volunteer.create"})
    object_type = fields.String(dump_only=True)
    object_id = fields.String(dump_only=True)
    detail = fields.Dict(dump_only=True)


class AuditListQuerySchema(Schema):
    action = fields.String(validate=validate.Length(max=60))
    actor_user_id = id_field()
    center_id = id_field()
    object_type = fields.String(validate=validate.Length(max=40))
    object_id = fields.String(validate=validate.Length(max=80))
    since = fields.AwareDateTime(format="iso", metadata={"description": "ISO 8601 with offset, inclusive"})
    until = fields.AwareDateTime(format="iso", metadata={"description": "ISO 8601 with offset, exclusive"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
