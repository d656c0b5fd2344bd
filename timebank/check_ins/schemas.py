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
                                 metadata={"description": "a service type code. When checking in: the volunteer's "
                                                          "choice for this visit, kept on the check-in. When checking "
                                                          "out: the record's type, whatever was chosen. Without it "
                                                          "the record takes the check-in's choice, else the "
                                                          "volunteer's last type at that center, else the first "
                                                          "active type"})


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
    check_in_id = fields.Integer(dump_only=True, metadata={"description": "the check-in (POST /check-ins/{id}/"
                                                                          "service-type chooses its service type "
                                                                          "while it is open)"})
    service_type = fields.String(dump_only=True, allow_none=True,
                                 metadata={"description": "the service type code: the record's; while checked in, "
                                                          "the one the check-out will take (chosen or guessed)"})
    service_type_chosen = fields.Boolean(dump_only=True,
                                         metadata={"description": "the volunteer chose the check-in's service type "
                                                                  "(false: it is a guess)"})


class ServiceChoiceSchema(Schema):
    service_type = fields.String(required=True, validate=validate.Length(min=1, max=32),
                                 metadata={"description": "the code of an active service type", "example": "visit"})


class RecordEndSchema(Schema):
    ended_at = fields.AwareDateTime(required=True, format="iso",
                                    metadata={"description": "when the service really ended"})
