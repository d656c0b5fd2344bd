"""Setting a drive up and changing it (the admin): its name, times, centers taking part, and per item and center a
stock and the per-volunteer limit.

Once a drive has opened its times stay as they are (every hold's timeout is its ``pickup_until``); stock may still be
added, or taken down to what is already held and sold but never below (a guarded ``UPDATE``, SPEC §4.3).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from timebank.audit.services import record as audit
from timebank.auth.access import Principal
from timebank.catalog.services import item_label, items_by_sku
from timebank.centers.models import Center
from timebank.centers.services import centers_by_code
from timebank.clock import utcnow
from timebank.db import Database
from timebank.drives import rules, stock
from timebank.drives.errors import DriveNotFound, DriveStarted, StockBelowReserved
from timebank.drives.models import Drive, DriveCenter, DriveItem, DriveStock
from timebank.drives.permissions import MANAGE_DRIVES
from timebank.drives.queries import DriveView, drive_view
from timebank.errors import FieldErrors

D = Drive.__table__
DC = DriveCenter.__table__
DI = DriveItem.__table__
DS = DriveStock.__table__
C = Center.__table__


@dataclass(frozen=True)
class Entry:
    """One line of a drive's setup: so many of an item at a center, and the item's limit per volunteer."""

    sku: str
    center: str
    stock: int
    limit_per_volunteer: int | None | object  # KEEP: a change that does not name it keeps the item's limit


KEEP = object()


def create_drive(db: Database, *, actor: Principal, name: str, centers: list[str], opens_at: datetime,
                 closes_at: datetime, pickup_until: datetime, items: list[dict],
                 now: datetime | None = None) -> DriveView:
    """A new drive with its centers and stock (SPEC §8: ``items`` of ``{sku, center, stock, limit_per_volunteer}``)."""
    MANAGE_DRIVES.require(actor)
    now = now or utcnow()
    problems = FieldErrors()
    name = problems.check("name", rules.normalize_drive_name, name)
    opens_at, closes_at, pickup_until = (_second(t) for t in (opens_at, closes_at, pickup_until))
    window = rules.window_problems(opens_at, closes_at, pickup_until)
    if "naive" not in window.values():
        window = {**rules.new_drive_problems(closes_at, now), **window}
    for field, code in window.items():
        problems.add(field, rules.WINDOW_MESSAGES[code])
    codes = _checked_codes(problems, centers, required=True)
    entries = _checked_entries(problems, items, codes)
    problems.raise_if_any()

    def work(s: Session) -> DriveView:
        center_ids = _center_ids(s, codes)
        found = _items(s, entries)
        drive_id = s.execute(insert(D).values(name=name, opens_at=opens_at, closes_at=closes_at,
                                              pickup_until=pickup_until, created_by=actor.user_id,
                                              created_at=now).returning(D.c.id)).scalar_one()
        s.execute(insert(DC), [{"drive_id": drive_id, "center_id": center_id} for center_id in center_ids.values()])
        _put_entries(s, drive_id, entries, found, center_ids)
        audit(s, actor=actor, action="drive.create", object_type="drive", object_id=drive_id,
              detail={"name": name, "centers": codes, "opens_at": opens_at.isoformat(),
                      "closes_at": closes_at.isoformat(), "pickup_until": pickup_until.isoformat(),
                      "entries": len(entries)})
        return drive_view(s, drive_id, now=now)

    return db.transaction(work)


def update_drive(db: Database, *, actor: Principal, drive_id: int, name: str | None = None,
                 opens_at: datetime | None = None, closes_at: datetime | None = None,
                 pickup_until: datetime | None = None, centers: list[str] | None = None,
                 items: list[dict] | None = None, now: datetime | None = None) -> DriveView:
    """Change a drive: its name; its times until it opens; add centers; set stock and limits (``items`` as in
    ``create_drive``: an entry for an item or center new to the drive adds it). Stock never goes below what is held
    and sold (``stock_below_reserved``)."""
    MANAGE_DRIVES.require(actor)
    now = now or utcnow()
    problems = FieldErrors()
    if name is not None:
        name = problems.check("name", rules.normalize_drive_name, name)
    new_codes = _checked_codes(problems, centers or [], required=False)
    problems.raise_if_any()

    def work(s: Session) -> DriveView:
        drive = s.execute(select(D).where(D.c.id == drive_id).with_for_update()).first()
        if drive is None:
            raise DriveNotFound(drive_id=drive_id)
        changes = _changed_times(drive, opens_at, closes_at, pickup_until, now)
        if name is not None and name != drive.name:
            changes["name"] = name
        if changes:
            s.execute(update(D).where(D.c.id == drive_id).values(changes))
        taking_part = _taking_part(s, drive_id)
        added = {code: center_id for code, center_id in _center_ids(s, new_codes).items() if code not in taking_part}
        if added:
            s.execute(insert(DC), [{"drive_id": drive_id, "center_id": center_id} for center_id in added.values()])
        taking_part.update(added)
        entry_problems = FieldErrors()
        entries = _checked_entries(entry_problems, items or [], list(taking_part), absent_limit=KEEP)
        entry_problems.raise_if_any()
        _put_entries(s, drive_id, entries, _items(s, entries), taking_part)
        audit(s, actor=actor, action="drive.update", object_type="drive", object_id=drive_id,
              detail={"changed": {k: v.isoformat() if isinstance(v, datetime) else v for k, v in changes.items()},
                      "centers_added": sorted(added), "entries": len(entries)})
        return drive_view(s, drive_id, now=now)

    return db.transaction(work)


def _changed_times(drive, opens_at, closes_at, pickup_until, now: datetime) -> dict:
    wanted = {k: _second(v) for k, v in (("opens_at", opens_at), ("closes_at", closes_at),
                                         ("pickup_until", pickup_until)) if v is not None}
    changed = {k: v for k, v in wanted.items() if v != getattr(drive, k)}
    if not changed:
        return {}
    if now >= drive.opens_at:
        raise DriveStarted(drive=drive.name)
    merged = {k: changed.get(k, getattr(drive, k)) for k in ("opens_at", "closes_at", "pickup_until")}
    problems = FieldErrors()
    window = rules.window_problems(merged["opens_at"], merged["closes_at"], merged["pickup_until"])
    if "naive" not in window.values():
        window = {**rules.new_drive_problems(merged["closes_at"], now), **window}
    for field, code in window.items():
        problems.add(field, rules.WINDOW_MESSAGES[code])
    problems.raise_if_any()
    return changed


def _put_entries(s: Session, drive_id: int, entries: list[Entry], found: dict, center_ids: dict[str, int]) -> None:
    """Offer each entry's item (with its limit) and set its stock at its center, in (center, item) order."""
    offered = dict(s.execute(select(DI.c.item_id, DI.c.limit_per_volunteer).where(DI.c.drive_id == drive_id)).all())
    named = {found[e.sku].id: e.limit_per_volunteer for e in entries if e.limit_per_volunteer is not KEEP}
    new_items = [{"drive_id": drive_id, "item_id": item_id, "limit_per_volunteer": named.get(item_id)}
                 for item_id in sorted({found[e.sku].id for e in entries}) if item_id not in offered]
    if new_items:
        s.execute(insert(DI), new_items)
    for item_id, limit in sorted(named.items()):
        if item_id in offered and offered[item_id] != limit:
            s.execute(update(DI).where(DI.c.drive_id == drive_id, DI.c.item_id == item_id)
                      .values(limit_per_volunteer=limit))
    existing = {(row.center_id, row.item_id) for row in s.execute(
        select(DS.c.center_id, DS.c.item_id).where(DS.c.drive_id == drive_id))}
    fresh = []
    for entry in sorted(entries, key=lambda e: (center_ids[e.center], found[e.sku].id)):
        center_id, item_id = center_ids[entry.center], found[entry.sku].id
        if (center_id, item_id) not in existing:
            fresh.append({"drive_id": drive_id, "center_id": center_id, "item_id": item_id, "stock": entry.stock,
                          "held": 0, "sold": 0})
        elif not stock.set_stock(s, drive_id=drive_id, center_id=center_id, item_id=item_id, stock=entry.stock):
            taken = s.execute(select(DS.c.held + DS.c.sold).where(
                DS.c.drive_id == drive_id, DS.c.center_id == center_id, DS.c.item_id == item_id)).scalar_one()
            raise StockBelowReserved(item=item_label(found[entry.sku].name_zh, found[entry.sku].name_en),
                                     center=entry.center, taken=taken)
    if fresh:
        s.execute(insert(DS), fresh)


