"""Reading reservations: one as its volunteer, the desk or the admin sees it, the lists each may see, and a center's
pick list (SPEC §8.1: what to prepare, totals per item, and who reserved what, the held ones first)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, select
from sqlalchemy.orm import Session

from timebank.auth.access import Principal
from timebank.catalog.models import CatalogItem
from timebank.centers.models import Center
from timebank.db import Database
from timebank.drives.booking import drive_row, may_see
from timebank.drives.errors import ReservationNotFound
from timebank.drives.models import Drive, DriveStock, Reservation, ReservationLine
from timebank.drives.permissions import READ_PICK_LIST, READ_RESERVATIONS
from timebank.errors import NotFound, field_error
from timebank.paging import Page, paginate
from timebank.receipts.codec import Kind
from timebank.receipts.models import Receipt
from timebank.volunteers.models import Volunteer

R = Reservation.__table__
RL = ReservationLine.__table__
D = Drive.__table__
DS = DriveStock.__table__
C = Center.__table__
CI = CatalogItem.__table__
V = Volunteer.__table__
RT = Receipt.__table__

RESERVATION = (select(R, D.c.name.label("drive_name"), D.c.pickup_until, C.c.code.label("center_code"),
                      C.c.name.label("center_name"), V.c.name.label("volunteer_name"),
                      RT.c.token.label("voucher_token"), RT.c.short_code.label("voucher_short_code"))
               .join(D, D.c.id == R.c.drive_id).join(C, C.c.id == R.c.center_id).join(V, V.c.id == R.c.volunteer_id)
               .outerjoin(RT, and_(RT.c.kind == Kind.VOUCHER.label, RT.c.reference == R.c.id)))
_LINES = (select(RL.c.reservation_id, CI.c.sku, CI.c.name_zh, CI.c.name_en, CI.c.unit, RL.c.quantity,
                 RL.c.unit_price)
          .join(CI, CI.c.id == RL.c.item_id)
          .where(RL.c.reservation_id.in_(bindparam("ids", expanding=True)))
          .order_by(RL.c.reservation_id, CI.c.sku))
_PICK_ITEMS = (select(CI.c.sku, CI.c.name_zh, CI.c.name_en, CI.c.unit, DS.c.stock, DS.c.held, DS.c.sold)
               .join(CI, CI.c.id == DS.c.item_id)
               .where(DS.c.drive_id == bindparam("drive_id"), DS.c.center_id == bindparam("center_id"))
               .order_by(CI.c.sku))


@dataclass(frozen=True)
class LineView:
    sku: str
    name_zh: str
    name_en: str
    unit: str
    quantity: int
    unit_price: int

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class ReservationView:
    id: int
    drive_id: int
    drive_name: str
    volunteer_id: int
    volunteer_name: str
    center: str
    center_id: int
    center_name: str
    status: str
    total: int
    walk_up: bool
    created_at: datetime
    fulfilled_at: datetime | None
    cancelled_at: datetime | None
    voided_at: datetime | None
    pickup_until: datetime
    lines: tuple[LineView, ...]
    voucher_token: str | None
    voucher_short_code: str | None


@dataclass(frozen=True)
class PickItem:
    sku: str
    name_zh: str
    name_en: str
    unit: str
    stock: int
    held: int  # to prepare: reserved, not yet handed over
    sold: int


@dataclass(frozen=True)
class PickList:
    drive_id: int
    drive_name: str
    center: str
    center_name: str
    items: tuple[PickItem, ...]
    reservations: tuple[ReservationView, ...]


def get_reservation(db: Database, *, actor: Principal, reservation_id: int) -> ReservationView:
    READ_RESERVATIONS.require(actor)

    def work(s: Session) -> ReservationView:
        found = reservation_views(s, RESERVATION.where(R.c.id == reservation_id))
        if not found or not may_see(actor, found[0]):
            raise ReservationNotFound(reservation_id=reservation_id)
        return found[0]

    return db.transaction(work, readonly=True)


def list_reservations(db: Database, *, actor: Principal, drive_id: int | None = None, status: str | None = None,
                      volunteer_id: int | None = None, page: int = 1, per_page: int = 20) -> Page[ReservationView]:
    """The reservations the caller may see (a volunteer: their own; staff: those picked up at their center), the
    newest first."""
    READ_RESERVATIONS.require(actor)
    query = RESERVATION.order_by(R.c.created_at.desc(), R.c.id.desc())
    if actor.role == "volunteer":
        query = query.where(R.c.volunteer_id == (actor.volunteer_id if actor.volunteer_id is not None else -1))
    elif (visible := actor.visible_center_ids()) is not None:
        query = query.where(R.c.center_id.in_(sorted(visible) or [-1]))
    for column, value in ((R.c.drive_id, drive_id), (R.c.status, status), (R.c.volunteer_id, volunteer_id)):
        if value is not None:
            query = query.where(column == value)

    def work(s: Session) -> Page[ReservationView]:
        found = paginate(s, query, page=page, per_page=per_page, to_item=lambda row: row)
        return Page(items=tuple(_with_lines(s, list(found.items))), total=found.total, page=found.page,
                    per_page=found.per_page, pages=found.pages)

    return db.transaction(work, readonly=True)


def pick_list(db: Database, *, actor: Principal, drive_id: int, center: str | None = None) -> PickList:
    """One center's pick list: per item the stock, what to prepare (held) and what was handed over (sold); then the
    reservations still to pick up, then those picked up. Staff: their own center (the default)."""
    READ_PICK_LIST.require(actor)

    def work(s: Session) -> PickList:
        drive = drive_row(s, drive_id)
        center_row = _pick_center(s, actor, center)
        items = tuple(PickItem(**row._mapping) for row in s.execute(_PICK_ITEMS, {"drive_id": drive.id,
                                                                                  "center_id": center_row.id}))
        query = (RESERVATION.where(R.c.drive_id == drive.id, R.c.center_id == center_row.id,
                                   R.c.status.in_(("held", "fulfilled")))
                 .order_by(case((R.c.status == "held", 0), else_=1), R.c.created_at, R.c.id))
        return PickList(drive_id=drive.id, drive_name=drive.name, center=center_row.code,
                        center_name=center_row.name, items=items, reservations=tuple(reservation_views(s, query)))

    return db.transaction(work, readonly=True)


def reservation_view(s: Session, reservation_id: int) -> ReservationView:
    return reservation_views(s, RESERVATION.where(R.c.id == reservation_id))[0]


def reservation_views(s: Session, query) -> list[ReservationView]:
    return _with_lines(s, s.execute(query).all())


def _with_lines(s: Session, rows: list) -> list[ReservationView]:
    lines: dict[int, list[LineView]] = {}
    if rows:
        for line in s.execute(_LINES, {"ids": [row.id for row in rows]}):
            lines.setdefault(line.reservation_id, []).append(
                LineView(line.sku, line.name_zh, line.name_en, line.unit, line.quantity, line.unit_price))
    return [ReservationView(
        id=row.id, drive_id=row.drive_id, drive_name=row.drive_name, volunteer_id=row.volunteer_id,
        volunteer_name=row.volunteer_name, center=row.center_code, center_id=row.center_id,
        center_name=row.center_name, status=row.status, total=row.total, walk_up=row.walk_up,
        created_at=row.created_at, fulfilled_at=row.fulfilled_at, cancelled_at=row.cancelled_at,
        voided_at=row.voided_at, pickup_until=row.pickup_until, lines=tuple(lines.get(row.id, ())),
        voucher_token=row.voucher_token, voucher_short_code=row.voucher_short_code) for row in rows]


class UnknownCenter(NotFound):
    message = _l("There is no center with code %(code)s.")


def _pick_center(s: Session, actor: Principal, code: str | None):
    if code is None:
        if actor.role == "staff" and actor.center_id is not None:
            return s.execute(select(C).where(C.c.id == actor.center_id)).one()
        raise field_error("center", _l("Choose the center whose pick list this is."))
    row = s.execute(select(C).where(C.c.code == code.strip().upper())).first()
    if row is None or not actor.can_see_center(row.id):
        raise UnknownCenter(code=code)
    return row
