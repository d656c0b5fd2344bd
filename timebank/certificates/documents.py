"""The certificate as a person gets it: the printable A4 page or the PDF, each from ``wording`` in the reader's
language. Both answer ``Cache-Control: no-store``: they carry a person's name and service (nothing keeps a copy)."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, render_template

from timebank.certificates.services import CertificateView
from timebank.certificates.wording import certificate_text
from timebank.receipts.links import receipt_url
from timebank.web.i18n import current_language

PRIVATE = "no-store"


def page(cert: CertificateView | None, *, standalone: bool = False, **context) -> str:
    """The A4 page in the site's layout (with the period form and the downloads), or ``standalone``: the certificate
    alone (the API's ``format=html``, which has no session for the layout). No ``cert``: the form only."""
    text = certificate_text(cert, qr_text=receipt_url(cert.receipt.token)) if cert is not None else None
    template = "certificates/standalone.html" if standalone else "certificates/certificate.html"
    return render_template(template, cert=cert, text=text, **context)


def pdf_response(cert: CertificateView) -> Response:
    text = certificate_text(cert, qr_text=receipt_url(cert.receipt.token))
    from timebank.certificates import pdf  # fpdf2 costs a second to import: only in the process that makes a PDF

    body = pdf.certificate_pdf(text, language=current_language())
    response = Response(body, mimetype="application/pdf")
    ascii_name = f"certificate-{cert.volunteer_id}-{cert.issued_on.isoformat()}.pdf"
    name = f"{text.title}-{cert.name}-{cert.issued_on.isoformat()}.pdf"
    response.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    response.headers["Cache-Control"] = PRIVATE
    return response


def private(body: str, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = PRIVATE
    return response
