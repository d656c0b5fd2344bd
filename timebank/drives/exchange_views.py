"""The volunteer's exchange pages (兑换物品), phone first: the open drive's goods with their price and whether the
credits reach, a basket of plain selects (no script needed), the pickup center, reserving; the voucher with its
large QR and short code; cancelling with a confirmation; and the list of their reservations.

Reserving and cancelling move credits and stock, so each form carries a key made when it was rendered
(``timebank.web.once``): a double tap, or a form sent again after a dropped connection, reserves once.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from timebank.auth.access import allow
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.drives import queries, reservation_queries, reservations
from timebank.drives.pages import item_name, page_helpers, to_volunteer
from timebank.drives.rules import COUNTING_STATUSES
from timebank.drives.schemas import ReservationCreateSchema
from timebank.errors import DomainError
from timebank.ledger.rules import format_credits
from timebank.record_book.queries import get_account
from timebank.volunteers.services import get_volunteer
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FORM_ERROR, FormState, errors_of
from timebank.web.once import new_key, run_once, submitted_key

bp = page_blueprint("exchange", __name__, url_prefix="/exchange", template_folder="templates")
bp.context_processor(page_helpers)

MAX_CHOICE = 20  # the most of one item the basket's select offers at once
PER_PAGE = 20
QUANTITY = "qty-"  # the basket's select of an item is named qty-<SKU>


@bp.get("/")
@allow("volunteer")
def index():
    """Where the exchange starts: the vouchers to collect, the drive open now (or when the next one opens)."""
    db, actor, now = get_db(), _volunteer(), utcnow()
    open_now = queries.list_drives(db, actor=actor, status="open", per_page=20, now=now).items
    upcoming = queries.list_drives(db, actor=actor, status="upcoming", per_page=50, now=now).items
    to_collect = reservation_queries.list_reservations(db, actor=actor, status="held", per_page=PER_PAGE)
    return render_template("exchange/index.html", open_now=open_now,
                           next_drive=min(upcoming, key=lambda d: d.opens_at) if upcoming else None,
                           to_collect=to_collect, available=_available(db, actor))


@bp.get("/drives/<int:drive_id>")
@allow("volunteer")
def drive(drive_id: int):
    return _drive_page(drive_id)


@bp.post("/drives/<int:drive_id>/reserve")
@allow("volunteer")
def reserve(drive_id: int):
    db, actor = get_db(), _volunteer()
    state = FormState(values=dict(request.form))
    center = request.form.get("center", "").strip()
    lines = _basket(state)
    key = submitted_key()
    if key is None:
        state.errors.setdefault(FORM_ERROR, []).append(_("This form is out of date. Please choose your goods "
                                                         "again and press the button once more."))
    if not state.ok:
        return _drive_page(drive_id, state=state, center=center)
    try:
        data = ReservationCreateSchema().load({"center": center, "lines": lines})
        location, _replayed = run_once(db, key=key, asked={"drive": drive_id, **data}, action=lambda: url_for(
            "exchange.voucher", reservation_id=reservations.reserve(db, actor=actor, drive_id=drive_id,
                                                                    **data).id))
    except (ValidationError, DomainError) as error:
        _refuse(state, error, drive_id)
        return _drive_page(drive_id, state=state, center=center)
    flash(_("Reserved! Show the QR code below at the pickup center."), "success")
    return redirect(location, 303)


@bp.get("/reservations")
@allow("volunteer")
def reservations_list():
    actor = _volunteer()
    found = reservation_queries.list_reservations(get_db(), actor=actor, page=_page_number(), per_page=PER_PAGE)
    return render_template("exchange/reservations.html", reservations=found)


@bp.get("/reservations/<int:reservation_id>")
@allow("volunteer")
def voucher(reservation_id: int):
    found = reservation_queries.get_reservation(get_db(), actor=_volunteer(), reservation_id=reservation_id)
    return render_template("exchange/voucher.html", reservation=found)


@bp.route("/reservations/<int:reservation_id>/cancel", methods=["GET", "POST"])
@allow("volunteer")
def cancel(reservation_id: int):
    db, actor = get_db(), _volunteer()
    found = reservation_queries.get_reservation(db, actor=actor, reservation_id=reservation_id)
    back = url_for("exchange.voucher", reservation_id=reservation_id)
    key = submitted_key() if request.method == "POST" else None
    if key is None:
        if found.status != "held":
            flash(_("This reservation can no longer be cancelled: its status is “%(status)s”.",
                    status=page_helpers()["status_name"](found.status)), "error")
            return redirect(back)
        return render_template("exchange/cancel.html", reservation=found, form_key=new_key()), \
            200 if request.method == "GET" else 422
    try:  # a second tap of "Yes" finds the first one's answer: cancelled, not "can no longer be cancelled"
        run_once(db, key=key, asked={"cancel": reservation_id}, action=lambda: url_for(
            "exchange.voucher", reservation_id=reservations.cancel_reservation(
                db, actor=actor, reservation_id=reservation_id).id))
    except DomainError as error:
        flash(_("This reservation can no longer be cancelled: its status is “%(status)s”.",
                status=page_helpers()["status_name"](found.status)) if error.code == "reservation_not_held"
              else error.text(), "error")
        return redirect(back, 303)
    flash(_("Your reservation was cancelled: %(amount)s credits are yours to spend again.",
            amount=format_credits(found.total)), "success")
    return redirect(back, 303)


# --- the drive's page ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Goods:
    """One item on the basket's page, at the chosen pickup center."""

    entry: queries.StockEntry
    reserved: int  # what this volunteer holds or collected of it in this drive
    room: int  # how many more the limit lets them have (None: no limit)
    choices: int  # the select offers 0 to this many
    affordable: bool

    @property
    def field(self) -> str:
        return QUANTITY + self.entry.sku


