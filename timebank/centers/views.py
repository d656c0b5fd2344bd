"""The admin's pages for centers: list with search and paging, create, edit, deactivate."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from timebank.auth.access import allow
from timebank.centers import services
from timebank.centers.permissions import CHANGE_CENTER, CREATE_CENTER, MANAGE_CENTERS
from timebank.centers.schemas import CenterCreateSchema, CenterListQuerySchema, CenterUpdateSchema
from timebank.db import get_db
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FormState, load_and_call, query
from timebank.web.lists import add_active_toggle, status_filter

bp = page_blueprint("centers", __name__, url_prefix="/centers", template_folder="templates")


@bp.get("/")
@allow(MANAGE_CENTERS)
def index():
    args = query(CenterListQuerySchema())
    centers = services.list_centers(get_db(), actor=current_principal(), **args)
    return render_template("centers/list.html", centers=centers, filters=[status_filter()])


@bp.route("/new", methods=["GET", "POST"])
@allow(CREATE_CENTER)
def create():
    state = FormState()
    if request.method == "POST":
        center = load_and_call(CenterCreateSchema(), lambda data: services.create_center(
            get_db(), actor=current_principal(), **data), state=state)
        if center is not None:
            flash(_("Center %(code)s %(name)s was added.", code=center.code, name=center.name), "success")
            return redirect(url_for("centers.index", search=center.code))
    return render_template("centers/form.html", state=state, center=None), state.status


@bp.route("/<int:center_id>/edit", methods=["GET", "POST"])
@allow(CHANGE_CENTER)
def edit(center_id: int):
    db, actor = get_db(), current_principal()
    center = services.get_center(db, actor=actor, center_id=center_id)
    state = FormState(values={"name": center.name, "district": center.district})
    if request.method == "POST":
        updated = load_and_call(CenterUpdateSchema(), lambda data: services.update_center(
            db, actor=actor, center_id=center_id, **data), state=state, fields=("name", "district"))
        if updated is not None:
            flash(_("Center %(code)s was saved.", code=updated.code), "success")
            return redirect(url_for("centers.index", search=updated.code))
    return render_template("centers/form.html", state=state, center=center), state.status


add_active_toggle(
    bp, "/<int:center_id>/active", permission=CHANGE_CENTER,
    change=lambda db, *, actor, active, center_id: services.set_center_active(
        db, actor=actor, center_id=center_id, active=active),
    activated=lambda center: _("Center %(code)s is active again.", code=center.code),
    deactivated=lambda center: _("Center %(code)s was deactivated.", code=center.code),
    back="centers.index")


def center_choices(db, actor) -> list[tuple[str, str]]:
    """The active centers this person may pick (a volunteer's home center, a staff member's center …), as
    (code, "code name") choices."""
    page = services.list_centers(db, actor=actor, active=True, per_page=200)
    return [(center.code, f"{center.code} {center.name}") for center in page.items]
