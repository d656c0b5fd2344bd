"""Service types (服务类型): what a volunteer does, and how many credits an hour of it earns. Kept by the admin."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from timebank.audit.services import changes_between, record
from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import AlreadyExists, FieldErrors, NotFound, field_error
from timebank.ledger.rules import format_credits
from timebank.paging import Page, paginate
from timebank.service_types.models import ServiceType
from timebank.service_types.permissions import MANAGE_SERVICE_TYPES
from timebank.service_types.rules import check_rate, normalize_service_type_code, normalize_service_type_name

S = ServiceType.__table__
# A service type's row, and its Chinese name also as ``name`` (what SPEC §8 calls it).
ROW = select(S, S.c.name_zh.label("name"))


class ServiceTypeNotFound(NotFound):
    message = _l("There is no service type number %(service_type_id)s.")


def create_service_type(db: Database, *, actor: Principal, code: str, name_zh: str, name_en: str | None = None,
                        credits_per_hour: int) -> Row:
    """``credits_per_hour`` in hundredths (1.00 credit an hour = 100); ``name_en`` defaults to the Chinese name.
    Returns the service type's row."""
    MANAGE_SERVICE_TYPES.require(actor)
    problems = FieldErrors()
    code = problems.check("code", normalize_service_type_code, code)
    name_zh = problems.check("name_zh", normalize_service_type_name, name_zh)
    name_en = problems.check("name_en", normalize_service_type_name, name_en or name_zh)
    rate = problems.check("credits_per_hour", check_rate, credits_per_hour)
    problems.raise_if_any()

    def work(s: Session) -> Row:
        if s.execute(select(S.c.id).where(S.c.code == code)).first() is not None:
            raise field_error("code", _l("A service type with code %(code)s already exists.", code=code),
                              AlreadyExists)
        type_id = s.execute(insert(S).values(code=code, name_zh=name_zh, name_en=name_en, credits_per_hour=rate,
                                             active=True, created_at=utcnow()).returning(S.c.id)).scalar_one()
        record(s, actor=actor, action="service_type.create", object_type="service_type", object_id=type_id,
               detail={"code": code, "name_zh": name_zh, "credits_per_hour": format_credits(rate)})
        return _row(s, type_id)

    return db.transaction(work)


def list_service_types(db: Database, *, actor: Principal, active: bool | None = None) -> list[Row]:
    """Every service type, by code. Everyone signed in may read them: they name what people do."""
    query = ROW.order_by(S.c.code)
    if active is not None:
        query = query.where(S.c.active.is_(active))
    return db.transaction(lambda s: list(s.execute(query)), readonly=True)


def page_of_service_types(db: Database, *, actor: Principal, active: bool | None = None, page: int = 1,
                          per_page: int = 20) -> Page[Row]:
    """One page of the service types, by code (the API's list, shaped like every other list)."""
    query = ROW.order_by(S.c.code)
    if active is not None:
        query = query.where(S.c.active.is_(active))
    return db.transaction(lambda s: paginate(s, query, page=page, per_page=per_page, to_item=lambda row: row),
                          readonly=True)


def get_service_type(db: Database, *, actor: Principal, service_type_id: int) -> Row:
    def work(s: Session) -> Row:
        row = _row(s, service_type_id)
        if row is None:
            raise ServiceTypeNotFound(service_type_id=service_type_id)
        return row

    return db.transaction(work, readonly=True)


def update_service_type(db: Database, *, actor: Principal, service_type_id: int, name_zh: str | None = None,
                        name_en: str | None = None, credits_per_hour: int | None = None,
                        active: bool | None = None) -> Row:
    """A new rate applies to records approved from now on; approved records keep the credits they minted."""
    MANAGE_SERVICE_TYPES.require(actor)
    problems = FieldErrors()
    wanted = {}
    if name_zh is not None:
        wanted["name_zh"] = problems.check("name_zh", normalize_service_type_name, name_zh)
    if name_en is not None:
        wanted["name_en"] = problems.check("name_en", normalize_service_type_name, name_en)
    if credits_per_hour is not None:
        wanted["credits_per_hour"] = problems.check("credits_per_hour", check_rate, credits_per_hour)
    if active is not None:
        wanted["active"] = bool(active)
    problems.raise_if_any()

    def work(s: Session) -> Row:
        row = _row(s, service_type_id)
        if row is None:
            raise ServiceTypeNotFound(service_type_id=service_type_id)
        changed = changes_between(row, wanted)
        if changed:
            s.execute(update(S).where(S.c.id == service_type_id)
                      .values({k: new for k, (_, new) in changed.items()}))
            record(s, actor=actor, action="service_type.update", object_type="service_type",
                   object_id=service_type_id, detail={"changed": changed})
        return _row(s, service_type_id)

    return db.transaction(work)


def service_type_by_code(s: Session, code: str):
    """The service type ``code`` names (any case), or ``None``: for features that record what was done."""
    return s.execute(ROW.where(S.c.code == (code or "").strip().lower())).first()


def every_service_type(s: Session) -> list[Row]:
    """Every service type, active or not (a city keeps tens): for an import that names them by code or name."""
    return list(s.execute(ROW.order_by(S.c.code)))


def service_type_rows(s: Session, type_ids) -> dict[int, Row]:
    ids = sorted({i for i in type_ids if i is not None})
    return {row.id: row for row in s.execute(ROW.where(S.c.id.in_(ids or [-1])))}


def _row(s: Session, service_type_id: int):
    return s.execute(ROW.where(S.c.id == service_type_id)).first()

