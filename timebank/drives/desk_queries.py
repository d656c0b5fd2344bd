"""What the pickup desk's page reads (SPEC §3.4): where a desk can be served now, at one center the drives that hand
goods over there with their items (for walk-ups), and the walk-up volunteer standing at the desk. A drive hands goods
over from ``opens_at`` until ``pickup_until`` (``rules.hands_over``); redeeming and walk-ups themselves are
``desk.py``'s."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from timebank.auth.access import Principal
from timebank.centers.models import Center
from timebank.centers.services import center_for_write, center_labels
from timebank.clock import utcnow
from timebank.db import Database
from timebank.drives.models import Drive, DriveCenter
from timebank.drives.permissions import REDEEM_VOUCHER, WALK_UP
from timebank.drives.queries import StockEntry, stock_entries
from timebank.errors import field_error
from timebank.ledger.accounts import balance_of
from timebank.volunteers.rules import normalize_phone
from timebank.volunteers.services import list_volunteers, volunteers_by_phone

D = Drive.__table__
DC = DriveCenter.__table__
C = Center.__table__

MAX_CENTERS_SHOWN = 1_000  # an admin's choice of desks: the centers taking part in a drive handing over now
MAX_MATCHES = 20  # volunteers a walk-up search offers; past that, type more of the name or phone

_HANDING_OVER = (D.c.opens_at <= bindparam("now")) & (D.c.pickup_until > bindparam("now"))
_SERVING = (select(C.c.id, C.c.code, C.c.name)
            .where(C.c.active.is_(True),
                   C.c.id.in_(select(DC.c.center_id).join(D, D.c.id == DC.c.drive_id).where(_HANDING_OVER)))
            .order_by(C.c.code).limit(MAX_CENTERS_SHOWN))
_DRIVES_AT = (select(D.c.id, D.c.name, D.c.opens_at, D.c.closes_at, D.c.pickup_until)
              .join(DC, DC.c.drive_id == D.c.id)
              .where(DC.c.center_id == bindparam("center_id"), _HANDING_OVER)
              .order_by(D.c.pickup_until, D.c.id))


@dataclass(frozen=True)
class DeskCenter:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class DeskDrive:
    id: int
    name: str
    closes_at: datetime
    pickup_until: datetime
    items: tuple[StockEntry, ...]  # at the desk's center, active catalog items only


@dataclass(frozen=True)
class Desk:
    center: DeskCenter | None  # None: an admin who has not chosen yet
    centers: tuple[DeskCenter, ...]  # an admin's choice; a staff member's own center only
    drives: tuple[DeskDrive, ...]  # handing over at ``center`` now


@dataclass(frozen=True)
class WalkUpVolunteer:
    """A volunteer at the desk without a reservation: who they are, where they belong, what they can spend now."""

    id: int
    name: str
    phone: str
    home_center: str  # the center's code
    home_center_name: str
    available: int  # hundredths of a credit: what a walk-up can take now

    @property
    def phone_tail(self) -> str:
        return self.phone[-4:]


@dataclass(frozen=True)
class WalkUpSearch:
    volunteers: tuple[WalkUpVolunteer, ...]
    by_phone: bool  # the search was a whole mobile number, matched exactly at every center
    more: bool  # more volunteers matched than are offered


def find_walk_up_volunteers(db: Database, *, actor: Principal, search: str) -> WalkUpSearch:
    """The volunteers a desk may serve as a walk-up, each with the credits they can spend now. Credits earned at any
    center are spent at any center (通存通兑), so a whole mobile number finds its volunteer at every center, by an
    exact match only (nobody browses another center's volunteers); anything else (part of a name or of a number)
    searches the volunteers the actor may see, as the volunteers' list does (staff: their own center's)."""
    WALK_UP.require(actor)
    try:
        phone = normalize_phone(search)
    except ValueError:
        phone = None
    seen, more = [], False
    if phone is None:
        page = list_volunteers(db, actor=actor, active=True, search=search, per_page=MAX_MATCHES)
        seen = [(v.id, v.name, v.phone, v.home_center_id, v.account_id) for v in page.items]
        more = page.total > len(page.items)

    def work(s: Session) -> WalkUpSearch:
        found = seen if phone is None else [(row.id, row.name, row.phone, row.home_center_id, row.account_id)
                                            for row in volunteers_by_phone(s, [phone]).values() if row.active]
        labels = center_labels(s, [home for _id, _name, _phone, home, _account in found])
        return WalkUpSearch(volunteers=tuple(
            WalkUpVolunteer(id=volunteer_id, name=name, phone=number, home_center=labels[home][0],
                            home_center_name=labels[home][1], available=balance_of(s, account_id).available)
            for volunteer_id, name, number, home, account_id in found), by_phone=phone is not None, more=more)

    return db.transaction(work, readonly=True)


def desk_of(db: Database, *, actor: Principal, center: str | None = None, now: datetime | None = None) -> Desk:
    """Staff: the desk of their own center (``center`` is ignored). An admin: the centers taking part in a drive
    that hands goods over now, and the one ``center`` names among them (or any active center, by its code)."""
    REDEEM_VOUCHER.require(actor)
    now = now or utcnow()

    def work(s: Session) -> Desk:
        if actor.role == "staff":
            here = _own_center(s, actor)
            centers = (here,)
        else:
            centers = tuple(DeskCenter(row.id, row.code, row.name) for row in s.execute(_SERVING, {"now": now}))
            here = _chosen(s, actor, centers, center)
        return Desk(center=here, centers=centers, drives=_drives_at(s, here, now) if here else ())

    return db.transaction(work, readonly=True)


def desk_center(db: Database, *, actor: Principal, center: str | None) -> DeskCenter:
    """The center a desk's scan or walk-up is for: a staff member's own; the one an admin chose (required)."""
    REDEEM_VOUCHER.require(actor)

    def work(s: Session) -> DeskCenter:
        if actor.role == "staff":
            return _own_center(s, actor)
        if not center:
            raise field_error("center", _l("Choose the center of this desk first."))
        row = center_for_write(s, actor, center, field="center")
        return DeskCenter(row.id, row.code, row.name)

    return db.transaction(work, readonly=True)


def _own_center(s: Session, actor: Principal) -> DeskCenter:
    row = s.execute(select(C.c.id, C.c.code, C.c.name).where(C.c.id == actor.center_id)).first()
    if row is None:
        raise field_error("center", _l("Your sign-in belongs to no center; ask the city admin."))
    return DeskCenter(row.id, row.code, row.name)


def _chosen(s: Session, actor: Principal, centers: tuple[DeskCenter, ...], code: str | None) -> DeskCenter | None:
    if not code:
        return centers[0] if len(centers) == 1 else None
    wanted = code.strip().upper()
    for found in centers:
        if found.code == wanted:
            return found
    row = s.execute(select(C.c.id, C.c.code, C.c.name).where(C.c.code == wanted, C.c.active.is_(True))).first()
    return DeskCenter(row.id, row.code, row.name) if row is not None and actor.can_see_center(row.id) else None


def _drives_at(s: Session, center: DeskCenter, now: datetime) -> tuple[DeskDrive, ...]:
    drives = []
    for row in s.execute(_DRIVES_AT, {"center_id": center.id, "now": now}):
        items = tuple(entry for entry in stock_entries(s, row.id) if entry.center == center.code and entry.active)
        drives.append(DeskDrive(id=row.id, name=row.name, closes_at=row.closes_at, pickup_until=row.pickup_until,
                                items=items))
    return tuple(drives)
