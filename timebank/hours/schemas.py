"""What crosses the HTTP boundary for service records: the one contract for the API and the pages."""
from __future__ import annotations

from marshmallow import fields, validate

from timebank.hours.rules import (
    COMMENT_MAX,
    NOTE_MAX,
    RATING_MAX,
    RATING_MIN,
    REASON_MAX,
    RECORD_STATUSES,
    normalize_comment,
    normalize_note,
    normalize_reason,
)
from timebank.receipts.links import receipt_url
from timebank.receipts.rules import display_short_code
from timebank.schemas import Credits, PageSchema, PagingQuerySchema, Schema, id_field, text_field

MAX_BATCH = 200  # volunteers in one activity, records in one batch approval


class ReceiptLinkSchema(Schema):
    code = fields.String(dump_only=True, metadata={"description": "the short code a person reads aloud"})
    url = fields.String(dump_only=True, metadata={"description": "exactly the text the receipt's QR encodes"})


def _receipt(record):
    if not record.receipt_token:
        return None
    return {"code": display_short_code(record.receipt_short_code), "url": receipt_url(record.receipt_token)}


class RecordSchema(Schema):
    id = fields.Integer(dump_only=True)
    center = fields.String(dump_only=True, metadata={"description": "the center's code"})
    center_name = fields.String(dump_only=True)
    volunteer_id = fields.Integer(dump_only=True)
    volunteer_name = fields.String(dump_only=True)
    service_type = fields.String(dump_only=True, metadata={"description": "the service type's code"})
    service_type_name = fields.String(attribute="service_type_name_zh", dump_only=True)
    started_at = fields.AwareDateTime(dump_only=True, format="iso")
    ended_at = fields.AwareDateTime(dump_only=True, format="iso")
    minutes = fields.Integer(dump_only=True)
    note = fields.String(dump_only=True, allow_none=True)
    status = fields.String(dump_only=True, metadata={"description": " | ".join(RECORD_STATUSES)})
    source = fields.String(dump_only=True)
    missing_check_out = fields.Boolean(dump_only=True)
    activity_id = fields.Integer(dump_only=True, allow_none=True)
    request_id = fields.Integer(dump_only=True, allow_none=True)
    entered_at = fields.AwareDateTime(dump_only=True, format="iso")
    decided_at = fields.AwareDateTime(dump_only=True, format="iso", allow_none=True)
    reject_reason = fields.String(dump_only=True, allow_none=True)
    credits = Credits(dump_only=True, allow_none=True)
    reversed_at = fields.AwareDateTime(dump_only=True, format="iso", allow_none=True)
    reverse_reason = fields.String(dump_only=True, allow_none=True)
    rating = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "the resident's 1-5"})
    rating_comment = fields.String(dump_only=True, allow_none=True)
    receipt = fields.Function(_receipt, dump_only=True, allow_none=True,
                              metadata={"description": "once approved: {code, url}"})


class RecordPageSchema(PageSchema):
    items = fields.List(fields.Nested(RecordSchema), required=True)


class RecordListSchema(Schema):
    records = fields.List(fields.Nested(RecordSchema), required=True)


class _Period(Schema):
    center = fields.String(required=True, validate=validate.Length(min=1, max=32), metadata={"example": "JK01"})
    service_type = fields.String(required=True, validate=validate.Length(min=1, max=32),
                                 metadata={"example": "visit"})
    started_at = fields.AwareDateTime(required=True, format="iso")
    ended_at = fields.AwareDateTime(required=True, format="iso")
    note = text_field(NOTE_MAX, rule=normalize_note)


class RecordCreateSchema(_Period):
    volunteer_id = id_field(required=True)


class ActivityCreateSchema(_Period):
    volunteer_ids = fields.List(id_field(), required=True, validate=validate.Length(min=1, max=MAX_BATCH))


class BatchApproveSchema(Schema):
    record_ids = fields.List(id_field(), required=True, validate=validate.Length(min=1, max=MAX_BATCH))


class ReasonSchema(Schema):
    reason = text_field(REASON_MAX, rule=normalize_reason, required=True)


class RatingSchema(Schema):
    rating = fields.Integer(required=True, validate=validate.Range(min=RATING_MIN, max=RATING_MAX))
    comment = text_field(COMMENT_MAX, rule=normalize_comment)


class RecordListQuerySchema(PagingQuerySchema):
    center = fields.String(validate=validate.Length(max=32))
    status = fields.String(validate=validate.OneOf(RECORD_STATUSES))
    volunteer_id = id_field()
    from_ = fields.AwareDateTime(data_key="from", format="iso")
    to = fields.AwareDateTime(format="iso")


class _LocalPeriodForm(Schema):
    """The staff's entry form: the day and the clock times as people say them (in ``TIMEBANK_TIMEZONE``); the page
    turns them into the aware ``started_at``/``ended_at`` the services take."""

    service_type = fields.String(required=True, validate=validate.Length(min=1, max=32))
    date = fields.Date(required=True)
    start = fields.Time(required=True)
    end = fields.Time(required=True)
    note = text_field(NOTE_MAX, rule=normalize_note, allow_none=True)


class RecordFormSchema(_LocalPeriodForm):
    volunteer_id = id_field(required=True)


class ActivityFormSchema(_LocalPeriodForm):
    volunteer_ids = fields.List(id_field(), required=True, validate=validate.Length(min=1, max=MAX_BATCH))


class DecisionFormSchema(Schema):
    """The pending list's form: the records ticked, and for a rejection its reason."""

    record_ids = fields.List(id_field(), required=True, validate=validate.Length(min=1, max=MAX_BATCH))
    reason = text_field(REASON_MAX, rule=normalize_reason, allow_none=True)