def _drive_page(drive_id: int, *, state: FormState | None = None, center: str | None = None):
    db, actor, now = get_db(), _volunteer(), utcnow()
    state = state or FormState()
    found = queries.get_drive(db, actor=actor, drive_id=drive_id, now=now)
    volunteer = get_volunteer(db, actor=actor, volunteer_id=actor.volunteer_id)
    available = _available(db, actor)
    centers = _pickup_centers(found, volunteer.home_center)
    wanted = (center or request.args.get("center", "")).strip().upper()
    chosen = wanted if wanted in dict(centers) else (centers[0][0] if centers else None)
    reserved = _reserved_in(db, actor, drive_id)
    goods = [_goods(entry, reserved.get(entry.sku, 0), available)
             for entry in found.items if entry.center == chosen and entry.active]
    return render_template("exchange/drive.html", drive=found, state=state, centers=centers, chosen=chosen,
                           chosen_name=dict(centers).get(chosen, ""), goods=goods, available=available,
                           home_center=volunteer.home_center, form_key=new_key()), state.status


def _goods(entry: queries.StockEntry, reserved: int, available: int) -> Goods:
    room = None if entry.limit_per_volunteer is None else max(0, entry.limit_per_volunteer - reserved)
    reach = available // entry.price if entry.price else MAX_CHOICE
    choices = min(max(entry.left, 0), MAX_CHOICE, reach, MAX_CHOICE if room is None else room)
    return Goods(entry=entry, reserved=reserved, room=room, choices=choices, affordable=entry.price <= available)


def _pickup_centers(found: queries.DriveView, home: str) -> list[tuple[str, str]]:
    """The centers taking part that have goods to hand over, the volunteer's home center first."""
    names = {entry.center: entry.center_name for entry in found.items}
    return sorted(names.items(), key=lambda pair: (pair[0] != home, pair[0]))


def _reserved_in(db, actor, drive_id: int) -> dict[str, int]:
    """What the volunteer holds or collected of each item in this drive (what their limit counts)."""
    mine = reservation_queries.list_reservations(db, actor=actor, drive_id=drive_id, per_page=200)
    counted: dict[str, int] = {}
    for reservation in mine.items:
        if reservation.status in COUNTING_STATUSES:
            for line in reservation.lines:
                counted[line.sku] = counted.get(line.sku, 0) + line.quantity
    return counted


def _basket(state: FormState) -> list[dict]:
    """The lines of the basket: every item with a quantity above 0 (a quantity that is no number is refused beside
    its item)."""
    lines = []
    for name, value in request.form.items():
        if not name.startswith(QUANTITY):
            continue
        value = value.strip() or "0"
        if not value.isdigit():
            state.errors[name] = [_("Please choose how many.")]
            continue
        if int(value) > 0:
            lines.append({"sku": name[len(QUANTITY):], "quantity": int(value)})
    if not lines and state.ok:
        state.errors[FORM_ERROR] = [_("Please choose at least one item first.")]
    return lines


def _refuse(state: FormState, error: Exception, drive_id: int) -> None:
    """A refusal at the top of the page in plain words; one about an item (none left, over the limit) also beside
    that item."""
    state.refuse(error)
    if not isinstance(error, DomainError) or error.code not in ("insufficient_credits", "out_of_stock",
                                                                 "limit_exceeded", "drive_closed"):
        state.errors = {FORM_ERROR: [message for messages in state.errors.values() for message in messages]}
        return
    sentence = to_volunteer(error)
    state.errors = {FORM_ERROR: [sentence]}
    item = error.params.get("item")
    if item is not None:
        named = str(item)
        for entry in queries.get_drive(get_db(), actor=current_principal(), drive_id=drive_id).items:
            if item_name(entry) == named:
                state.errors[QUANTITY + entry.sku] = [sentence]
                break


def _available(db, actor) -> int:
    return get_account(db, actor=actor, volunteer_id=actor.volunteer_id, lot_limit=1).available


def _volunteer():
    """The signed-in volunteer: these pages are theirs alone (staff reserve for a volunteer at the pickup desk)."""
    actor = current_principal()
    if actor.volunteer_id is None:  # a volunteer's sign-in always names its volunteer; never guess one
        raise reservation_queries.ReservationNotFound(reservation_id=0)
    return actor


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 1_000_000))
    except ValueError:
        return 1
