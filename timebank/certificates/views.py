"""The certificate pages: ``/certificate`` (the signed-in volunteer's own), ``/volunteers/<id>/certificate`` (the
printable A4 page, for the volunteer, their center's staff and admins) and ``…/certificate.pdf`` (the download).
``?from=&to=`` choose the period (a GET form on the page: it changes nothing a person has to confirm)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, request
from marshmallow import ValidationError

from timebank.auth.access import allow
from timebank.certificates import documents, services
from timebank.certificates.errors import FontMissing
from timebank.certificates.permissions import ISSUE_CERTIFICATE
from timebank.certificates.schemas import CertificateQuerySchema
from timebank.db import get_db
from timebank.errors import ValidationFailed
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FormState

bp = page_blueprint("certificates", __name__, template_folder="templates")
assets = Blueprint("certificate_assets", __name__, static_folder="static", static_url_path="/certificates/assets")

PERIOD_FIELDS = ("from", "to")


@bp.get("/certificate")
@allow(ISSUE_CERTIFICATE)
def mine():
    """The signed-in volunteer's own certificate (staff and admins open a volunteer's: 404 here)."""
    volunteer_id = current_principal().volunteer_id
    if volunteer_id is None:
        abort(404)
    return _page(volunteer_id, own=True)


@bp.get("/volunteers/<int:volunteer_id>/certificate")
@allow(ISSUE_CERTIFICATE)
def of_volunteer(volunteer_id: int):
    own = current_principal().volunteer_id == volunteer_id
    return _page(volunteer_id, own=own)


@bp.get("/volunteers/<int:volunteer_id>/certificate.pdf")
@allow(ISSUE_CERTIFICATE)
def pdf(volunteer_id: int):
    """The PDF download; a bad period, or no Chinese font on the server, is said on the page instead."""
    state, period = _period()
    cert = _issued(volunteer_id, period, state)
    if cert is not None:
        try:
            return documents.pdf_response(cert)
        except FontMissing as error:
            state.refuse(error)
    return documents.private(documents.page(cert, state=state, own=False, volunteer_id=volunteer_id), state.status)


def _page(volunteer_id: int, *, own: bool):
    state, period = _period()
    cert = _issued(volunteer_id, period, state)
    return documents.private(documents.page(cert, state=state, own=own, volunteer_id=volunteer_id), state.status)


def _issued(volunteer_id: int, period: dict, state: FormState):
    """The certificate, or ``None`` with the reason on ``state`` (a period in the future, or ending before it
    starts)."""
    if not state.ok:
        return None
    try:
        return services.issue_certificate(get_db(), actor=current_principal(), volunteer_id=volunteer_id,
                                          zone=ZoneInfo(current_app.config["TIMEZONE"]), **period)
    except ValidationFailed as error:
        state.refuse(error)
        return None


def _period() -> tuple[FormState, dict]:
    values = {name: request.args.get(name, "").strip() for name in PERIOD_FIELDS}
    state = FormState(values=values)
    try:
        loaded = CertificateQuerySchema().load({name: value for name, value in values.items() if value})
    except ValidationError as error:
        state.refuse(error)
        return state, {}
    return state, {"period_from": loaded["period_from"], "period_to": loaded["period_to"]}
