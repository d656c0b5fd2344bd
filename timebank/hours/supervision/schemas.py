"""What crosses the HTTP boundary for anomalies and the supervisor's lists: the one contract for API and pages."""
from __future__ import annotations

from marshmallow import fields, validate

from timebank.hours.supervision.rules import KINDS
from timebank.schemas import PageSchema, PagingQuerySchema, Schema


class _Period(PagingQuerySchema):
    center = fields.String(validate=validate.Length(max=32), metadata={"description": "a center's code"})
    from_ = fields.AwareDateTime(data_key="from", format="iso",
                                 metadata={"description": "records that started at or after this moment"})
    to = fields.AwareDateTime(format="iso", metadata={"description": "records that started before this moment"})


class AnomalyQuerySchema(_Period):
    kind = fields.String(validate=validate.OneOf(KINDS))


class AnomalySchema(Schema):
    kind = fields.String(dump_only=True, metadata={"description": " | ".join(KINDS)})
    center = fields.String(dump_only=True, metadata={"description": "the center it is listed at (its code)"})
    volunteer_id = fields.Integer(dump_only=True, allow_none=True)
    at = fields.AwareDateTime(dump_only=True, format="iso", metadata={"description": "when its first record started"})
    record_ids = fields.List(fields.Integer(), dump_only=True)
    detail = fields.Dict(dump_only=True, metadata={
        "description": "over_8h_day: {date, minutes}; late_entry: {ended_at, entered_at, days_late}; "
                       "self_approval: {user_id, username}; two_centers_at_once: {other_center, other_record_id, "
                       "started_at, ended_at}; missing_check_out: {status, started_at}"})


class AnomalyPageSchema(PageSchema):
    items = fields.List(fields.Nested(AnomalySchema), required=True)


class ReviewListQuerySchema(_Period):
    reviewed = fields.Boolean()
