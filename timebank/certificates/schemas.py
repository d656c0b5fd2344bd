"""What crosses the HTTP boundary for a service certificate: the period asked for, and the certificate as JSON."""
from __future__ import annotations

from marshmallow import fields, validate

from timebank.certificates.rules import hours_text
from timebank.schemas import Schema

FORMATS = ("json", "html", "pdf")


class CertificateQuerySchema(Schema):
    period_from = fields.Date(data_key="from", load_default=None, metadata={
        "description": "the first day covered (on the city's clock); absent: from the first record"})
    period_to = fields.Date(data_key="to", load_default=None, metadata={
        "description": "the last day covered, not in the future; absent: up to today"})
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS), metadata={
        "description": "json (the default); html: the printable A4 page; pdf: the A4 PDF to download"})


def _hours(line) -> str:
    return hours_text(line.minutes)


class ServiceTypeLineSchema(Schema):
    code = fields.String(dump_only=True)
    name = fields.String(attribute="name_zh", dump_only=True)
    name_en = fields.String(dump_only=True)
    records = fields.Integer(dump_only=True, metadata={"description": "approved services"})
    minutes = fields.Integer(dump_only=True)
    hours = fields.Function(_hours, dump_only=True, metadata={"type": "string", "description": "\"12.5\""})


class YearLineSchema(Schema):
    year = fields.Integer(dump_only=True)
    records = fields.Integer(dump_only=True)
    minutes = fields.Integer(dump_only=True)
    hours = fields.Function(_hours, dump_only=True, metadata={"type": "string"})


class CertificateVolunteerSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True, metadata={"description": "as registered (姓名)"})
    id_card = fields.String(dump_only=True, allow_none=True,
                            metadata={"description": "masked: only the last four characters, when registered"})
    phone = fields.String(dump_only=True, metadata={"description": "masked, such as 138****1234"})


class CertificateCenterSchema(Schema):
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)


class CertificateReceiptSchema(Schema):
    code = fields.String(dump_only=True, metadata={"description": "the short code, such as K7QXM-3PA9W"})
    url = fields.String(dump_only=True, metadata={"description": "exactly the text its QR code encodes"})


class CertificateSchema(Schema):
    id = fields.Integer(dump_only=True)
    volunteer = fields.Nested(CertificateVolunteerSchema, dump_only=True)
    center = fields.Nested(CertificateCenterSchema, dump_only=True,
                           metadata={"description": "the issuing center: the volunteer's home center"})
    period_from = fields.Date(data_key="from", dump_only=True, allow_none=True,
                              metadata={"description": "as asked; null: from the first record"})
    period_to = fields.Date(data_key="to", dump_only=True, allow_none=True,
                            metadata={"description": "as asked; null: up to the day of issue"})
    first_service = fields.Date(dump_only=True, allow_none=True)
    last_service = fields.Date(dump_only=True, allow_none=True)
    records = fields.Integer(dump_only=True, metadata={"description": "approved services counted"})
    total_minutes = fields.Integer(dump_only=True)
    total_hours = fields.String(dump_only=True, metadata={"description": "\"12.5\""})
    by_service_type = fields.List(fields.Nested(ServiceTypeLineSchema), dump_only=True,
                                  metadata={"description": "the service content, most hours first"})
    by_year = fields.List(fields.Nested(YearLineSchema), dump_only=True, metadata={"description": "oldest first"})
    issued_on = fields.Date(dump_only=True, metadata={"description": "the date of issue, on the city's clock"})
    issued_at = fields.AwareDateTime(dump_only=True, format="iso")
    receipt = fields.Nested(CertificateReceiptSchema, dump_only=True)


def certificate_document(cert, *, url: str) -> dict:
    """A ``CertificateView`` in the shape ``CertificateSchema`` dumps."""
    figures = cert.figures
    return {"id": cert.id,
            "volunteer": {"id": cert.volunteer_id, "name": cert.name, "id_card": cert.id_card, "phone": cert.phone},
            "center": {"code": cert.center_code, "name": cert.center_name},
            "period_from": cert.period.start, "period_to": cert.period.end, "first_service": figures.first_day,
            "last_service": figures.last_day, "records": figures.records, "total_minutes": figures.minutes,
            "total_hours": hours_text(figures.minutes), "by_service_type": figures.by_service_type,
            "by_year": figures.by_year, "issued_on": cert.issued_on, "issued_at": cert.issued_at,
            "receipt": {"code": cert.receipt.display_code, "url": url}}
