"""Service types (服务类型): what a volunteer does, and how many credits an hour of it earns. Kept by the admin."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from timebank.audit.services import changes_between, record
from timebank.auth.access import Principal
from timebank.centers.services import require_admin
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import AlreadyExists, FieldErrors, NotFound, field_error
from timebank.ledger.rules import format_credits
from timebank.paging import Page, paginate
from timebank.service_types.models import ServiceType
from timebank.service_types.rules import normalize_service_type_code
from timebank.text import one_line

S = ServiceType.__table__

MAX_CREDITS_PER_HOUR = 100_00  # 100.00 credits an hour: far above any real rate, catches a misplaced decimal point


@dataclass(frozen=True)
class ServiceTypeView:
    id: int
    code: str
    name_zh: str
    name_en: str
    credits_per_hour: int  # hundredths
    active: bool
    created_at: datetime

    @property
    def name(self) -> str:
        return self.name_zh


def create_service_type(db: Database, *, actor: Principal, code: str, name_zh: str, name_en: str | None = None,
                        credits_per_hour: int) -> ServiceTypeView:
    """``credits_per_hour`` in hundredths (1.00 credit an hour = 100); ``name_en`` defaults to the Chinese name."""
    require_admin(actor, "create a service type")
    problems = FieldErrors()
    code = problems.check("code", normalize_service_type_code, code)
    name_zh = problems.check("name_zh", one_line(80, "Chinese name"), name_zh)
    name_en = problems.check("name_en", one_line(80, "English name"), name_en or name_zh)
    rate = problems.check("credits_per_hour", _rate, credits_per_hour)
    problems.raise_if_any()

    def work(s: Session) -> ServiceTypeView:
        if s.execute(select(S.c.id).where(S.c.code == code)).first() is not None:
            raise field_error("code", f"a service type with code {code} already exists", AlreadyExists)
        type_id = s.execute(insert(S).values(code=code, name_zh=name_zh, name_en=name_en, credits_per_hour=rate,
                                             active=True, created_at=utcnow()).returning(S.c.id)).scalar_one()
        record(s, actor=actor, action="service_type.create", object_type="service_type", object_id=type_id,
               detail={"code": code, "name_zh": name_zh, "credits_per_hour": format_credits(rate)})
        return _view(_row(s, type_id))

    return db.transaction(work)


def list_service_types(db: Database, *, actor: Principal, active: bool | None = None) -> list[ServiceTypeView]:
    """Every service type, by code. Everyone signed in may read them: they name what people do."""
    query = select(S).order_by(S.c.code)
    if active is not None:
        query = query.where(S.c.active.is_(active))
    return db.transaction(lambda s: [_view(row) for row in s.execute(query)], readonly=True)


def page_of_service_types(db: Database, *, actor: Principal, active: bool | None = None, page: int = 1,
                          per_page: int = 20) -> Page[ServiceTypeView]:
    """One page of the service types, by code (the API's list, shaped like every other list)."""
    query = select(S).order_by(S.c.code)
    if active is not None:
        query = query.where(S.c.active.is_(active))
    return db.transaction(lambda s: paginate(s, query, page=page, per_page=per_page, to_item=_view), readonly=True)


def get_service_type(db: Database, *, actor: Principal, service_type_id: int) -> ServiceTypeView:
    def work(s: Session) -> ServiceTypeView:
        row = _row(s, service_type_id)
        if row is None:
            raise NotFound(f"no service type {service_type_id}")
        return _view(row)

    return db.transaction(work, readonly=True)


def update_service_type(db: Database, *, actor: Principal, service_type_id: int, name_zh: str | None = None,
                        name_en: str | None = None, credits_per_hour: int | None = None,
                        active: bool | None = None) -> ServiceTypeView:
    """A new rate applies to records approved from now on; approved records keep the credits they minted."""
    require_admin(actor, "change a service type")
    problems = FieldErrors()
    wanted = {}
    if name_zh is not None:
        wanted["name_zh"] = problems.check("name_zh", one_line(80, "Chinese name"), name_zh)
    if name_en is not None:
        wanted["name_en"] = problems.check("name_en", one_line(80, "English name"), name_en)
    if credits_per_hour is not None:
        wanted["credits_per_hour"] = problems.check("credits_per_hour", _rate, credits_per_hour)
    if active is not None:
        wanted["active"] = bool(active)
    problems.raise_if_any()

    def work(s: Session) -> ServiceTypeView:
        row = _row(s, service_type_id)
        if row is None:
            raise NotFound(f"no service type {service_type_id}")
        changed = changes_between(row, wanted)
        if changed:
            s.execute(update(S).where(S.c.id == service_type_id)
                      .values({k: new for k, (_, new) in changed.items()}))
            record(s, actor=actor, action="service_type.update", object_type="service_type",
                   object_id=service_type_id, detail={"changed": changed})
        return _view(_row(s, service_type_id))

    return db.transaction(work)


def _rate(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_CREDITS_PER_HOUR:
        raise ValueError(f"credits per hour must be more than 0.00 and at most {format_credits(MAX_CREDITS_PER_HOUR)}")
    return value


def _row(s: Session, service_type_id: int):
    return s.execute(select(S).where(S.c.id == service_type_id)).first()


def _view(row) -> ServiceTypeView:
    return ServiceTypeView(id=row.id, code=row.code, name_zh=row.name_zh, name_en=row.name_en,
                           credits_per_hour=row.credits_per_hour, active=row.active, created_at=row.created_at)
