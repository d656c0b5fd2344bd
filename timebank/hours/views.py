"""Service records' pages (服务记录): the list with the pending ones to decide, logging hours (one volunteer, or one
activity with many), a record's page with its receipt, and the resident's rating (评判).

Staff act on their own center's records, admins on every center's; a volunteer opens their own records (to hand
the phone to the resident for the rating). Each view loads with a schema, calls one service, and shows its answer.
"""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError, fields, validate

from timebank.auth.access import allow
from timebank.centers.views import center_choices
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.errors import DomainError
from timebank.hours import queries, services
from timebank.hours.pages import (STATUS_NAMES, local_period, local_period_problems, local_zone, localized,
                                  page_helpers, refuse_beside_fields)
from timebank.hours.permissions import CONFIRM_SERVICE, DECIDE_HOURS, LOG_HOURS, READ_RECORDS, REVERSE_HOURS
from timebank.hours.schemas import (ActivityFormSchema, DecisionFormSchema, RatingSchema, ReasonSchema,
                                    RecordFormSchema, RecordListQuerySchema)
from timebank.ledger.rules import format_credits
from timebank.service_types.services import list_service_types
from timebank.volunteers.services import list_volunteers
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FormState, flash_refusal, load_and_call, query, submitted
from timebank.web.lists import ListFilter

bp = page_blueprint("hours", __name__, url_prefix="/records", template_folder="templates")
bp.context_processor(page_helpers)

MAX_CHOICES = 200  # volunteers offered on one form; past that, staff narrow the list by name first


class RecordPageQuerySchema(RecordListQuerySchema):
    service_type = fields.String(validate=validate.Length(min=1, max=32))


def validity_days() -> int:
    return int(current_app.config["CREDIT_VALIDITY_DAYS"])


# --- the list --------------------------------------------------------------------------------------------------------

@bp.get("/")
@allow(READ_RECORDS)
def index():
    db, actor = get_db(), current_principal()
    deciding = DECIDE_HOURS.allows(actor)
    if deciding and "status" not in request.args:
        return redirect(url_for("hours.index", status="pending"))  # what staff come here for: the ones to decide
    args = query(RecordPageQuerySchema())
    records = queries.list_records(db, actor=actor, **args)
    return render_template("hours/list.html", records=records, filters=_filters(db, actor), deciding=deciding,
                           pending=args.get("status") == "pending")


def _filters(db, actor) -> list[ListFilter]:
    filters = [ListFilter("status", _("Status"), tuple(STATUS_NAMES.items()), _("All statuses")),
               ListFilter("service_type", _("Service type"), tuple(_service_types(db, actor)), _("All types"))]
    if actor.role == "volunteer":
        return filters
    centers = center_choices(db, actor)
    if len(centers) > 1:
        filters.insert(0, ListFilter("center", _("Center"), tuple(centers), _("All centers")))
    volunteers = list_volunteers(db, actor=actor, center=request.args.get("center") or None, per_page=MAX_CHOICES)
    if volunteers.total <= MAX_CHOICES:
        filters.append(ListFilter("volunteer_id", _("Volunteer"),
                                  tuple((str(v.id), v.name) for v in volunteers.items), _("All volunteers")))
    return filters


@bp.post("/decide")
@allow(DECIDE_HOURS)
def decide():
    """The pending list's buttons: approve the ticked records, or reject them with one reason (all or none)."""
    db, actor = get_db(), current_principal()
    state, action = FormState(), request.form.get("action")
    back = _back_to_list()
    if action not in ("approve", "reject"):
        return redirect(back)
    now = utcnow()
    if action == "approve":
        approved = load_and_call(DecisionFormSchema(), lambda data: services.approve_records(
            db, actor=actor, record_ids=data["record_ids"], validity_days=validity_days(), now=now),
            state=state, fields=("record_ids",), lists=("record_ids",))
        if approved is not None:
            _say_approved(approved, now)
    else:
        rejected = load_and_call(DecisionFormSchema(), lambda data: services.reject_records(
            db, actor=actor, record_ids=data["record_ids"], reason=_required_reason(data), now=now),
            state=state, lists=("record_ids",))
        if rejected is not None:
            flash(_("%(count)s service records were rejected.", count=len(rejected)), "success")
    if not state.ok:
        if "record_ids" in state.errors:
            state.errors["record_ids"] = [_("Tick at least one service record first.")]
        flash_refusal(state)
    return redirect(back)


def _required_reason(data: dict) -> str:
    if not data.get("reason"):
        raise ValidationError({"reason": [_("Please say why these records are rejected.")]})
    return data["reason"]


def _say_approved(records, now) -> None:
    """What happened, also when the form was sent twice: a record approved before is not paid again, and the page
    says so (the service makes a repeat approval change nothing)."""
    new = [r for r in records if r.decided_at == now]
    before = [r for r in records if r.decided_at != now]
    if new:
        flash(_("%(count)s service records were approved: %(credits)s credits went into the volunteers' accounts.",
                count=len(new), credits=format_credits(sum(r.credits or 0 for r in new))), "success")
    if before:
        flash(_("%(count)s of the chosen records had already been approved; nothing was added twice.",
                count=len(before)), "info")


def _back_to_list() -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/records/") and not target.startswith("//") else url_for("hours.index")


# --- logging hours ---------------------------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@allow(LOG_HOURS)
def create():
    return _entry_form(group=False)


@bp.route("/new/group", methods=["GET", "POST"])
@allow(LOG_HOURS)
def create_group():
    return _entry_form(group=True)


