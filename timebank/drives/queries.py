"""Reading drives: one drive with its items and stock, the list of drives, and the stock per item and center
(SPEC §8, §8.1). Everyone signed in may read them: a drive is the whole city's, and its stock is no one's secret."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from timebank.auth.access import Principal
from timebank.catalog.models import CatalogItem, CatalogPhoto
from timebank.centers.models import Center
from timebank.clock import utcnow
from timebank.db import Database
from timebank.drives import rules
from timebank.drives.booking import drive_row
from timebank.drives.models import Drive, DriveCenter, DriveItem, DriveStock
from timebank.drives.permissions import READ_DRIVES
from timebank.errors import field_error
from timebank.paging import Page, paginate

D = Drive.__table__
DC = DriveCenter.__table__
DI = DriveItem.__table__
DS = DriveStock.__table__
CI = CatalogItem.__table__
PH = CatalogPhoto.__table__
C = Center.__table__

# Every stock row of a drive with what names it: the item's SKU, names, unit and price, the center's code.
_ENTRIES = (select(DS.c.center_id, C.c.code.label("center"), C.c.name.label("center_name"), CI.c.sku, CI.c.name_zh,
                   CI.c.name_en, CI.c.unit, CI.c.price, CI.c.active, DS.c.stock, DS.c.held, DS.c.sold,
                   DI.c.limit_per_volunteer, DS.c.item_id, PH.c.digest.label("photo_digest"))
            .join(C, C.c.id == DS.c.center_id)
            .join(DI, and_(DI.c.drive_id == DS.c.drive_id, DI.c.item_id == DS.c.item_id))
            .join(CI, CI.c.id == DS.c.item_id)
            .outerjoin(PH, PH.c.item_id == DS.c.item_id)
            .where(DS.c.drive_id == bindparam("drive_id"))
            .order_by(C.c.code, CI.c.sku))
_CENTER_CODES = (select(DC.c.drive_id, C.c.code).join(C, C.c.id == DC.c.center_id)
                 .where(DC.c.drive_id.in_(bindparam("drive_ids", expanding=True))).order_by(C.c.code))


@dataclass(frozen=True)
class StockEntry:
    sku: str
    name_zh: str
    name_en: str
    unit: str
    price: int
    center: str
    center_name: str
    stock: int
    held: int
    sold: int
    limit_per_volunteer: int | None
    active: bool
    item_id: int | None = None
    photo_digest: str | None = None  # the item's photo, when it has one (``catalog.photos.photo_path``)

    @property
    def left(self) -> int:
        return self.stock - self.held - self.sold


@dataclass(frozen=True)
class DriveView:
    id: int
    name: str
    centers: tuple[str, ...]
    opens_at: datetime
    closes_at: datetime
    pickup_until: datetime
    status: str  # upcoming | open | pickup | over, by the clock of the read
    created_at: datetime
    items: tuple[StockEntry, ...] = ()


def get_drive(db: Database, *, actor: Principal, drive_id: int, now: datetime | None = None) -> DriveView:
    """One drive with every item at every center taking part."""
    READ_DRIVES.require(actor)
    return db.transaction(lambda s: drive_view(s, drive_id, now=now or utcnow()), readonly=True)


def list_drives(db: Database, *, actor: Principal, status: str | None = None, page: int = 1, per_page: int = 20,
                now: datetime | None = None) -> Page[DriveView]:
    """The drives, the latest to open first; ``status`` keeps the upcoming, open, pickup or over ones."""
    READ_DRIVES.require(actor)
    now = now or utcnow()
    query = select(D).order_by(D.c.opens_at.desc(), D.c.id.desc())
    if status == "upcoming":
        query = query.where(D.c.opens_at > now)
    elif status == "open":
        query = query.where(D.c.opens_at <= now, D.c.closes_at > now)
    elif status == "pickup":
        query = query.where(D.c.closes_at <= now, D.c.pickup_until > now)
    elif status == "over":
        query = query.where(D.c.pickup_until <= now)

    def work(s: Session) -> Page[DriveView]:
        found = paginate(s, query, page=page, per_page=per_page, to_item=lambda row: row)
        codes = _codes_of(s, [row.id for row in found.items])
        return Page(items=tuple(_view(row, codes.get(row.id, ()), now) for row in found.items), total=found.total,
                    page=found.page, per_page=found.per_page, pages=found.pages)

    return db.transaction(work, readonly=True)


def drive_stock(db: Database, *, actor: Principal, drive_id: int, center: str | None = None) -> list[StockEntry]:
    """Per item and center: stock, held, sold and left (SPEC §8.1); ``center`` (a code) keeps one center's."""
    READ_DRIVES.require(actor)

    def work(s: Session) -> list[StockEntry]:
        drive_row(s, drive_id)
        entries = stock_entries(s, drive_id)
        if center is None:
            return entries
        code = center.strip().upper()
        if s.execute(select(C.c.id).where(C.c.code == code)).first() is None:
            raise field_error("center", _l("There is no center with code %(code)s.", code=center))
        return [entry for entry in entries if entry.center == code]

    return db.transaction(work, readonly=True)


def drive_view(s: Session, drive_id: int, *, now: datetime) -> DriveView:
    row = drive_row(s, drive_id)
    return _view(row, _codes_of(s, [drive_id]).get(drive_id, ()), now, items=tuple(stock_entries(s, drive_id)))


def stock_entries(s: Session, drive_id: int) -> list[StockEntry]:
    return [StockEntry(sku=row.sku, name_zh=row.name_zh, name_en=row.name_en, unit=row.unit, price=row.price,
                       center=row.center, center_name=row.center_name, stock=row.stock, held=row.held, sold=row.sold,
                       limit_per_volunteer=row.limit_per_volunteer, active=row.active, item_id=row.item_id,
                       photo_digest=row.photo_digest)
            for row in s.execute(_ENTRIES, {"drive_id": drive_id})]


def _codes_of(s: Session, drive_ids: list[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    if drive_ids:
        for drive_id, code in s.execute(_CENTER_CODES, {"drive_ids": drive_ids}):
            found.setdefault(drive_id, []).append(code)
    return {drive_id: tuple(codes) for drive_id, codes in found.items()}


def _view(row, centers: tuple[str, ...], now: datetime, items: tuple[StockEntry, ...] = ()) -> DriveView:
    return DriveView(id=row.id, name=row.name, centers=centers, opens_at=row.opens_at, closes_at=row.closes_at,
                     pickup_until=row.pickup_until, status=rules.phase(row.opens_at, row.closes_at, row.pickup_until,
                                                                       now),
                     created_at=row.created_at, items=items)