def _checked_codes(problems: FieldErrors, centers: list[str], *, required: bool) -> list[str]:
    codes = [str(code).strip().upper() for code in centers]
    if required and not codes:
        problems.add("centers", _l("Choose at least one center."))
    elif len(codes) > rules.MAX_CENTERS:
        problems.add("centers", _l("A drive has at most %(limit)s centers.", limit=rules.MAX_CENTERS))
    for code in rules.duplicates(codes):
        problems.add("centers", _l("Center %(code)s is listed twice.", code=code))
    return list(dict.fromkeys(codes))


def _checked_entries(problems: FieldErrors, items: list[dict], codes: list[str], *,
                     absent_limit: object = None) -> list[Entry]:
    """Each entry of a setup, or its problems; an entry without ``limit_per_volunteer`` has ``absent_limit``."""
    if len(items) > rules.MAX_ENTRIES:
        problems.add("items", _l("A drive has at most %(limit)s items and centers.", limit=rules.MAX_ENTRIES))
        return []
    entries = [Entry(sku=str(i["sku"]).strip().upper(), center=str(i["center"]).strip().upper(), stock=i["stock"],
                     limit_per_volunteer=i.get("limit_per_volunteer", absent_limit)) for i in items]
    for entry in entries:
        if entry.center not in codes:
            problems.add("items", _l("Center %(code)s does not take part in this drive.", code=entry.center))
        if not 0 <= entry.stock <= rules.MAX_STOCK:
            problems.add("items", _l("A stock is a whole number from 0 to %(limit)s.", limit=rules.MAX_STOCK))
    for sku, center in rules.duplicates((e.sku, e.center) for e in entries):
        problems.add("items", _l("SKU %(sku)s is listed twice for center %(code)s.", sku=sku, code=center))
    limits: dict[str, set] = {}
    for entry in entries:
        if entry.limit_per_volunteer is not KEEP:
            limits.setdefault(entry.sku, set()).add(entry.limit_per_volunteer)
    for sku, found in limits.items():
        if len(found) > 1:
            problems.add("items", _l("SKU %(sku)s has two different limits per volunteer; a limit holds for the "
                                     "whole drive.", sku=sku))
    return entries