def _entry_form(*, group: bool):
    db, actor = get_db(), current_principal()
    centers = center_choices(db, actor)
    center = _chosen_center(centers)
    search = request.args.get("search", "").strip()[:60]
    state = FormState(values={"date": utcnow().astimezone(local_zone()).date().isoformat()})
    volunteer_field = "volunteer_ids" if group else "volunteer_id"
    if request.method == "POST" and center:
        schema = ActivityFormSchema() if group else RecordFormSchema()
        state.values = submitted(schema, lists=("volunteer_ids",) if group else ())
        try:
            data = schema.load(state.values)
            started_at, ended_at = local_period(data)
            period_refused = local_period_problems(started_at, ended_at)
            if period_refused:  # in the page's words: an end read as the next day's is said to be one
                raise ValidationError(period_refused)
            if group:
                created = services.log_activity(db, actor=actor, center=center, started_at=started_at,
                                                ended_at=ended_at, **data)
            else:
                created = [services.log_record(db, actor=actor, center=center, started_at=started_at,
                                               ended_at=ended_at, **data)]
        except (ValidationError, DomainError) as error:
            refuse_beside_fields(state, error, volunteer_field=volunteer_field)
        else:
            if group:
                flash(_("%(count)s service records were logged and wait for approval.", count=len(created)),
                      "success")
                return redirect(url_for("hours.index", status="pending"))
            flash(_("The service record of %(name)s was logged and waits for approval.",
                    name=created[0].volunteer_name), "success")
            return redirect(url_for("hours.show", record_id=created[0].id))
    volunteers = list_volunteers(db, actor=actor, center=center, active=True, search=search or None,
                                 per_page=MAX_CHOICES) if center else None
    return render_template("hours/entry.html", state=state, group=group, centers=centers, center=center,
                           search=search, volunteers=volunteers, service_types=_service_types(db, actor)), \
        state.status


def _chosen_center(centers) -> str | None:
    """Staff log at their own center; an admin chooses one first (``?center=``)."""
    if len(centers) == 1:
        return centers[0][0]
    wanted = request.args.get("center", "").strip().upper()
    return wanted if wanted in {code for code, _label in centers} else None


def _service_types(db, actor) -> list[tuple[str, str]]:
    found = list_service_types(db, actor=actor, active=True)
    return [(row.code, localized(row.name_zh, row.name_en)) for row in found]


# --- one record ------------------------------------------------------------------------------------------------------

@bp.get("/<int:record_id>")
@allow(READ_RECORDS)
def show(record_id: int):
    return _record_page(record_id)


@bp.post("/<int:record_id>/approve")
@allow(DECIDE_HOURS)
def approve(record_id: int):
    state, now = FormState(), utcnow()
    try:
        [record] = services.approve_records(get_db(), actor=current_principal(), record_ids=[record_id],
                                            validity_days=validity_days(), now=now)
    except DomainError as error:
        state.refuse(error)
        return _record_page(record_id, decide=state)
    if record.decided_at == now:
        flash(_("Approved: %(credits)s credits went into the account of %(name)s, and the receipt was issued.",
                credits=format_credits(record.credits or 0), name=record.volunteer_name), "success")
    else:
        flash(_("This record had already been approved; nothing was added twice."), "info")
    return redirect(url_for("hours.show", record_id=record_id))


@bp.post("/<int:record_id>/reject")
@allow(DECIDE_HOURS)
def reject(record_id: int):
    db, actor, state = get_db(), current_principal(), FormState()
    done = load_and_call(ReasonSchema(), lambda data: services.reject_record(db, actor=actor, record_id=record_id,
                                                                          **data), state=state)
    if done is None:
        return _record_page(record_id, reject=state)
    flash(_("The service record was rejected."), "success")
    return redirect(url_for("hours.show", record_id=record_id))


@bp.post("/<int:record_id>/reverse")
@allow(REVERSE_HOURS)
def reverse(record_id: int):
    db, actor, state = get_db(), current_principal(), FormState()
    done = load_and_call(ReasonSchema(), lambda data: services.reverse_record(db, actor=actor, record_id=record_id,
                                                                           **data), state=state)
    if done is None:
        return _record_page(record_id, reverse=state)
    flash(_("The service record was reversed: its %(credits)s credits were taken back and its receipt now shows "
            "it as reversed.", credits=format_credits(done.credits or 0)), "success")
    return redirect(url_for("hours.show", record_id=record_id))


@bp.post("/<int:record_id>/confirmation")
@allow(CONFIRM_SERVICE)
def confirm(record_id: int):
    db, actor, state = get_db(), current_principal(), FormState()
    done = load_and_call(RatingSchema(), lambda data: services.confirm_record(db, actor=actor, record_id=record_id,
                                                                           **data), state=state)
    if done is None:
        return _record_page(record_id, rating=state)
    flash(_("Thank you! The resident's rating was recorded."), "success")
    return redirect(url_for("hours.show", record_id=record_id))


def _record_page(record_id: int, **states):
    db, actor = get_db(), current_principal()
    record = queries.get_record(db, actor=actor, record_id=record_id)
    people = queries.record_people(db, actor=actor, record_id=record_id)
    states = {name: states.get(name) or FormState() for name in ("decide", "reject", "reverse", "rating")}
    status = next((state.status for state in states.values() if not state.ok), 200)
    return render_template("hours/record.html", record=record, people=people, states=states,
                           may_decide=DECIDE_HOURS.allows(actor) and actor.role != "volunteer",
                           may_reverse=REVERSE_HOURS.allows(actor) and actor.role != "volunteer",
                           may_confirm=CONFIRM_SERVICE.allows(actor)), status
