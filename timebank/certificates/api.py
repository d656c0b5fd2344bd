"""``GET /api/v1/volunteers/{id}/certificate?from=&to=&format=json|html|pdf`` (SPEC §8.1): load, one service, dump.

Without ``format`` (or ``format=json``) it answers the certificate as JSON; ``format=html`` the printable A4 page,
``format=pdf`` the PDF to download. Each call issues the certificate, or hands out the same one issued today for the
same period and figures (``timebank.certificates.services``)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.certificates import documents, services
from timebank.certificates.permissions import ISSUE_CERTIFICATE
from timebank.certificates.schemas import CertificateQuerySchema, CertificateSchema, certificate_document
from timebank.db import get_db
from timebank.receipts.links import receipt_url

blp = ApiBlueprint("certificates", __name__, description="Service certificates (志愿服务记录证明)")

DESCRIPTION = "the certificate: JSON, or with format=html the printable page, with format=pdf the PDF"


@blp.get("/volunteers/<int:volunteer_id>/certificate")
@allow(ISSUE_CERTIFICATE)
@blp.arguments(CertificateQuerySchema, location="query")
@blp.response(200, CertificateSchema, description=DESCRIPTION)
@blp.doc(responses={"200": {"description": DESCRIPTION,
                            "content": {"application/json": {"schema": CertificateSchema},
                                        "text/html": {"schema": {"type": "string"}},
                                        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
@blp.refuses(503, "certificate_font_missing: format=pdf on a server without a Chinese font")
def get_certificate(query, volunteer_id: int):
    """A volunteer's service certificate: approved hours per service type and year, signed by a receipt (a
    volunteer: their own; staff: their center's volunteers; admins: anyone)"""
    cert = services.issue_certificate(get_db(), actor=current_principal(), volunteer_id=volunteer_id,
                                      period_from=query["period_from"], period_to=query["period_to"],
                                      zone=ZoneInfo(current_app.config["TIMEZONE"]))
    if query["format"] == "pdf":
        return documents.pdf_response(cert)
    if query["format"] == "html":
        return documents.private(documents.page(cert, own=False, standalone=True))
    return certificate_document(cert, url=receipt_url(cert.receipt.token))
