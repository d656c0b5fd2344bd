"""What crosses the HTTP boundary for check-ins: the one contract for the API and the pages."""
from __future__ import annotations

from marshmallow import fields, validate

from timebank.check_ins.codes import MAX_TEXT_LENGTH
from timebank.hours.schemas import RecordSchema
from timebank.schemas import Schema


class PosterCodeSchema(Schema):
    text = fields.String(dump_only=True, metadata={"description": "what the poster's QR encodes (an uppercase URL)"})
    url = fields.String(dump_only=True, metadata={"description": "the same text: a phone's camera opens it"})
    center = fields.String(dump_only=True, metadata={"description": "the center's code"})
    center_name = fields.String(dump_only=True)
    shown_at = fields.AwareDateTime(dump_only=True, format="iso", metadata={"description": "its slot began"})
    refresh_at = fields.AwareDateTime(dump_only=True, format="iso",
                                      metadata={"description": "when the poster shows the next code"})
    expires_at = fields.AwareDateTime(dump_only=True, format="iso",
                                      metadata={"description": "after this a scan of it is refused (2 minutes)"})
    server_time = fields.AwareDateTime(dump_only=True, format="iso",
                                       metadata={"description": "the server's clock, for a poster whose clock is off"})


class ScanSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT_LENGTH),
                         metadata={"description": "what the camera read from the poster"})
    service_type = fields.String(validate=validate.Length(min=1, max=32),
                                 metadata={"description": "at check-out: the service type code of the record "
                                                          "(else the volunteer's last one at that center)"})


class ScanResultSchema(Schema):
    status = fields.String(dump_only=True, metadata={"description": "checked_in | checked_out"})
    repeat = fields.Boolean(dump_only=True, metadata={"description": "the same answer as a scan moments ago"})
    center = fields.String(dump_only=True)
    center_name = fields.String(dump_only=True)
    checked_in_at = fields.AwareDateTime(dump_only=True, format="iso")
    checked_out_at = fields.AwareDateTime(dump_only=True, format="iso", allow_none=True)
    record = fields.Nested(RecordSchema, dump_only=True, allow_none=True,
                           metadata={"description": "at check-out: the pending record (null when that time was "
                                                    "already recorded by staff)"})


class RecordEndSchema(Schema):
    ended_at = fields.AwareDateTime(required=True, format="iso",
                                    metadata={"description": "when the service really ended"})
