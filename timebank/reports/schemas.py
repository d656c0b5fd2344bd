"""What crosses the HTTP boundary for reports (SPEC §8.1 ``GET /reports/{name}``): the one query of every report,
and each report's JSON (credits as decimal strings, times ISO 8601 with their offset)."""
from __future__ import annotations

from marshmallow import fields, validate

from timebank.ledger.rules import format_credits
from timebank.reports.rules import FORMATS
from timebank.schemas import Credits, Schema, id_field


class ReportQuerySchema(Schema):
    center = fields.String(validate=validate.Length(max=32), metadata={
        "description": "a center's code (staff: only their own, which is also the default; admins: all centers "
                       "when left out)"})
    from_ = fields.Date(data_key="from", metadata={
        "description": "hours: the first day (YYYY-MM-DD, the city's clock) of the records counted, by start"})
    to = fields.Date(metadata={"description": "hours: the last day counted, included"})
    drive = id_field(metadata={"description": "drive: which drive (default: the latest to have opened)"})
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS),
                           metadata={"description": "json, csv (UTF-8 with BOM, opens in Excel) or xlsx"})


class _DriveRefSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    opens_at = fields.AwareDateTime(dump_only=True, format="iso")
    closes_at = fields.AwareDateTime(dump_only=True, format="iso")
    pickup_until = fields.AwareDateTime(dump_only=True, format="iso")


class HoursRowSchema(Schema):
    month = fields.String(dump_only=True, metadata={"description": "YYYY-MM, on the city's clock"})
    center = fields.String(dump_only=True)
    center_name = fields.String(dump_only=True)
    service_type = fields.String(dump_only=True, metadata={"description": "the service type's code"})
    service_type_name = fields.String(dump_only=True)
    service_type_name_en = fields.String(dump_only=True)
    records = fields.Integer(dump_only=True, metadata={"description": "approved service records"})
    minutes = fields.Integer(dump_only=True)
    hours = fields.String(dump_only=True, metadata={"description": "the minutes as hours, two decimals"})
    credits = Credits(dump_only=True, metadata={"description": "credits minted for them"})


class _HoursRows(fields.List):
    """A list of ``HoursRowSchema`` (as documented), written without marshmallow's per-field machinery: a year of
    a city is tens of thousands of rows, which the schema would take seconds to dump. The same keys and values
    (``tests/unit/test_report_rules.py`` holds the two together)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else [hours_row_json(row) for row in value]


def hours_row_json(row) -> dict:
    return {"month": row.month, "center": row.center, "center_name": row.center_name,
            "service_type": row.service_type, "service_type_name": row.service_type_name,
            "service_type_name_en": row.service_type_name_en, "records": row.records, "minutes": row.minutes,
            "hours": row.hours, "credits": format_credits(row.credits)}


class HoursTotalsSchema(Schema):
    records = fields.Integer(dump_only=True)
    minutes = fields.Integer(dump_only=True)
    hours = fields.String(dump_only=True)
    credits = Credits(dump_only=True)


class HoursReportSchema(Schema):
    report = fields.Constant("hours", dump_only=True)
    center = fields.String(dump_only=True, allow_none=True)
    from_ = fields.Date(dump_only=True, data_key="from", attribute="period.first", allow_none=True)
    to = fields.Date(dump_only=True, attribute="period.last", allow_none=True)
    zone = fields.String(dump_only=True, metadata={"description": "the time zone of the months (TIMEBANK_TIMEZONE)"})
    rows = _HoursRows(fields.Nested(HoursRowSchema), dump_only=True,
                      metadata={"description": "by month, then center, then service type"})
    totals = fields.Nested(HoursTotalsSchema, dump_only=True)


class LiabilityRowSchema(Schema):
    center = fields.String(dump_only=True, allow_none=True)
    center_name = fields.String(dump_only=True)
    volunteers = fields.Integer(dump_only=True, metadata={"description": "volunteers of this home center holding "
                                                                         "credits"})
    outstanding = Credits(dump_only=True, metadata={"description": "their balances (what the bank owes), held "
                                                                   "credits included"})
    held = Credits(dump_only=True, metadata={"description": "of which held for reservations not yet picked up"})
    available = Credits(dump_only=True, metadata={"description": "outstanding less held"})
    expiring_30d = Credits(dump_only=True, metadata={"description": "live credits expiring within 30 days"})
    expiring_90d = Credits(dump_only=True, metadata={"description": "within 90 days (the 30 days' included)"})
    stock_value = Credits(dump_only=True, metadata={"description": "the coming drive's stock left at this center, "
                                                                   "priced in credits"})


class LiabilityReportSchema(Schema):
    report = fields.Constant("liability", dump_only=True)
    at = fields.AwareDateTime(dump_only=True, format="iso")
    center = fields.String(dump_only=True, allow_none=True)
    drive = fields.Nested(_DriveRefSchema, dump_only=True, allow_none=True,
                          metadata={"description": "the coming drive: open now, else the next to open"})
    rows = fields.List(fields.Nested(LiabilityRowSchema), dump_only=True,
                       metadata={"description": "per home center of the volunteers"})
    total = fields.Nested(LiabilityRowSchema, dump_only=True)


class DriveRowSchema(Schema):
    center = fields.String(dump_only=True, allow_none=True)
    center_name = fields.String(dump_only=True)
    reservations = fields.Integer(dump_only=True)
    fulfilled = fields.Integer(dump_only=True, metadata={"description": "picked up (walk-ups included)"})
    no_shows = fields.Integer(dump_only=True, metadata={"description": "not picked up by pickup_until"})
    cancelled = fields.Integer(dump_only=True)
    held = fields.Integer(dump_only=True, metadata={"description": "still to pick up"})
    redeemed = Credits(dump_only=True, metadata={"description": "credits of those picked up"})


class DriveReportSchema(Schema):
    report = fields.Constant("drive", dump_only=True)
    at = fields.AwareDateTime(dump_only=True, format="iso")
    center = fields.String(dump_only=True, allow_none=True)
    drive = fields.Nested(_DriveRefSchema, dump_only=True, allow_none=True)
    rows = fields.List(fields.Nested(DriveRowSchema), dump_only=True, metadata={"description": "per pickup center"})
    total = fields.Nested(DriveRowSchema, dump_only=True)


REPORT_SCHEMAS = {"hours": HoursReportSchema, "liability": LiabilityReportSchema, "drive": DriveReportSchema}
