"""Reserving goods in a drive and cancelling a reservation (SPEC §3.4, §8).

``reserve`` is ONE transaction: under the volunteer's row lock (so their limit per item is counted with nothing of
theirs in flight), the stock of every line is held by guarded updates in item order, the credits are held by the
ledger until ``pickup_until`` (a hold, timing out then), and the voucher is issued. A refusal anywhere rolls all of
it back: a second line out of stock leaves the first one's stock untouched.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from timebank.audit.services import record as audit
from timebank.auth.access import Principal
from timebank.catalog.models import CatalogItem
from timebank.catalog.rules import normalize_sku
from timebank.catalog.services import item_label
from timebank.centers.services import center_labels
from timebank.clock import utcnow
from timebank.db import Database
from timebank.drives import rules, stock
from timebank.drives.booking import cause, drive_row, lock_reservation, pickup_center, quantities_of, redemption_account
from timebank.drives.display import local_time, status_name
from timebank.drives.errors import DriveClosed, InsufficientCredits, LimitExceeded, NotHeld, OutOfStock
from timebank.drives.models import DriveItem, Reservation, ReservationLine
from timebank.drives.permissions import CANCEL_RESERVATION, RESERVE
from timebank.drives.reservation_queries import ReservationView, reservation_view
from timebank.errors import FieldErrors, field_error
from timebank.ledger import errors as ledger_errors
from timebank.ledger import postings
from timebank.ledger.accounts import balance_of
from timebank.ledger.rules import format_credits
from timebank.receipts.codec import Kind
from timebank.receipts.services import issue_receipt, revoke_receipt
from timebank.volunteers.services import lock_volunteers

R = Reservation.__table__
RL = ReservationLine.__table__
DI = DriveItem.__table__
CI = CatalogItem.__table__

_OFFERED = (select(DI.c.item_id, DI.c.limit_per_volunteer, CI.c.sku, CI.c.name_zh, CI.c.name_en, CI.c.unit,
                   CI.c.price, CI.c.active)
            .join(CI, CI.c.id == DI.c.item_id)
            .where(DI.c.drive_id == bindparam("drive_id"), CI.c.sku.in_(bindparam("skus", expanding=True))))
_ALREADY = (select(RL.c.item_id, func.sum(RL.c.quantity))
            .join(R, R.c.id == RL.c.reservation_id)
            .where(R.c.drive_id == bindparam("drive_id"), R.c.volunteer_id == bindparam("volunteer_id"),
                   R.c.status.in_(rules.COUNTING_STATUSES), RL.c.item_id.in_(bindparam("items", expanding=True)))
            .group_by(RL.c.item_id))


def reserve(db: Database, *, actor: Principal, drive_id: int, center: str, lines: list[dict],
            volunteer_id: int | None = None, now: datetime | None = None) -> ReservationView:
    """A volunteer reserves for themselves (``volunteer_id`` may be left out), staff for a volunteer at their own
    center: ``lines`` of ``{sku, quantity}``, all or nothing. Refused with ``drive_closed`` outside
    ``opens_at``–``closes_at``, ``limit_exceeded``, ``insufficient_credits`` or ``out_of_stock``."""
    RESERVE.require(actor)
    now = now or utcnow()
    wanted = checked_lines(lines)
    volunteer_id = whose(actor, volunteer_id)

    def work(s: Session) -> ReservationView:
        drive = drive_row(s, drive_id)
        if not rules.takes_reservations(drive.opens_at, drive.closes_at, now):
            raise DriveClosed(drive=drive.name, opens=local_time(drive.opens_at), closes=local_time(drive.closes_at))
        center_row = pickup_center(s, actor, drive.id, center)
        reservation_id = place_reservation(s, db, actor=actor, drive=drive, center_id=center_row.id,
                                           volunteer_id=volunteer_id, wanted=wanted, now=now)
        return reservation_view(s, reservation_id)

    return db.transaction(work)


def cancel_reservation(db: Database, *, actor: Principal, reservation_id: int,
                       now: datetime | None = None) -> ReservationView:
    """Before pickup: the stock and the credits return (the hold is voided) and the voucher verifies as cancelled."""
    CANCEL_RESERVATION.require(actor)
    now = now or utcnow()

    def work(s: Session) -> ReservationView:
        row = lock_reservation(s, reservation_id, actor)
        if row.status != "held":
            raise NotHeld(reservation_id=reservation_id, status=status_name(row.status))
        stock.release(s, drive_id=row.drive_id, center_id=row.center_id, quantities=quantities_of(s, row.id))
        postings.void_hold(s, hold_id=row.hold_transfer_id, key=f"reservation:{row.id}:cancel",
                           cause=cause(actor, row.id), now=now)
        revoke_receipt(db, kind=Kind.VOUCHER, reference=row.id, status="cancelled", at=now)
        s.execute(update(R).where(R.c.id == row.id).values(status="cancelled", cancelled_at=now,
                                                           cancelled_by=actor.user_id))
        audit(s, actor=actor, action="reservation.cancel", object_type="reservation", object_id=row.id,
              center_id=row.center_id, detail={"total": format_credits(row.total)})
        return reservation_view(s, row.id)

    return db.transaction(work)


def place_reservation(s: Session, db: Database, *, actor: Principal, drive, center_id: int, volunteer_id: int,
                      wanted: dict[str, int], now: datetime, walk_up: bool = False) -> int:
    """Hold the stock and the credits of a reservation and issue its voucher, in the caller's unit of work (the
    drive's window is the caller's to check). Returns the new reservation's id; raises on the first refusal."""
    volunteer = lock_volunteers(s, [volunteer_id]).get(volunteer_id)
    if volunteer is None:
        raise field_error("volunteer_id", _l("There is no volunteer number %(volunteer_id)s.",
                                             volunteer_id=volunteer_id))
    if not volunteer.active:
        raise field_error("volunteer_id", _l("Volunteer %(name)s is deactivated.", name=volunteer.name))
    items = _offered_items(s, drive.id, wanted)
    _refuse_over_limit(s, drive.id, volunteer_id, items, wanted)
    total = sum(rules.line_amount(items[sku].price, quantity) for sku, quantity in wanted.items())
    available = balance_of(s, volunteer.account_id).available
    if available < total:  # the cheap refusal first, before any stock row is locked; the hold below is the truth
        raise InsufficientCredits(total=format_credits(total), available=format_credits(available))
    quantities = {items[sku].item_id: quantity for sku, quantity in wanted.items()}
    short = stock.hold(s, drive_id=drive.id, center_id=center_id, quantities=quantities)
    if short is not None:
        item = next(row for row in items.values() if row.item_id == short)
        raise OutOfStock(item=item_label(item.name_zh, item.name_en),
                         center=center_labels(s, [center_id])[center_id][1], wanted=quantities[short],
                         left=stock.left(s, drive_id=drive.id, center_id=center_id, item_id=short))
    reservation_id = s.execute(insert(R).values(
        drive_id=drive.id, volunteer_id=volunteer_id, center_id=center_id, status="held", total=total,
        walk_up=walk_up, created_by=actor.user_id, created_at=now).returning(R.c.id)).scalar_one()
    s.execute(insert(RL), [{"reservation_id": reservation_id, "item_id": items[sku].item_id, "quantity": quantity,
                            "unit_price": items[sku].price} for sku, quantity in wanted.items()])
    try:
        hold = postings.place_hold(s, account_id=volunteer.account_id, to_account_id=redemption_account(s, center_id),
                                   amount=total, timeout=drive.pickup_until - now,
                                   key=f"reservation:{reservation_id}:hold", cause=cause(actor, reservation_id),
                                   now=now)
    except ledger_errors.InsufficientCredits:  # credits expired or were held since the look above
        available = balance_of(s, volunteer.account_id).available
        raise InsufficientCredits(total=format_credits(total), available=format_credits(available)) from None
    s.execute(update(R).where(R.c.id == reservation_id).values(hold_transfer_id=hold.id))
    issue_receipt(db, kind=Kind.VOUCHER, center_id=center_id, volunteer_id=volunteer_id, amount=total,
                  reference=reservation_id, expires_at=drive.pickup_until, now=now)
    audit(s, actor=actor, action="reservation.create", object_type="reservation", object_id=reservation_id,
          center_id=center_id, detail={"drive_id": drive.id, "volunteer_id": volunteer_id, "walk_up": walk_up,
                                       "total": format_credits(total), "lines": wanted})
    return reservation_id


