"""The admin's pages for the redemption catalog (物品目录): list and search, add an item, change its names, unit or
price, deactivate it (a deactivated item cannot be offered in a drive nor reserved any more)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from timebank.auth.access import allow
from timebank.catalog import services
from timebank.catalog.permissions import MANAGE_CATALOG
from timebank.catalog.photos import CONTENT_TYPE, photo_path
from timebank.catalog.schemas import CatalogItemCreateSchema, CatalogItemUpdateSchema, CatalogListQuerySchema
from timebank.catalog.upload import PHOTO_BODY, uploaded_photo
from timebank.db import get_db
from timebank.errors import ValidationFailed
from timebank.request_limits import accepts_body_up_to
from timebank.security import without_cookie_session_matching
from timebank.ledger.rules import format_credits
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FormState, load_and_call, query
from timebank.web.i18n import current_language
from timebank.web.lists import add_active_toggle, status_filter

bp = page_blueprint("catalog", __name__, url_prefix="/catalog", template_folder="templates")
photos = Blueprint("catalog_photos", __name__, url_prefix="/catalog/photos")
photos.record_once(lambda state: without_cookie_session_matching(
    state.app, r"/catalog/photos/\d+/[0-9a-f]{16}(?:-thumb)?\.jpg"))

CREATE_FIELDS = ("sku", "name_zh", "name_en", "unit", "price")
EDIT_FIELDS = ("name_zh", "name_en", "unit", "price")


@bp.context_processor
def _helpers():
    return {"item_name": item_name, "price_text": format_credits, "photo_path": photo_path}


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
    state = _as_saved(found)
    if request.method == "POST":
        updated = load_and_call(CatalogItemUpdateSchema(), lambda data: services.update_item(
            db, actor=actor, item_id=item_id, **data), state=state, fields=_typed(EDIT_FIELDS))
        if updated is not None:
            flash(_("%(name)s was saved.", name=updated.name_zh), "success")
            return redirect(url_for("catalog.index"))
    return render_template("catalog/form.html", state=state, item=found, photo=FormState()), state.status


@bp.post("/<int:item_id>/photo")
@allow(*MANAGE_CATALOG.roles)  # changes the photo; refused, reads the item to show its page again
@accepts_body_up_to(PHOTO_BODY)
def upload_photo(item_id: int):
    """The edit page's photo form: a new photo in place of the old one."""
    db, actor = get_db(), current_principal()
    photo = FormState()
    try:
        updated = services.set_photo(db, actor=actor, item_id=item_id, data=uploaded_photo())
    except ValidationFailed as error:
        photo.refuse(error)
        found = services.get_item(db, actor=actor, item_id=item_id)
        return render_template("catalog/form.html", state=_as_saved(found), item=found, photo=photo), photo.status
    flash(_("The photo of %(name)s was saved.", name=updated.name_zh), "success")
    return redirect(url_for("catalog.edit", item_id=item_id))


@bp.post("/<int:item_id>/photo/remove")
@allow(MANAGE_CATALOG)
def remove_photo(item_id: int):
    updated = services.remove_photo(get_db(), actor=current_principal(), item_id=item_id)
    flash(_("The photo of %(name)s was removed.", name=updated.name_zh), "success")
    return redirect(url_for("catalog.edit", item_id=item_id))


@photos.get("/<int:item_id>/<digest>.jpg")
@allow(public=True)
def photo(item_id: int, digest: str):
    """An item's photo (``<digest>``) or its thumbnail (``<digest>-thumb``): this version, for a year. Public, as
    a shop's pictures are (the URL is known only to those shown the catalog), and on a blueprint that never opens
    the cookie session, so that browsers may keep it (a signed-in page is ``no-store``)."""
    thumb = digest.endswith("-thumb")
    data = services.photo_of(get_db(), item_id=item_id, digest=digest.removesuffix("-thumb"), thumb=thumb)
    if data is None:
        abort(404)
    response = Response(data, mimetype=CONTENT_TYPE)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


add_active_toggle(
    bp, "/<int:item_id>/active", permission=MANAGE_CATALOG,
    change=lambda db, *, actor, active, item_id: services.update_item(db, actor=actor, item_id=item_id,
                                                                      active=active),
    activated=lambda item: _("%(name)s is offered again.", name=item.name_zh),
    deactivated=lambda item: _("%(name)s was deactivated: it can no longer be offered or reserved.",
                               name=item.name_zh),
    back="catalog.index")


def _as_saved(item) -> FormState:
    """The edit form filled with what is saved."""
    return FormState(values={"name_zh": item.name_zh, "name_en": item.name_en, "unit": item.unit,
                             "price": format_credits(item.price)})


def _typed(names: tuple[str, ...]) -> tuple[str, ...]:
    """The inputs to send: an English name left empty is left out (the service uses the Chinese one)."""
    return tuple(name for name in names if name != "name_en" or request.form.get(name, "").strip())
