"""The admin's pages for service types (服务类型): list, add, edit (names, credits per hour), deactivate."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from timebank.auth.access import allow
from timebank.db import get_db
from timebank.paging import Page
from timebank.service_types import services
from timebank.service_types.permissions import MANAGE_SERVICE_TYPES
from timebank.service_types.schemas import ServiceTypeCreateSchema, ServiceTypeUpdateSchema
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FormState, load_and_call
from timebank.web.lists import add_active_toggle, status_filter

bp = page_blueprint("service_types", __name__, url_prefix="/service-types", template_folder="templates")

PER_PAGE = 20
FORM_FIELDS = ("name_zh", "name_en", "credits_per_hour")


@bp.get("/")
@allow(MANAGE_SERVICE_TYPES)
def index():
    active = {"true": True, "false": False}.get(request.args.get("active", ""))
    found = services.list_service_types(get_db(), actor=current_principal(), active=active)
    return render_template("service_types/list.html", types=_page_of(found), filters=[status_filter()])


@bp.route("/new", methods=["GET", "POST"])
@allow(MANAGE_SERVICE_TYPES)
def create():
    state = FormState()
    if request.method == "POST":
        created = load_and_call(ServiceTypeCreateSchema(), lambda data: services.create_service_type(
            get_db(), actor=current_principal(), **data), state=state, fields=("code", *_typed(FORM_FIELDS)))
        if created is not None:
            flash(_("Service type %(name)s was added.", name=created.name_zh), "success")
            return redirect(url_for("service_types.index"))
    return render_template("service_types/form.html", state=state, service_type=None), state.status


@bp.route("/<int:service_type_id>/edit", methods=["GET", "POST"])
@allow(MANAGE_SERVICE_TYPES)
def edit(service_type_id: int):
    db, actor = get_db(), current_principal()
    found = services.get_service_type(db, actor=actor, service_type_id=service_type_id)
    state = FormState(values={"name_zh": found.name_zh, "name_en": found.name_en,
                              "credits_per_hour": _credits(found.credits_per_hour)})
    if request.method == "POST":
        updated = load_and_call(ServiceTypeUpdateSchema(), lambda data: services.update_service_type(
            db, actor=actor, service_type_id=service_type_id, **data), state=state, fields=_typed(FORM_FIELDS))
        if updated is not None:
            flash(_("Service type %(name)s was saved.", name=updated.name_zh), "success")
            return redirect(url_for("service_types.index"))
    return render_template("service_types/form.html", state=state, service_type=found), state.status


add_active_toggle(
    bp, "/<int:service_type_id>/active", permission=MANAGE_SERVICE_TYPES,
    change=lambda db, *, actor, active, service_type_id: services.update_service_type(
        db, actor=actor, service_type_id=service_type_id, active=active),
    activated=lambda found: _("Service type %(name)s is active again.", name=found.name_zh),
    deactivated=lambda found: _("Service type %(name)s was deactivated.", name=found.name_zh),
    back="service_types.index")


def _typed(names: tuple[str, ...]) -> tuple[str, ...]:
    """The inputs to send: an optional name left empty is left out (the service keeps or derives it)."""
    return tuple(name for name in names if name != "name_en" or request.form.get(name, "").strip())


def _page_of(found) -> Page:
    """The service's answer as one page of the list (it answers a page, or every type at once)."""
    if isinstance(found, Page):
        return found
    try:
        number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        number = 1
    items = tuple(found)
    pages = max(1, -(-len(items) // PER_PAGE))
    number = min(number, pages)
    return Page(items=items[(number - 1) * PER_PAGE:number * PER_PAGE], total=len(items), page=number,
                per_page=PER_PAGE, pages=pages)


def _credits(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"
