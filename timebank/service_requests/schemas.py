"""What crosses the HTTP boundary for service requests: the one contract for the API and the pages."""
from __future__ import annotations

from marshmallow import fields, validate

from timebank.hours.schemas import MAX_BATCH
from timebank.schemas import PageSchema, PagingQuerySchema, Schema, by_rule, id_field, text_field
from timebank.service_requests.rules import (
    NEEDED_MAX,
    NEEDED_MIN,
    NOTE_MAX,
    PLACE_MAX,
    REASON_MAX,
    REQUEST_STATUSES,
    RESIDENT_MAX,
    check_needed,
    normalize_note,
    normalize_place,
    normalize_reason,
    normalize_resident,
)


class ClaimantSchema(Schema):
    volunteer_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    claimed_at = fields.AwareDateTime(dump_only=True, format="iso")


class RecordLineSchema(Schema):
    id = fields.Integer(dump_only=True)
    volunteer_id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True)


class RequestSchema(Schema):
    id = fields.Integer(dump_only=True)
    center = fields.String(dump_only=True, metadata={"description": "the center's code"})
    center_name = fields.String(dump_only=True)
    service_type = fields.String(dump_only=True, metadata={"description": "the service type's code"})
    service_type_name = fields.String(attribute="service_type_name_zh", dump_only=True)
    resident = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "null unless the caller is the center's staff or a volunteer who claimed it"})
    starts_at = fields.AwareDateTime(dump_only=True, format="iso")
    ends_at = fields.AwareDateTime(dump_only=True, format="iso")
    place = fields.String(dump_only=True)
    note = fields.String(dump_only=True, allow_none=True)
    volunteers_needed = fields.Integer(dump_only=True)
    places_left = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, metadata={"description": " | ".join(REQUEST_STATUSES)})
    claimed_by_me = fields.Boolean(dump_only=True)
    volunteer_ids = fields.List(fields.Integer(), dump_only=True, metadata={
        "description": "who claimed it (shown to the center's staff and to the claimants)"})
    volunteers = fields.List(fields.Nested(ClaimantSchema), dump_only=True)
    records = fields.List(fields.Nested(RecordLineSchema), dump_only=True, metadata={
        "description": "once completed: the pending service record of each volunteer who served"})
    created_at = fields.AwareDateTime(dump_only=True, format="iso")
    closed_at = fields.AwareDateTime(dump_only=True, format="iso", allow_none=True)
    cancel_reason = fields.String(dump_only=True, allow_none=True)


class RequestPageSchema(PageSchema):
    items = fields.List(fields.Nested(RequestSchema), required=True)


class RequestCreateSchema(Schema):
    center = fields.String(required=True, validate=validate.Length(min=1, max=32), metadata={"example": "JK01"})
    service_type = fields.String(required=True, validate=validate.Length(min=1, max=32),
                                 metadata={"example": "visit"})
    resident = text_field(RESIDENT_MAX, rule=normalize_resident, required=True,
                          metadata={"description": "a name or label, as little as will do", "example": "3号楼 张奶奶"})
    starts_at = fields.AwareDateTime(required=True, format="iso")
    ends_at = fields.AwareDateTime(required=True, format="iso")
    place = text_field(PLACE_MAX, rule=normalize_place, required=True)
    note = text_field(NOTE_MAX, rule=normalize_note)
    # The rule alone says what is wrong (one message, the service's); the document still states the bounds.
    volunteers_needed = fields.Integer(load_default=1, validate=by_rule(check_needed),
                                       metadata={"minimum": NEEDED_MIN, "maximum": NEEDED_MAX})


class ClaimSchema(Schema):
    volunteer_id = id_field(metadata={"description": "staff: the volunteer to assign; a volunteer sends {}"})


class CompleteSchema(Schema):
    started_at = fields.AwareDateTime(required=True, format="iso")
    ended_at = fields.AwareDateTime(required=True, format="iso")
    volunteer_ids = fields.List(id_field(), validate=validate.Length(min=1, max=MAX_BATCH), metadata={
        "description": "who served, among the claimants (default: every claimant)"})


class CancelSchema(Schema):
    reason = text_field(REASON_MAX, rule=normalize_reason, required=True)


class RequestListQuerySchema(PagingQuerySchema):
    center = fields.String(validate=validate.Length(max=32))
    status = fields.String(validate=validate.OneOf(REQUEST_STATUSES))
    from_ = fields.AwareDateTime(data_key="from", format="iso")
    to = fields.AwareDateTime(format="iso")
