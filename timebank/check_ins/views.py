"""The check-in pages: the center tablet's poster (staff sign in on the tablet and open it), the page a volunteer's
camera opens from it (``/C/<code>``: the big green or red result, and once checked in the question which service
they are doing today, answered with one tap and a plain form), and the staff's list and form for records left
without a check-out.

``/C/<code>`` checks in on GET: the camera opens it and an older person should not have to press anything more. A
GET that changes something is safe enough here because it needs a code at most 2 minutes old, read from the poster
by someone standing in front of it, and a repeated open answers the same result (``services.REPEAT_WINDOW``). When
the volunteer must sign in first, the moment the code was opened travels signed in the return address, so a slow
typist's code is judged by when it was scanned, not when the password was finally right (within ``SIGN_IN_GRACE``).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from marshmallow import ValidationError
from zoneinfo import ZoneInfo

from timebank.auth.access import allow
from timebank.centers.services import get_center, list_centers
from timebank.check_ins import services
from timebank.check_ins.errors import CheckInClosed
from timebank.check_ins.permissions import CHOOSE_SERVICE_TYPE, SET_RECORD_END, SHOW_POSTER
from timebank.check_ins.schemas import PosterCodeSchema, RecordEndSchema, ServiceChoiceSchema
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.errors import DomainError, ValidationFailed
from timebank.hours.pages import localized
from timebank.hours.queries import get_record, list_records
from timebank.hours.services import set_record_end
from timebank.receipts import qr
from timebank.receipts.links import current_prefix
from timebank.service_types.services import list_service_types
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FormState, query, submitted
from timebank.schemas import PagingQuerySchema

bp = page_blueprint("check_ins", __name__, url_prefix="/check-ins", template_folder="templates")
# The poster's script and style: public files, on a plain blueprint (a page blueprint guards every view it has).
assets = Blueprint("check_in_assets", __name__, static_folder="static", static_url_path="/check-ins/assets")
scans = page_blueprint("check_in_scans", __name__, url_prefix="/C", template_folder="templates")

SIGN_IN_GRACE = timedelta(minutes=10)
_SEEN_SALT = "timebank.check-in.seen"


@bp.get("/")
@allow(SHOW_POSTER)
def index():
    """Where staff open the poster and find the records left without a check-out."""
    db, actor = get_db(), current_principal()
    if actor.role == "staff":
        centers = [get_center(db, actor=actor, center_id=actor.center_id)]
    else:
        centers = list_centers(db, actor=actor, active=True, per_page=100).items
    flagged = list_records(db, actor=actor, status="pending", missing_check_out=True,
                           **query(PagingQuerySchema()))
    return render_template("check_ins/index.html", centers=centers, flagged=flagged)


@bp.get("/poster/<code>")
@allow(SHOW_POSTER)
def poster(code: str):
    shown = services.poster_code(get_db(), actor=current_principal(), center=code, prefix=current_prefix())
    return render_template("check_ins/poster.html", poster=shown)


@bp.get("/poster/<code>/code.json")
@allow(SHOW_POSTER)
def poster_code(code: str):
    """What the poster's script fetches every 30 seconds (the cookie session's twin of the API's check-in-code)."""
    try:
        shown = services.poster_code(get_db(), actor=current_principal(), center=code, prefix=current_prefix())
    except DomainError as error:
        return jsonify(error.to_dict()), error.status
    data = PosterCodeSchema().dump(shown)
    data["image"] = url_for("check_ins.poster_image", code=shown.center, text=shown.text)
    return jsonify(data)