def _center_ids(s: Session, codes: list[str]) -> dict[str, int]:
    found = centers_by_code(s, codes)
    problems = FieldErrors()
    for code in codes:
        if code not in found:
            problems.add("centers", _l("There is no center with code %(code)s.", code=code))
        elif not found[code].active:
            problems.add("centers", _l("Center %(code)s is deactivated.", code=code))
    problems.raise_if_any()
    return {code: found[code].id for code in codes}


def _items(s: Session, entries: list[Entry]) -> dict:
    found = items_by_sku(s, {e.sku for e in entries})
    problems = FieldErrors()
    for sku in sorted({e.sku for e in entries}):
        if sku not in found:
            problems.add("items", _l("There is no catalog item with SKU %(sku)s.", sku=sku))
        elif not found[sku].active:
            problems.add("items", _l("%(item)s is no longer offered.", item=item_label(found[sku].name_zh,
                                                                                     found[sku].name_en)))
    problems.raise_if_any()
    return found


def _taking_part(s: Session, drive_id: int) -> dict[str, int]:
    """``{code: center id}`` of the centers taking part in the drive."""
    return {code: center_id for center_id, code in s.execute(
        select(DC.c.center_id, C.c.code).join(C, C.c.id == DC.c.center_id).where(DC.c.drive_id == drive_id))}


def _second(moment: datetime | None) -> datetime | None:
    return moment.replace(microsecond=0) if moment is not None else None
