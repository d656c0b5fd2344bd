"""The catalog's use cases: add an item, change or deactivate it, list and look items up. Kept by the admin."""
from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from timebank.audit.services import changes_between, record
from timebank.auth.access import Principal
from timebank.catalog import photos
from timebank.catalog.models import CatalogItem, CatalogPhoto
from timebank.catalog.permissions import MANAGE_CATALOG, READ_CATALOG
from timebank.catalog.rules import check_price, normalize_item_name, normalize_sku, normalize_unit
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import AlreadyExists, FieldErrors, NotFound, field_error
from timebank.ledger.rules import format_credits
from timebank.paging import Page, escape_like, paginate

IT = CatalogItem.__table__
PH = CatalogPhoto.__table__
# An item's row, its Chinese name also as ``name`` (what SPEC §8 calls it), and its photo's version (or None).
ROW = (select(IT, IT.c.name_zh.label("name"), PH.c.digest.label("photo_digest"))
       .outerjoin(PH, PH.c.item_id == IT.c.id))


class CatalogItemNotFound(NotFound):
    message = _l("There is no catalog item number %(item_id)s.")


def create_item(db: Database, *, actor: Principal, sku: str, name_zh: str, unit: str, price: int,
                name_en: str | None = None) -> Row:
    """``price`` in hundredths of a credit; ``name_en`` defaults to the Chinese name. Returns the item's row."""
    MANAGE_CATALOG.require(actor)
    problems = FieldErrors()
    sku = problems.check("sku", normalize_sku, sku)
    name_zh = problems.check("name_zh", normalize_item_name, name_zh)
    name_en = problems.check("name_en", normalize_item_name, name_en or name_zh)
    unit = problems.check("unit", normalize_unit, unit)
    price = problems.check("price", check_price, price)
    problems.raise_if_any()

    def work(s: Session) -> Row:
        if s.execute(select(IT.c.id).where(IT.c.sku == sku)).first() is not None:
            raise field_error("sku", _l("A catalog item with SKU %(sku)s already exists.", sku=sku), AlreadyExists)
        item_id = s.execute(insert(IT).values(sku=sku, name_zh=name_zh, name_en=name_en, unit=unit, price=price,
                                             active=True, created_at=utcnow()).returning(IT.c.id)).scalar_one()
        record(s, actor=actor, action="catalog_item.create", object_type="catalog_item", object_id=item_id,
               detail={"sku": sku, "name_zh": name_zh, "price": format_credits(price)})
        return _row(s, item_id)

    return db.transaction(work)


def page_of_items(db: Database, *, actor: Principal, active: bool | None = None, search: str | None = None,
                  page: int = 1, per_page: int = 20) -> Page[Row]:
    """One page of the catalog, by SKU; ``search`` matches the SKU or either name."""
    READ_CATALOG.require(actor)
    query = ROW.order_by(IT.c.sku)
    if active is not None:
        query = query.where(IT.c.active.is_(active))
    if search:
        pattern = f"%{escape_like(search.strip())}%"
        query = query.where(or_(IT.c.sku.ilike(pattern, escape="\\"), IT.c.name_zh.ilike(pattern, escape="\\"),
                                IT.c.name_en.ilike(pattern, escape="\\")))
    return db.transaction(lambda s: paginate(s, query, page=page, per_page=per_page, to_item=lambda row: row),
                          readonly=True)


def get_item(db: Database, *, actor: Principal, item_id: int) -> Row:
    READ_CATALOG.require(actor)

    def work(s: Session) -> Row:
        row = _row(s, item_id)
        if row is None:
            raise CatalogItemNotFound(item_id=item_id)
        return row

    return db.transaction(work, readonly=True)


