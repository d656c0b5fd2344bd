"""The drives' pages for the admin and the centers' staff (兑换活动): the list of drives, setting one up and
changing it (its times, the centers taking part, per item a stock and the limit per volunteer, and the stock at
each center), the live dashboard (held / sold / left per item and center, refreshing itself), and a center's
printable pick list with its CSV download. (The pickup desk has pages of its own.)

Each view loads the form with the API's schema, calls one service and shows its answer; a refusal is shown beside
the field it is about, or above the form.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from timebank.auth.access import allow
from timebank.catalog.services import page_of_items
from timebank.centers.services import get_center, list_centers
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.drives import exports, planning, queries, reservation_queries
from timebank.drives.display import status_name
from timebank.drives.pages import aware, local_input, page_helpers
from timebank.drives.permissions import MANAGE_DRIVES, READ_PICK_LIST
from timebank.drives.rules import PHASES
from timebank.drives.schemas import DriveCreateSchema, DriveListQuerySchema, DriveUpdateSchema
from timebank.errors import DomainError
from timebank.paging import MAX_PER_PAGE
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FORM_ERROR, FormState, query
from timebank.web.i18n import current_language
from timebank.web.lists import ListFilter

bp = page_blueprint("drives", __name__, url_prefix="/drives", template_folder="templates")
bp.context_processor(page_helpers)
# The dashboard's and the pick list's script: a public file, on a plain blueprint (a page blueprint guards every view).
assets = Blueprint("drive_assets", __name__, static_folder="static", static_url_path="/drives/assets")

TIMES = ("opens_at", "closes_at", "pickup_until")
STOCK, LIMIT = "stock-", "limit-"  # an item's inputs are named stock-<SKU> and limit-<SKU>
REFRESH_SECONDS = 15  # how often the dashboard's figures refresh themselves (config DRIVE_REFRESH_SECONDS)
STAFF_AND_ADMIN = ("admin", "staff")


@bp.get("/")
@allow(*STAFF_AND_ADMIN)
def index():
    db, actor = get_db(), current_principal()
    args = query(DriveListQuerySchema())
    found = queries.list_drives(db, actor=actor, **args)
    own = get_center(db, actor=actor, center_id=actor.center_id).code if actor.role == "staff" else None
    filters = [ListFilter("status", _l("Status"), tuple((phase, page_helpers()["phase_name"](phase))
                                                         for phase in PHASES), _l("All drives"))]
    return render_template("drives/list.html", drives=found, filters=filters, own_center=own,
                           managing=MANAGE_DRIVES.allows(actor))


# --- setting a drive up ----------------------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@allow(*MANAGE_DRIVES.roles)  # reads the catalog and centers, then sets the drive up
def create():
    db, actor = get_db(), current_principal()
    catalog, centers = _catalog(db, actor), _all_centers(db, actor)
    state = FormState(values={"centers": []})
    if request.method == "POST":
        state.values = _typed_values()
        chosen = state.values["centers"]
        entries, owners = _entries_for_all(catalog, chosen, state.values, lambda item: None)
        data = {"name": state.values.get("name", ""), "centers": chosen, "items": entries,
                **{name: aware(state.values.get(name)) for name in TIMES if state.values.get(name)}}
        try:
            made = planning.create_drive(db, actor=actor, **DriveCreateSchema().load(data))
        except (ValidationError, DomainError) as error:
            _refuse(state, error, owners)
        else:
            flash(_("Drive %(name)s was set up.", name=made.name), "success")
            return redirect(url_for("drives.show", drive_id=made.id))
    return render_template("drives/form.html", state=state, drive=None, catalog=catalog,
                           centers=_center_options(centers), offered={}), state.status


@bp.route("/<int:drive_id>/edit", methods=["GET", "POST"])
@allow(*MANAGE_DRIVES.roles)  # reads the drive, then changes it
def edit(drive_id: int):
    db, actor, now = get_db(), current_principal(), utcnow()
    found = queries.get_drive(db, actor=actor, drive_id=drive_id, now=now)
    catalog, centers = _catalog(db, actor, also=found), _all_centers(db, actor)
    offered = _offered(found)
    started = found.status != "upcoming"
    state = FormState(values={"name": found.name, "centers": [],
                              **{name: local_input(getattr(found, name)) for name in TIMES},
                              **{LIMIT + sku: "" if limit is None else str(limit) for sku, limit in offered.items()}})
    if request.method == "POST":
        state.values = _typed_values()
        added = [code for code in state.values["centers"] if code not in found.centers]
        everywhere = list(found.centers) + added
        entries, owners = _entries_for_all(catalog, everywhere, state.values,
                                           lambda item: _unchanged(found, item, state.values))
        data = {"name": state.values.get("name", ""), "centers": added, "items": entries}
        if not started:
            data.update({name: aware(state.values.get(name)) for name in TIMES if state.values.get(name)})
        try:
            changed = planning.update_drive(db, actor=actor, drive_id=drive_id, now=now,
                                            **DriveUpdateSchema().load(data))
        except (ValidationError, DomainError) as error:
            _refuse(state, error, owners)
        else:
            flash(_("Drive %(name)s was saved.", name=changed.name), "success")
            return redirect(url_for("drives.show", drive_id=drive_id))
    return render_template("drives/form.html", state=state, drive=found, catalog=catalog, started=started,
                           centers=_center_options(c for c in centers if c.code not in found.centers),
                           offered=offered), \
        state.status


@bp.route("/<int:drive_id>/stock", methods=["GET", "POST"])
@allow(*MANAGE_DRIVES.roles)  # reads the drive, then changes its stock
def stock(drive_id: int):
    """One center's stock of every item: set it (never below what is held and sold), or offer an item there."""
    db, actor = get_db(), current_principal()
    found = queries.get_drive(db, actor=actor, drive_id=drive_id)
    center = _chosen(request.values.get("center"), found.centers)
    catalog = _catalog(db, actor, also=found)
    here = {entry.sku: entry for entry in found.items if entry.center == center}
    state = FormState(values={STOCK + sku: str(entry.stock) for sku, entry in here.items()})
    if request.method == "POST" and (request.form.get("center") or "").strip().upper() != center:
        # A form always names one of the drive's centers: never save one center's stock at another.
        state.errors[FORM_ERROR] = [_("Choose one of the centers taking part in this drive, then enter its stock.")]
    elif request.method == "POST" and center:
        state.values = {name: value.strip() for name, value in request.form.items()}
        entries, owners = [], []
        for item in catalog:
            typed = state.values.get(STOCK + item.sku, "")
            if typed and (item.sku not in here or typed != str(here[item.sku].stock)):
                entries.append({"sku": item.sku, "center": center, "stock": typed})  # the limit stays
                owners.append(item.sku)
        try:
            planning.update_drive(db, actor=actor, drive_id=drive_id, **DriveUpdateSchema().load({"items": entries}))
        except (ValidationError, DomainError) as error:
            _refuse(state, error, owners)
        else:
            flash(_("The stock at %(center)s was saved.", center=center), "success")
            return redirect(url_for("drives.stock", drive_id=drive_id, center=center))
    return render_template("drives/stock.html", state=state, drive=found, center=center, catalog=catalog,
                           here=here), state.status