def checked_lines(lines: list[dict]) -> dict[str, int]:
    """``{sku: quantity}`` of a reservation's lines, or every problem at once: none, too many, a SKU twice, a
    quantity out of range."""
    problems = FieldErrors()
    wanted: dict[str, int] = {}
    if not lines:
        problems.add("lines", _l("Choose at least one item."))
    elif len(lines) > rules.MAX_LINES:
        problems.add("lines", _l("A reservation has at most %(limit)s lines.", limit=rules.MAX_LINES))
    for line in lines or ():
        sku = problems.check("lines", normalize_sku, line.get("sku"))
        quantity = line.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= rules.MAX_QUANTITY:
            problems.add("lines", _l("A quantity is a whole number from 1 to %(limit)s.", limit=rules.MAX_QUANTITY))
        elif sku is not None:
            if sku in wanted:
                problems.add("lines", _l("SKU %(sku)s is listed twice.", sku=sku))
            wanted[sku] = quantity
    problems.raise_if_any()
    return wanted


def whose(actor: Principal, volunteer_id: int | None) -> int:
    """The volunteer a reservation is for: a volunteer's own (another's is refused as unknown); staff name one."""
    if actor.role == "volunteer":
        if volunteer_id is not None and volunteer_id != actor.volunteer_id:
            raise field_error("volunteer_id", _l("There is no volunteer number %(volunteer_id)s.",
                                                 volunteer_id=volunteer_id))
        if actor.volunteer_id is None:
            raise field_error("volunteer_id", _l("This sign-in belongs to no volunteer."))
        return actor.volunteer_id
    if volunteer_id is None:
        raise field_error("volunteer_id", _l("Choose the volunteer."))
    return volunteer_id


