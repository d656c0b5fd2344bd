"""The admin's pages for the redemption catalog (物品目录): list and search, add an item, change its names, unit or
price, deactivate it (a deactivated item cannot be offered in a drive nor reserved any more)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from timebank.auth.access import allow
from timebank.catalog import services
from timebank.catalog.permissions import MANAGE_CATALOG
from timebank.catalog.schemas import CatalogItemCreateSchema, CatalogItemUpdateSchema, CatalogListQuerySchema
from timebank.db import get_db
from timebank.ledger.rules import format_credits
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FormState, load_and_call, query
from timebank.web.i18n import current_language
from timebank.web.lists import add_active_toggle, status_filter

bp = page_blueprint("catalog", __name__, url_prefix="/catalog", template_folder="templates")

CREATE_FIELDS = ("sku", "name_zh", "name_en", "unit", "price")
EDIT_FIELDS = ("name_zh", "name_en", "unit", "price")


@bp.context_processor
def _helpers():
    return {"item_name": item_name, "price_text": format_credits}


def item_name(item) -> str:
    """An item's name in the page's language (the Chinese one when there is no English one)."""
    return item.name_en if current_language() == "en" and item.name_en else item.name_zh


@bp.get("/")
@allow(*MANAGE_CATALOG.roles)  # the keeper reads the catalog (READ_CATALOG) to keep it
def index():
    found = services.page_of_items(get_db(), actor=current_principal(), **query(CatalogListQuerySchema()))
    return render_template("catalog/list.html", items=found, filters=[status_filter()])


@bp.route("/new", methods=["GET", "POST"])
@allow(MANAGE_CATALOG)
def create():
    state = FormState()
    if request.method == "POST":
        created = load_and_call(CatalogItemCreateSchema(), lambda data: services.create_item(
            get_db(), actor=current_principal(), **data), state=state, fields=_typed(CREATE_FIELDS))
        if created is not None:
            flash(_("%(name)s was added to the catalog at %(price)s credits.", name=created.name_zh,
                    price=format_credits(created.price)), "success")
            return redirect(url_for("catalog.index"))
    return render_template("catalog/form.html", state=state, item=None), state.status


@bp.route("/<int:item_id>/edit", methods=["GET", "POST"])
@allow(*MANAGE_CATALOG.roles)  # reads the item, then changes it
def edit(item_id: int):
    db, actor = get_db(), current_principal()
    found = services.get_item(db, actor=actor, item_id=item_id)
    state = FormState(values={"name_zh": found.name_zh, "name_en": found.name_en, "unit": found.unit,
                              "price": format_credits(found.price)})
    if request.method == "POST":
        updated = load_and_call(CatalogItemUpdateSchema(), lambda data: services.update_item(
            db, actor=actor, item_id=item_id, **data), state=state, fields=_typed(EDIT_FIELDS))
        if updated is not None:
            flash(_("%(name)s was saved.", name=updated.name_zh), "success")
            return redirect(url_for("catalog.index"))
    return render_template("catalog/form.html", state=state, item=found), state.status


add_active_toggle(
    bp, "/<int:item_id>/active", permission=MANAGE_CATALOG,
    change=lambda db, *, actor, active, item_id: services.update_item(db, actor=actor, item_id=item_id,
                                                                      active=active),
    activated=lambda item: _("%(name)s is offered again.", name=item.name_zh),
    deactivated=lambda item: _("%(name)s was deactivated: it can no longer be offered or reserved.",
                               name=item.name_zh),
    back="catalog.index")


def _typed(names: tuple[str, ...]) -> tuple[str, ...]:
    """The inputs to send: an English name left empty is left out (the service uses the Chinese one)."""
    return tuple(name for name in names if name != "name_en" or request.form.get(name, "").strip())