# --- watching it -----------------------------------------------------------------------------------------------------

@bp.get("/<int:drive_id>")
@allow(*STAFF_AND_ADMIN)
def show(drive_id: int):
    """The live dashboard: held, sold and left per item, for the city and for each center."""
    figures = _figures(drive_id)
    return render_template("drives/dashboard.html",
                           refresh=int(current_app.config.get("DRIVE_REFRESH_SECONDS", REFRESH_SECONDS)),
                           managing=MANAGE_DRIVES.allows(current_principal()), **figures)


@bp.get("/<int:drive_id>/figures")
@allow(*STAFF_AND_ADMIN)
def figures(drive_id: int):
    """The dashboard's figures alone, for its script to swap in every few seconds."""
    return render_template("drives/_figures.html", **_figures(drive_id))


@dataclass(frozen=True)
class Totals:
    sku: str
    name_zh: str
    name_en: str
    unit: str
    stock: int
    held: int
    sold: int

    @property
    def left(self) -> int:
        return self.stock - self.held - self.sold


def _figures(drive_id: int) -> dict:
    found = queries.get_drive(get_db(), actor=current_principal(), drive_id=drive_id)
    center = request.args.get("center", "").strip().upper()
    center = center if center in found.centers else ""
    totals: dict[str, Totals] = {}
    by_center: dict[str, list[queries.StockEntry]] = {}
    for entry in found.items:
        was = totals.get(entry.sku)
        totals[entry.sku] = Totals(entry.sku, entry.name_zh, entry.name_en, entry.unit,
                                   (was.stock if was else 0) + entry.stock, (was.held if was else 0) + entry.held,
                                   (was.sold if was else 0) + entry.sold)
        if not center or entry.center == center:
            by_center.setdefault(entry.center, []).append(entry)
    names = {entry.center: entry.center_name for entry in found.items}
    return {"drive": found, "totals": list(totals.values()), "by_center": by_center, "center_names": names,
            "center": center, "as_of": utcnow()}


# --- a center's pick list --------------------------------------------------------------------------------------------

@bp.get("/<int:drive_id>/pick-list")
@allow(*READ_PICK_LIST.roles)  # reads the drive (its centers) and the pick list
def pick_list(drive_id: int):
    pick, found = _pick(drive_id)
    return render_template("drives/pick_list.html", pick=pick, drive=found, now=utcnow(), pick_status=status_name)