@bp.get("/poster/<code>/qr.svg")
@allow(SHOW_POSTER)
def poster_image(code: str):
    """The QR of a code this server made for that center and that still works (nothing else is drawn)."""
    db, actor, text = get_db(), current_principal(), request.args.get("text", "")
    try:
        found = services.read_code(db, text, now=utcnow())
        made = services.poster_code(db, actor=actor, center=code, prefix=current_prefix(), now=found.shown_at)
    except DomainError:
        return Response(status=404)
    if made.text != text:  # another center's code, or one for another address
        return Response(status=404)
    response = Response(qr.svg(text), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=120"
    return response


@bp.route("/records/<int:record_id>/end", methods=["GET", "POST"])
@allow(SET_RECORD_END)
def record_end(record_id: int):
    """Staff set when a service that was never checked out really ended."""
    db, actor = get_db(), current_principal()
    record = get_record(db, actor=actor, record_id=record_id)
    state = FormState(values={"ended_at": _local_input(record.ended_at)})
    if request.method == "POST":
        state.values = {"ended_at": request.form.get("ended_at", "").strip()}
        fixed = None
        try:
            data = RecordEndSchema().load({"ended_at": _with_offset(state.values["ended_at"])})
            fixed = set_record_end(db, actor=actor, record_id=record_id, **data)
        except (ValidationError, DomainError) as error:
            state.refuse(error)
        if fixed is not None:
            flash(_("The end of the service was saved: %(hours)s h %(minutes)s min.", hours=fixed.minutes // 60,
                    minutes=fixed.minutes % 60), "success")
            return redirect(url_for("check_ins.index"))
    return render_template("check_ins/record_end.html", record=record, state=state), state.status


@scans.get("/<path:token>")
@allow(public=True)
def scanned(token: str):
    """What the camera opens. Not signed in: sign in, then back here. Signed in: check in or out, and say so."""
    db, actor, now = get_db(), current_principal(), utcnow()
    text = "/C/" + token
    seen_at = _seen_at(token)
    try:  # a code that is not one (or too old) is said first, to anyone: that is what the person must fix
        services.read_code(db, text, now=min(seen_at, now) if seen_at else now)
    except DomainError as error:
        return _refused(error)
    if actor is None:
        here = url_for("check_in_scans.scanned", token=token, seen=_seen_signer().dumps(token))
        return redirect(url_for("session.sign_in", next=here))
    try:
        result = services.scan(db, actor=actor, text=text, now=now, seen_at=seen_at)
    except DomainError as error:
        return _refused(error)
    return _result_page(result)


@bp.get("/<int:check_in_id>")
@allow(CHOOSE_SERVICE_TYPE)
def visit(check_in_id: int):
    """The volunteer's own check-in after they said which service it is: what was saved, and a way to change it."""
    return _result_page(services.check_in_of(get_db(), actor=current_principal(), check_in_id=check_in_id),
                        saved=True)


@bp.post("/<int:check_in_id>/service-type")
@allow(CHOOSE_SERVICE_TYPE)
def choose_service_type(check_in_id: int):
    """The answer to "which service are you doing today?" on the result page."""
    db, actor = get_db(), current_principal()
    schema = ServiceChoiceSchema()
    state = FormState(values=submitted(schema))
    try:
        services.choose_service_type(db, actor=actor, check_in_id=check_in_id, **schema.load(state.values))
    except CheckInClosed as error:
        return _refused(error)
    except (ValidationError, ValidationFailed) as error:  # none chosen, or one no longer offered
        state.refuse(error)
        state.errors = {"service_type": [_("Please tap the service you are doing today.")]}
        return _result_page(services.check_in_of(db, actor=actor, check_in_id=check_in_id), choice=state)
    return redirect(url_for("check_ins.visit", check_in_id=check_in_id), 303)


def _result_page(result, *, saved: bool = False, choice: FormState | None = None) -> Response:
    choice = choice or FormState(values={"service_type": result.service_type})
    names = {row.code: localized(row.name_zh, row.name_en) for row in
             list_service_types(get_db(), actor=current_principal())}
    offered = [row.code for row in list_service_types(get_db(), actor=current_principal(), active=True)] \
        if result.status == "checked_in" else []
    offered.sort(key=lambda code: code != result.service_type)  # the likely one first: most often it is right
    page = render_template("check_ins/result.html", result=result, error=None, saved=saved, choice=choice,
                           service_types=[(code, names[code]) for code in offered],
                           service_name=names.get(result.service_type))
    return _no_store(page, choice.status)


def _refused(error: DomainError):
    page = render_template("check_ins/result.html", result=None, error=error.text(), saved=False, choice=None,
                           service_types=[], service_name=None)
    return _no_store(page, error.status)


def _no_store(page, status: int = 200) -> Response:
    response = Response(page, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _seen_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SEEN_SALT)


def _seen_at(token: str) -> datetime | None:
    """When this code was opened before signing in, if the return address says so (signed, recent, this code)."""
    seen = request.args.get("seen")
    if not seen:
        return None
    try:
        opened, signed_at = _seen_signer().loads(seen, max_age=int(SIGN_IN_GRACE.total_seconds()),
                                                 return_timestamp=True)
    except BadSignature:
        return None
    if opened != token:
        return None
    return signed_at.astimezone(timezone.utc)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Shanghai")


def _local_input(moment: datetime) -> str:
    """A time as a ``datetime-local`` input shows it, in the time bank's time zone."""
    return moment.astimezone(_zone()).strftime("%Y-%m-%dT%H:%M")


def _with_offset(typed: str) -> str:
    """What a ``datetime-local`` input sends has no offset: it is the time bank's local time. Anything else is left
    for the schema to judge."""
    try:
        moment = datetime.fromisoformat(typed)
    except ValueError:
        return typed
    return (moment if moment.tzinfo else moment.replace(tzinfo=_zone())).isoformat()
