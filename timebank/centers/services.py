"""Centers (养老服务中心): created and changed by the city admin; staff and supervisors see the ones they work for."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from timebank.audit.services import changes_between, record
from timebank.auth.access import Principal
from timebank.centers.models import Center
from timebank.centers.permissions import CHANGE_CENTER, CREATE_CENTER
from timebank.centers.rules import normalize_center_code, normalize_center_name, normalize_district
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import AlreadyExists, FieldErrors, NotFound, field_error
from timebank.ledger.accounts import label_account, open_account, open_center_sinks
from timebank.paging import Page, escape_like, paginate
from timebank.text import search_variants

C = Center.__table__


class CenterNotFound(NotFound):
    message = _l("There is no center number %(center_id)s, or it is not yours to see.")


def create_center(db: Database, *, actor: Principal, code: str, name: str, district: str) -> Row:
    """A new center with its ledger accounts, in one unit of work: the issuance account (credits earned there are
    minted from it) and its own redemption and expiry sinks (pickups there, and the expiry of what it minted, lock
    only this center's rows). Returns its row."""
    CREATE_CENTER.require(actor)
    problems = FieldErrors()
    code = problems.check("code", normalize_center_code, code)
    name = problems.check("name", normalize_center_name, name)
    district = problems.check("district", normalize_district, district)
    problems.raise_if_any()

    def work(s: Session) -> Row:
        if s.execute(select(C.c.id).where(C.c.code == code)).first() is not None:
            raise field_error("code", _l("A center with code %(code)s already exists.", code=code), AlreadyExists)
        account_id = open_account(s, code=f"issuance:{code}", kind="issuance")
        center_id = s.execute(insert(C).values(code=code, name=name, district=district, active=True,
                                               issuance_account_id=account_id, created_at=utcnow())
                              .returning(C.c.id)).scalar_one()
        label_account(s, account_id, center_id=center_id)
        open_center_sinks(s, center_id=center_id, center_code=code)
        record(s, actor=actor, action="center.create", object_type="center", object_id=center_id,
               center_id=center_id, detail={"code": code, "name": name, "district": district})
        return _row(s, center_id)

    return db.transaction(work)


def list_centers(db: Database, *, actor: Principal, search: str | None = None, active: bool | None = None,
                 page: int = 1, per_page: int = 20) -> Page[Row]:
    """The centers ``actor`` works for (all of them for an admin), by code."""
    query = select(C)
    visible = actor.visible_center_ids()
    if visible is not None:
        query = query.where(C.c.id.in_(visible or [-1]))
    if search and search.strip():
        conditions = []
        for term in search_variants(search.strip()):  # （测试） and (测试) find each other
            pattern = f"%{escape_like(term)}%"
            conditions += [C.c.code.ilike(pattern, escape="\\"), C.c.name.ilike(pattern, escape="\\"),
                           C.c.district.ilike(pattern, escape="\\")]
        query = query.where(or_(*conditions))
    if active is not None:
        query = query.where(C.c.active.is_(active))
    query = query.order_by(C.c.code)
    return db.transaction(lambda s: paginate(s, query, page=page, per_page=per_page, to_item=lambda row: row),
                          readonly=True)


def get_center(db: Database, *, actor: Principal, center_id: int) -> Row:
    def work(s: Session) -> Row:
        row = _row(s, center_id)
        if row is None or not actor.can_see_center(row.id):
            raise CenterNotFound(center_id=center_id)
        return row

    return db.transaction(work, readonly=True)


def update_center(db: Database, *, actor: Principal, center_id: int, name: str | None = None,
                  district: str | None = None, active: bool | None = None) -> Row:
    CHANGE_CENTER.require(actor)
    problems = FieldErrors()
    changes = {}
    if name is not None:
        changes["name"] = problems.check("name", normalize_center_name, name)
    if district is not None:
        changes["district"] = problems.check("district", normalize_district, district)
    if active is not None:
        changes["active"] = bool(active)
    problems.raise_if_any()

    def work(s: Session) -> Row:
        row = _row(s, center_id)
        if row is None:
            raise CenterNotFound(center_id=center_id)
        changed = changes_between(row, changes)
        if changed:
            s.execute(update(C).where(C.c.id == center_id).values({k: new for k, (_, new) in changed.items()}))
            action = "center.update"
            if set(changed) == {"active"}:
                action = "center.activate" if changes["active"] else "center.deactivate"
            record(s, actor=actor, action=action, object_type="center", object_id=center_id, center_id=center_id,
                   detail={"changed": changed})
        return _row(s, center_id)

    return db.transaction(work)


def set_center_active(db: Database, *, actor: Principal, center_id: int, active: bool) -> Row:
    return update_center(db, actor=actor, center_id=center_id, active=active)


# ------------------------------------------------------------------------------ helpers for the other people services

def center_for_write(s: Session, actor: Principal, code: str | None, field: str = "home_center") -> Center:
    """The active center ``code`` names, if ``actor`` may put people in it; else a field error.

    A center the actor cannot see is reported exactly like one that does not exist."""
    try:
        code = normalize_center_code(code or "")
    except ValueError as error:
        raise field_error(field, error.args[0]) from None
    row = s.execute(select(C).where(C.c.code == code)).first()
    if row is None or not actor.can_see_center(row.id):
        raise field_error(field, _l("There is no center with code %(code)s.", code=code))
    if not row.active:
        raise field_error(field, _l("Center %(code)s is deactivated.", code=code))
    return row


def centers_by_code(s: Session, codes) -> dict[str, object]:
    codes = sorted(set(codes))
    found = {}
    for start in range(0, len(codes), 500):
        for row in s.execute(select(C).where(C.c.code.in_(codes[start:start + 500]))):
            found[row.code] = row
    return found


def center_codes(s: Session, center_ids) -> dict[int, str]:
    ids = sorted({i for i in center_ids if i is not None})
    if not ids:
        return {}
    return dict(s.execute(select(C.c.id, C.c.code).where(C.c.id.in_(ids))).all())


def center_labels(s: Session, center_ids) -> dict[int, tuple[str, str]]:
    """``{id: (code, name)}`` of the centers, for features that show where something happened."""
    ids = sorted({i for i in center_ids if i is not None})
    if not ids:
        return {}
    return {row.id: (row.code, row.name) for row in s.execute(select(C.c.id, C.c.code, C.c.name)
                                                                 .where(C.c.id.in_(ids)))}


def _row(s: Session, center_id: int):
    return s.execute(select(C).where(C.c.id == center_id)).first()