def _offered_items(s: Session, drive_id: int, wanted: dict[str, int]) -> dict:
    items = {row.sku: row for row in s.execute(_OFFERED, {"drive_id": drive_id, "skus": sorted(wanted)})}
    problems = FieldErrors()
    for sku in wanted:
        if sku not in items:
            problems.add("lines", _l("This drive does not offer SKU %(sku)s.", sku=sku))
        elif not items[sku].active:
            problems.add("lines", _l("%(item)s is no longer offered.", item=item_label(items[sku].name_zh,
                                                                                     items[sku].name_en)))
    problems.raise_if_any()
    return items


def _refuse_over_limit(s: Session, drive_id: int, volunteer_id: int, items: dict, wanted: dict[str, int]) -> None:
    limited = {row.item_id: row for row in items.values() if row.limit_per_volunteer is not None}
    if not limited:
        return
    already = dict(s.execute(_ALREADY, {"drive_id": drive_id, "volunteer_id": volunteer_id,
                                        "items": sorted(limited)}).all())
    for item_id, row in sorted(limited.items()):
        has = int(already.get(item_id) or 0)
        if rules.over_limit(row.limit_per_volunteer, has, wanted[row.sku]):
            raise LimitExceeded(limit=row.limit_per_volunteer, item=item_label(row.name_zh, row.name_en),
                                already=has, wanted=wanted[row.sku])
