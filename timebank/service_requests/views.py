"""The pages of service requests. Staff: the day's requests, post one, a request's page (claimants, assign,
complete with the times, cancel with the reason). A volunteer (phone first, large buttons): their center's open
requests with a big "I'll do it" button, and what they claimed."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from timebank.auth.access import allow
from timebank.centers.services import get_center, list_centers
from timebank.db import get_db
from timebank.hours.rules import ends_next_day
from timebank.service_requests import queries, services
from timebank.service_requests.permissions import CLAIM_REQUESTS, CLOSE_REQUESTS, POST_REQUESTS, READ_REQUESTS
from timebank.service_requests.rules import REQUEST_STATUSES
from timebank.service_requests.schemas import CancelSchema, CompleteSchema, RequestCreateSchema
from timebank.service_types.services import list_service_types
from timebank.volunteers.services import list_volunteers
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FormState, flash_refusal, load_and_call, submitted
from timebank.web.i18n import current_language
from timebank.web.lists import ListFilter

bp = page_blueprint("service_requests", __name__, url_prefix="/service-requests", template_folder="templates")

PER_PAGE = 20
STATUS_NAMES = {"open": _l("Open"), "claimed": _l("Claimed"), "completed": _l("Completed"),
                "cancelled": _l("Cancelled")}
CREATE_FIELDS = ("center", "service_type", "resident", "starts_at", "ends_at", "place", "note", "volunteers_needed")
# Volunteers offered in the assign list: a center's active volunteers, at most one page of the service's largest.
ASSIGN_CHOICES = 200


@bp.context_processor
def _helpers():
    return {"local_time": _local_text, "status_name": lambda status: STATUS_NAMES.get(status, status)}


@bp.get("/")
@allow(READ_REQUESTS)
def index():
    db, actor = get_db(), current_principal()
    number = _page_number()
    if actor.role == "volunteer":
        open_here = queries.list_requests(db, actor=actor, page=number, per_page=PER_PAGE)
        mine = queries.list_requests(db, actor=actor, mine=True, status="claimed", per_page=50)
        return render_template("service_requests/volunteer.html", requests=open_here, mine=mine)
    day = _day(request.args.get("date"))
    status = request.args.get("status") if request.args.get("status") in REQUEST_STATUSES else None
    start = datetime.combine(day, time.min, tzinfo=_zone())
    found = queries.list_requests(db, actor=actor, status=status, from_=start, to=start + timedelta(days=1),
                                  page=number, per_page=PER_PAGE)
    filters = [ListFilter("status", _l("Status"), tuple(STATUS_NAMES.items()))]
    return render_template("service_requests/list.html", requests=found, day=day, filters=filters,
                           previous_day=day - timedelta(days=1), next_day=day + timedelta(days=1),
                           today=_today())


@bp.route("/new", methods=["GET", "POST"])
@allow(POST_REQUESTS)
def create():
    db, actor = get_db(), current_principal()
    state = FormState(values={"volunteers_needed": "1"})
    if request.method == "POST":
        schema = RequestCreateSchema()
        state.values = submitted(schema, fields=CREATE_FIELDS)
        # An optional note left empty is no note; the times typed are the center's local time.
        data = {name: _aware(value) if name in ("starts_at", "ends_at") else value
                for name, value in state.values.items() if value not in ("", None)}
        created = _call(schema, data, state, lambda loaded: services.post_request(db, actor=actor, **loaded))
        if created is not None:
            flash(_("Service request %(number)s was posted.", number=created.id), "success")
            return redirect(url_for("service_requests.show", request_id=created.id))
    return render_template("service_requests/form.html", state=state, centers=_centers(actor),
                           service_types=[(t.code, t.name_zh if _zh() else t.name_en)
                                          for t in list_service_types(db, actor=actor, active=True)]), state.status


@bp.get("/<int:request_id>")
@allow(READ_REQUESTS)
def show(request_id: int):
    return _show(request_id)


@bp.post("/<int:request_id>/claim")
@allow(CLAIM_REQUESTS)
def claim(request_id: int):
    db, actor = get_db(), current_principal()
    state = FormState()
    volunteer_id = None
    if actor.role != "volunteer":
        raw = request.form.get("volunteer_id", "").strip()
        if not raw.isdigit():
            state.errors["volunteer_id"] = [_("Choose the volunteer to assign.")]
            return _show(request_id, assign=state)
        volunteer_id = int(raw)
    try:
        claimed = services.claim_request(db, actor=actor, request_id=request_id, volunteer_id=volunteer_id)
    except services.DomainError as error:
        if isinstance(error, queries.RequestNotFound):
            raise
        state.refuse(error)
        if actor.role == "volunteer":
            flash_refusal(state)
            return redirect(url_for("service_requests.index"))
        return _show(request_id, assign=state)
    if actor.role == "volunteer":
        flash(_("Thank you! You claimed this service: %(service)s, %(when)s.",
                service=claimed.service_type_name_zh if _zh() else claimed.service_type_name_en,
                when=_local_text(claimed.starts_at)), "success")
        return redirect(url_for("service_requests.show", request_id=request_id))
    flash(_("The volunteer was assigned."), "success")
    return redirect(url_for("service_requests.show", request_id=request_id))


@bp.post("/<int:request_id>/complete")
@allow(CLOSE_REQUESTS)
def complete(request_id: int):
    db, actor = get_db(), current_principal()
    state = FormState()
    schema = CompleteSchema()
    day = request.form.get("day", "").strip()
    values = {name: request.form.get(name, "").strip() for name in ("started_at", "ended_at")}
    state.values = {"day": day, **values, "volunteer_ids": request.form.getlist("volunteer_ids")}
    days = {"started_at": day, "ended_at": _end_day(day, values["started_at"], values["ended_at"])}
    data = {name: _aware(f"{days[name]}T{value}") if day and value else value
            for name, value in values.items() if value}
    chosen = [v for v in request.form.getlist("volunteer_ids") if v.strip()]
    data["volunteer_ids"] = chosen
    if not chosen:
        state.errors["volunteer_ids"] = [_("Choose who served.")]
        return _show(request_id, complete=state)
    done = _call(schema, data, state, lambda loaded: services.complete_request(
        db, actor=actor, request_id=request_id, **loaded))
    if done is None:
        return _show(request_id, complete=state)
    flash(_("The request is completed: %(count)s service records wait for approval.", count=len(done.records)),
          "success")
    return redirect(url_for("service_requests.show", request_id=request_id))


@bp.post("/<int:request_id>/cancel")
@allow(CLOSE_REQUESTS)
def cancel(request_id: int):
    db, actor = get_db(), current_principal()
    state = FormState()
    done = load_and_call(CancelSchema(), lambda data: services.cancel_request(
        db, actor=actor, request_id=request_id, **data), state=state)
    if done is None:
        return _show(request_id, cancel=state)
    flash(_("The request was cancelled."), "success")
    return redirect(url_for("service_requests.show", request_id=request_id))


def _show(request_id: int, *, assign: FormState | None = None, complete: FormState | None = None,
          cancel: FormState | None = None):
    db, actor = get_db(), current_principal()
    found = queries.get_request(db, actor=actor, request_id=request_id)
    forms = {"assign": assign or FormState(), "complete": complete or _complete_defaults(found),
             "cancel": cancel or FormState()}
    candidates = []
    if actor.role != "volunteer" and found.status in ("open", "claimed") and found.places_left:
        taken = set(found.volunteer_ids)
        candidates = [(v.id, f"{v.name} ({v.phone[-4:]})") for v in list_volunteers(
            db, actor=actor, center=found.center, active=True, per_page=ASSIGN_CHOICES).items if v.id not in taken]
    status = max(state.status for state in forms.values())
    claimant_options = [(c.volunteer_id, c.name) for c in found.volunteers]
    return render_template("service_requests/show.html", found=found, states=forms, candidates=candidates,
                           claimant_options=claimant_options), status


def _complete_defaults(found) -> FormState:
    start, end = found.starts_at.astimezone(_zone()), found.ends_at.astimezone(_zone())
    return FormState(values={"day": start.date().isoformat(), "started_at": start.strftime("%H:%M"),
                             "ended_at": end.strftime("%H:%M"), "volunteer_ids": [str(v) for v in found.volunteer_ids]})


def _call(schema, data: dict, state: FormState, action):
    """Load ``data`` (the form, its times made aware) with ``schema`` and call ``action``; refusals fill ``state``."""
    try:
        return action(schema.load(data))
    except (ValidationError, services.DomainError) as error:
        state.refuse(error)
        return None


def _centers(actor) -> list[tuple[str, str]]:
    if actor.role == "staff":
        center = get_center(get_db(), actor=actor, center_id=actor.center_id)
        return [(center.code, center.name)]
    return [(c.code, f"{c.name} ({c.code})") for c in list_centers(get_db(), actor=actor, active=True,
                                                                    per_page=200).items]


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Shanghai")


def _today() -> date:
    return datetime.now(_zone()).date()


def _day(text: str | None) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return _today()


def _end_day(day: str, start: str, end: str) -> str:
    """The day a service that began on ``day`` ended: the next one when its end is earlier than its start (a night's
    陪护 from 22:00 to 02:00), as on the staff's hours forms. Left as typed when anything does not parse."""
    try:
        began, start_at, end_at = date.fromisoformat(day), time.fromisoformat(start), time.fromisoformat(end)
    except ValueError:
        return day
    return (began + timedelta(days=1)).isoformat() if ends_next_day(start_at, end_at) else day


def _aware(text: str | None) -> str | None:
    """A form's local date and time (``datetime-local``: no offset) as the API's ISO time with the center's offset;
    anything else is passed on for the schema to refuse with its message."""
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone())
    return moment.isoformat()


def _local_text(moment: datetime, pattern: str = "yyyy-MM-dd HH:mm") -> str:
    return format_datetime(moment, pattern)


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 1_000_000))
    except ValueError:
        return 1


def _zh() -> bool:
    return current_language() == "zh"
