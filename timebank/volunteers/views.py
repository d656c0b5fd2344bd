"""Volunteers: list with search and paging, register, edit, deactivate, and import from a spreadsheet (CSV).

Admins manage every center's volunteers; staff their own center's (the services decide which, and a volunteer out of
sight is "not found").
"""
from __future__ import annotations

import base64
import zlib

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from timebank.auth.access import allow
from timebank.centers.services import list_centers
from timebank.db import get_db
from timebank.errors import DomainError
from timebank.volunteers import services
from timebank.volunteers.csv_import import import_volunteers
from timebank.volunteers.permissions import (CHANGE_VOLUNTEER, IMPORT_VOLUNTEERS, MANAGE_VOLUNTEERS,
                                             REGISTER_VOLUNTEER)
from timebank.volunteers.schemas import VolunteerCreateSchema, VolunteerListQuerySchema, VolunteerUpdateSchema
from timebank.web.access import current_principal, page_blueprint, safe_next
from timebank.web.forms import FormState, flash_refusal, load_and_call, query

bp = page_blueprint("volunteers", __name__, url_prefix="/volunteers", template_folder="templates")

FORM_FIELDS = ("name", "phone", "home_center", "id_card_tail", "birth_year")


@bp.get("/")
@allow(MANAGE_VOLUNTEERS)
def index():
    db, actor = get_db(), current_principal()
    args = query(VolunteerListQuerySchema())
    volunteers = services.list_volunteers(db, actor=actor, **args)
    return render_template("volunteers/list.html", volunteers=volunteers, args=args, centers=_centers(db, actor))


@bp.route("/new", methods=["GET", "POST"])
@allow(REGISTER_VOLUNTEER)
def create():
    db, actor = get_db(), current_principal()
    centers = _centers(db, actor)
    state = FormState(values={"home_center": centers[0][0]} if len(centers) == 1 else {})
    if request.method == "POST":
        volunteer = load_and_call(VolunteerCreateSchema(), lambda data: services.create_volunteer(
            db, actor=actor, **data), state=state, fields=FORM_FIELDS)
        if volunteer is not None:
            flash(_("Volunteer %(name)s was registered.", name=volunteer.name), "success")
            return redirect(url_for("volunteers.index", search=volunteer.phone))
    return render_template("volunteers/form.html", state=state, volunteer=None, centers=centers), state.status


@bp.route("/<int:volunteer_id>/edit", methods=["GET", "POST"])
@allow(CHANGE_VOLUNTEER)
def edit(volunteer_id: int):
    db, actor = get_db(), current_principal()
    volunteer = services.get_volunteer(db, actor=actor, volunteer_id=volunteer_id)
    state = FormState(values={name: getattr(volunteer, name) for name in FORM_FIELDS})
    if request.method == "POST":
        updated = load_and_call(VolunteerUpdateSchema(), lambda data: services.update_volunteer(
            db, actor=actor, volunteer_id=volunteer_id, **data), state=state, fields=FORM_FIELDS)
        if updated is not None:
            flash(_("Volunteer %(name)s was saved.", name=updated.name), "success")
            return redirect(url_for("volunteers.index", search=updated.phone))
    return render_template("volunteers/form.html", state=state, volunteer=volunteer,
                           centers=_centers(db, actor)), state.status


@bp.post("/<int:volunteer_id>/active")
@allow(CHANGE_VOLUNTEER)
def set_active(volunteer_id: int):
    state = FormState()
    volunteer = load_and_call(VolunteerUpdateSchema(), lambda data: services.set_volunteer_active(
        get_db(), actor=current_principal(), volunteer_id=volunteer_id, active=data.get("active")),
        state=state, fields=("active",))
    if volunteer is None:
        flash_refusal(state)
    elif volunteer.active:
        flash(_("Volunteer %(name)s is active again.", name=volunteer.name), "success")
    else:
        flash(_("Volunteer %(name)s was deactivated.", name=volunteer.name), "success")
    return redirect(safe_next(request.form.get("next"), url_for("volunteers.index")))


@bp.route("/import", methods=["GET", "POST"])
@allow(IMPORT_VOLUNTEERS)
def import_csv():
    """Step 1: upload a file and see the dry-run report. Step 2: confirm, and the same file is imported at once."""
    state = FormState()
    report, kept = None, ""
    if request.method == "POST":
        confirmed = request.form.get("confirm") == "import"
        data = _unpack(request.form.get("kept", "")) if confirmed else _uploaded()
        if data is None:
            state.errors["file"] = [_("Choose a CSV file to check.")]
        else:
            try:
                report = import_volunteers(get_db(), actor=current_principal(), csv_text=data,
                                                    dry_run=not confirmed)
            except DomainError as error:
                state.refuse(error)
            else:
                if report.ok and not report.dry_run:
                    flash(_("Imported: %(created)s volunteers registered, %(skipped)s already registered.",
                            created=report.created, skipped=report.skipped_existing), "success")
                    return redirect(url_for("volunteers.index"))
                kept = _pack(data) if report.ok and report.created else ""
    return render_template("volunteers/import.html", state=state, report=report, kept=kept,
                           describe=_describe_line_error), state.status


def _centers(db, actor) -> list[tuple[str, str]]:
    """The centers this person may register volunteers at, as (code, "code name") choices."""
    page = list_centers(db, actor=actor, active=True, per_page=200)
    return [(center.code, f"{center.code} {center.name}") for center in page.items]


def _uploaded() -> bytes | None:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None
    data = upload.read()
    return data or None


# The checked file travels back with the confirmation (app servers keep nothing between requests), compressed so that
# a large file stays well inside the form size limit. It is the user's own data: the import checks it all again.
def _pack(data: bytes) -> str:
    return base64.b64encode(zlib.compress(data, 9)).decode("ascii")


def _unpack(text: str) -> bytes | None:
    try:
        return zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True)) or None
    except (ValueError, zlib.error):
        return None


def _describe_line_error(error) -> str:
    return str(error.reason)  # a lazy string is rendered in the page's language
