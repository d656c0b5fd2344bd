"""Volunteers: list with search and paging, register, edit, deactivate, and import from a spreadsheet (CSV).

Admins manage every center's volunteers; staff their own center's (the services decide which, and a volunteer out of
sight is "not found").
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from timebank.auth.access import allow
from timebank.centers.views import center_choices
from timebank.db import get_db
from timebank.users.services import volunteer_login
from timebank.errors import DomainError
from timebank.request_limits import MAX_UPLOAD_BODY, accepts_body_up_to
from timebank.volunteers import services
from timebank.volunteers import csv_import
from timebank.volunteers.api import template_response
from timebank.volunteers.permissions import (CHANGE_VOLUNTEER, IMPORT_VOLUNTEERS, MANAGE_VOLUNTEERS,
                                             REGISTER_VOLUNTEER)
from timebank.spreadsheets.uploads import uploaded_file
from timebank.volunteers.schemas import VolunteerCreateSchema, VolunteerListQuerySchema, VolunteerUpdateSchema
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FormState, load_and_call, query
from timebank.web.lists import ListFilter, add_active_toggle, status_filter

bp = page_blueprint("volunteers", __name__, url_prefix="/volunteers", template_folder="templates")

FORM_FIELDS = ("name", "phone", "home_center", "id_card_tail", "birth_year")


@bp.get("/")
@allow(MANAGE_VOLUNTEERS)
def index():
    db, actor = get_db(), current_principal()
    args = query(VolunteerListQuerySchema())
    volunteers = services.list_volunteers(db, actor=actor, **args)
    centers = center_choices(db, actor)
    filters = [status_filter()]
    if len(centers) > 1:
        filters.insert(0, ListFilter("center", _("Home center"), tuple(centers), _("All centers")))
    return render_template("volunteers/list.html", volunteers=volunteers, filters=filters)


@bp.route("/new", methods=["GET", "POST"])
@allow(REGISTER_VOLUNTEER)
def create():
    db, actor = get_db(), current_principal()
    centers = center_choices(db, actor)
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
    return render_template("volunteers/form.html", state=state, volunteer=volunteer, centers=center_choices(db, actor),
                           login=volunteer_login(db, actor=actor, volunteer_id=volunteer_id)), state.status


add_active_toggle(
    bp, "/<int:volunteer_id>/active", permission=CHANGE_VOLUNTEER,
    change=lambda db, *, actor, active, volunteer_id: services.set_volunteer_active(
        db, actor=actor, volunteer_id=volunteer_id, active=active),
    activated=lambda volunteer: _("Volunteer %(name)s is active again.", name=volunteer.name),
    deactivated=lambda volunteer: _("Volunteer %(name)s was deactivated.", name=volunteer.name),
    back="volunteers.index")


@bp.route("/import", methods=["GET", "POST"])
@allow(IMPORT_VOLUNTEERS)
@accepts_body_up_to(MAX_UPLOAD_BODY)
def import_csv():
    """Step 1: upload a file and see the dry-run report. Step 2: confirm, and the same file is imported at once.

    Between the two the file waits on the server (``csv_import.hold_for_confirmation``); the form carries only its
    random id, so the confirmation cannot carry anything else."""
    state = FormState()
    report, pending = None, ""
    db, actor = get_db(), current_principal()
    if request.method == "POST":
        try:
            if request.form.get("confirm") == "import":
                report = csv_import.import_pending(db, actor=actor, pending_id=request.form.get("pending", "")[:64])
            else:
                data = uploaded_file()
                if data is None:
                    state.errors["file"] = [str(csv_import.NO_FILE)]
                else:
                    report = csv_import.import_volunteers(db, actor=actor, csv_text=data, dry_run=True)
                    if report.ok and report.created:
                        pending = csv_import.hold_for_confirmation(db, actor=actor, data=data)
        except DomainError as error:
            state.refuse(error)
        else:
            if report is not None and report.ok and not report.dry_run:
                flash(_("Imported: %(created)s volunteers registered, %(skipped)s already registered.",
                        created=report.created, skipped=report.skipped_existing), "success")
                return redirect(url_for("volunteers.index"))
    return render_template("volunteers/import.html", state=state, report=report, pending=pending,
                           column_names=csv_import.COLUMN_NAMES, headers=csv_import.HEADERS_ZH,
                           max_megabytes=csv_import.MAX_IMPORT_BYTES // (1024 * 1024)), state.status


@bp.get("/import/template")
@allow(IMPORT_VOLUNTEERS)
def import_template():
    """The blank file to fill in, as CSV (with a BOM, so Excel shows the Chinese) or XLSX."""
    kind = request.args.get("format", "csv")
    return template_response(kind if kind in csv_import.TEMPLATE_TYPES else "csv")