def update_item(db: Database, *, actor: Principal, item_id: int, name_zh: str | None = None,
                name_en: str | None = None, unit: str | None = None, price: int | None = None,
                active: bool | None = None) -> Row:
    """A new price applies to reservations made from now on; a reservation keeps the price it was made at."""
    MANAGE_CATALOG.require(actor)
    problems = FieldErrors()
    wanted = {}
    for name, rule, value in (("name_zh", normalize_item_name, name_zh), ("name_en", normalize_item_name, name_en),
                              ("unit", normalize_unit, unit), ("price", check_price, price)):
        if value is not None:
            wanted[name] = problems.check(name, rule, value)
    if active is not None:
        wanted["active"] = bool(active)
    problems.raise_if_any()

    def work(s: Session) -> Row:
        row = _row(s, item_id)
        if row is None:
            raise CatalogItemNotFound(item_id=item_id)
        changed = changes_between(row, wanted)
        if changed:
            s.execute(update(IT).where(IT.c.id == item_id).values({k: new for k, (_, new) in changed.items()}))
            record(s, actor=actor, action="catalog_item.update", object_type="catalog_item", object_id=item_id,
                   detail={"changed": changed})
        return _row(s, item_id)

    return db.transaction(work)


def set_photo(db: Database, *, actor: Principal, item_id: int, data: bytes, now=None) -> Row:
    """Give an item a photo (or a new one in place of the old): re-encoded by ``photos.prepare``. Returns the row."""
    MANAGE_CATALOG.require(actor)
    problems = FieldErrors()
    prepared = problems.check("photo", photos.prepare, data)
    problems.raise_if_any()

    def work(s: Session) -> Row:
        if _row(s, item_id) is None:
            raise CatalogItemNotFound(item_id=item_id)
        s.execute(delete(PH).where(PH.c.item_id == item_id))
        s.execute(insert(PH).values(item_id=item_id, digest=prepared.digest, full=prepared.full,
                                    thumb=prepared.thumb, width=prepared.width, height=prepared.height,
                                    updated_at=now or utcnow()))
        record(s, actor=actor, action="catalog_item.photo", object_type="catalog_item", object_id=item_id,
               detail={"photo": prepared.digest, "width": prepared.width, "height": prepared.height,
                       "bytes": len(prepared.full)})
        return _row(s, item_id)

    return db.transaction(work)


def remove_photo(db: Database, *, actor: Principal, item_id: int) -> Row:
    """Take an item's photo away (nothing happens when it has none). Returns the row."""
    MANAGE_CATALOG.require(actor)

    def work(s: Session) -> Row:
        row = _row(s, item_id)
        if row is None:
            raise CatalogItemNotFound(item_id=item_id)
        if row.photo_digest is not None:
            s.execute(delete(PH).where(PH.c.item_id == item_id))
            record(s, actor=actor, action="catalog_item.photo_remove", object_type="catalog_item",
                   object_id=item_id, detail={"photo": row.photo_digest})
        return _row(s, item_id)

    return db.transaction(work)


def photo_of(db: Database, *, item_id: int, digest: str, thumb: bool) -> bytes | None:
    """The JPEG of this version of the item's photo (the thumbnail or the full one); None when it is not (or no
    longer) this version. Public: whoever has the URL sees the picture of the goods."""
    column = PH.c.thumb if thumb else PH.c.full
    found = db.read_one(select(column).where(PH.c.item_id == item_id, PH.c.digest == digest))
    return bytes(found[0]) if found is not None else None


def items_by_sku(s: Session, skus) -> dict[str, Row]:
    """``{sku: row}`` of the items these SKUs name (normalized first; unknown ones are left out)."""
    wanted = set()
    for sku in skus:
        try:
            wanted.add(normalize_sku(sku))
        except ValueError:
            continue
    if not wanted:
        return {}
    return {row.sku: row for row in s.execute(ROW.where(IT.c.sku.in_(sorted(wanted))))}


def item_label(name_zh: str, name_en: str | None) -> LazyString:
    """An item's name in the reader's language, chosen when the sentence that names it is rendered."""
    def choose() -> str:
        locale = get_locale()
        return name_en if name_en and locale is not None and locale.language == "en" else name_zh

    return LazyString(choose)


def _row(s: Session, item_id: int):
    return s.execute(ROW.where(IT.c.id == item_id)).first()