@bp.get("/<int:drive_id>/pick-list.csv")
@allow(*READ_PICK_LIST.roles)  # reads the drive (its centers) and the pick list
def pick_list_csv(drive_id: int):
    pick, _found = _pick(drive_id)
    english = current_language() == "en"
    ascii_name, name = exports.file_name(pick, english=english)
    response = Response(exports.pick_list_csv(pick, english=english), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return response


def _pick(drive_id: int):
    db, actor = get_db(), current_principal()
    found = queries.get_drive(db, actor=actor, drive_id=drive_id)
    center = None if actor.role == "staff" else _chosen(request.args.get("center"), found.centers)
    if actor.role != "staff" and center is None:
        raise queries.DriveNotFound(drive_id=drive_id)  # a drive without centers has no pick list
    return reservation_queries.pick_list(db, actor=actor, drive_id=drive_id, center=center), found


# --- the form's pieces -----------------------------------------------------------------------------------------------

def _typed_values() -> dict:
    values = {name: value.strip() for name, value in request.form.items() if name != "centers"}
    values["centers"] = [code.strip().upper() for code in request.form.getlist("centers") if code.strip()]
    return values


def _entries_for_all(catalog, centers: list[str], values: dict, unchanged) -> tuple[list[dict], list[str]]:
    """The stock entries the form asks for: an item whose stock is typed, at every one of ``centers``; an item
    whose limit alone changed, at its centers with their stock as it is (``unchanged(item)``: those entries, or
    ``None``). Returns the entries and, for each, the SKU whose inputs it came from."""
    entries, owners = [], []
    for item in catalog:
        typed = values.get(STOCK + item.sku, "")
        limit = values.get(LIMIT + item.sku, "") or None
        if typed:
            rows = [{"sku": item.sku, "center": code, "stock": typed, "limit_per_volunteer": limit}
                    for code in centers]
        else:
            rows = unchanged(item) or []
        entries += rows
        owners += [item.sku] * len(rows)
    return entries, owners


def _unchanged(found: queries.DriveView, item, values: dict) -> list[dict] | None:
    """An offered item whose limit changed and whose stock was left alone: its entries as they are, new limit."""
    mine = [entry for entry in found.items if entry.sku == item.sku]
    if not mine:
        return None
    limit = values.get(LIMIT + item.sku, "") or None
    current = mine[0].limit_per_volunteer
    if (limit or "") == ("" if current is None else str(current)):
        return None
    return [{"sku": entry.sku, "center": entry.center, "stock": entry.stock, "limit_per_volunteer": limit}
            for entry in mine]


def _refuse(state: FormState, error: Exception, owners: list[str]) -> None:
    """Messages about an entry beside its item's inputs (``owners[i]``: the SKU of entry ``i``); the rest where the
    form puts them."""
    nested = {}
    if isinstance(error, ValidationError) and isinstance(error.messages, dict):
        nested = error.messages.get("items") if isinstance(error.messages.get("items"), dict) else {}
    state.refuse(error)
    if nested:
        state.errors.pop("items", None)
        for index, problems in nested.items():
            if not isinstance(index, int) or index >= len(owners) or not isinstance(problems, dict):
                continue
            for field, messages in problems.items():
                name = (LIMIT if field == "limit_per_volunteer" else STOCK) + owners[index]
                for message in messages if isinstance(messages, list) else [messages]:
                    if str(message) not in state.errors.setdefault(name, []):
                        state.errors[name].append(str(message))
    if "items" in state.errors:  # the service's own words about the stock (a SKU unknown, below what is held …)
        state.errors.setdefault(FORM_ERROR, []).extend(state.errors.pop("items"))


def _catalog(db, actor, also: queries.DriveView | None = None) -> list:
    """The items a drive may offer: the active ones, and those a drive offers already (even when deactivated)."""
    items = list(page_of_items(db, actor=actor, active=True, per_page=MAX_PER_PAGE).items)
    known = {item.sku for item in items}
    if also is not None:
        extra = {entry.sku for entry in also.items} - known
        if extra:
            items += [item for item in page_of_items(db, actor=actor, active=False, per_page=MAX_PER_PAGE).items
                      if item.sku in extra]
    return items


def _all_centers(db, actor) -> list:
    """Every active center, by code (a city has about 500: several pages of the service)."""
    found, number = [], 1
    while True:
        page = list_centers(db, actor=actor, active=True, page=number, per_page=MAX_PER_PAGE)
        found += page.items
        if number >= page.pages:
            return found
        number += 1


def _center_options(centers) -> list[tuple[str, str]]:
    return [(center.code, f"{center.code} {center.name}") for center in centers]


def _offered(found: queries.DriveView) -> dict:
    """``{sku: limit per volunteer}`` of the items the drive offers."""
    return {entry.sku: entry.limit_per_volunteer for entry in found.items}


def _chosen(code: str | None, centers) -> str | None:
    wanted = (code or "").strip().upper()
    return wanted if wanted in centers else (centers[0] if centers else None)
