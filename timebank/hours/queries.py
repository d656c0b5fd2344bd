"""Reading service records: one record as people see it, and the lists each role may see."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from timebank.auth.access import Principal
from timebank.centers.models import Center
from timebank.db import Database
from timebank.errors import NotFound
from timebank.hours.models import RecordConfirmation, ServiceRecord
from timebank.paging import Page, paginate
from timebank.receipts.codec import Kind
from timebank.receipts.models import Receipt
from timebank.service_types.models import ServiceType
from timebank.volunteers.models import Volunteer
from flask_babel import lazy_gettext as _l

SR = ServiceRecord.__table__
RC = RecordConfirmation.__table__
C = Center.__table__
ST = ServiceType.__table__
V = Volunteer.__table__
RT = Receipt.__table__

# A record with what its views name: the center's code and name, the volunteer's name, the service type, the
# resident's rating, and the receipt's codes once approved.
RECORD = (select(SR, C.c.code.label("center_code"), C.c.name.label("center_name"),
                 V.c.name.label("volunteer_name"), ST.c.code.label("service_type_code"),
                 ST.c.name_zh.label("service_type_name_zh"), ST.c.name_en.label("service_type_name_en"),
                 RC.c.rating, RC.c.comment.label("rating_comment"),
                 RT.c.token.label("receipt_token"), RT.c.short_code.label("receipt_short_code"))
          .join(C, C.c.id == SR.c.center_id).join(V, V.c.id == SR.c.volunteer_id)
          .join(ST, ST.c.id == SR.c.service_type_id).outerjoin(RC, RC.c.record_id == SR.c.id)
          .outerjoin(RT, (RT.c.kind == Kind.SERVICE_RECORD.label) & (RT.c.reference == SR.c.id)))
_ONE = RECORD.where(SR.c.id == bindparam("record_id"))


class RecordNotFound(NotFound):
    message = _l("There is no service record number %(record_id)s.")


@dataclass(frozen=True)
class RecordView:
    id: int
    center: str
    center_id: int
    center_name: str
    volunteer_id: int
    volunteer_name: str
    service_type: str
    service_type_name_zh: str
    service_type_name_en: str
    started_at: datetime
    ended_at: datetime
    minutes: int
    note: str | None
    status: str
    source: str
    missing_check_out: bool
    activity_id: int | None
    request_id: int | None
    entered_by: int | None
    entered_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    reject_reason: str | None
    credits: int | None
    reversed_at: datetime | None
    reverse_reason: str | None
    rating: int | None
    rating_comment: str | None
    receipt_token: str | None
    receipt_short_code: str | None


def view_of(row) -> RecordView:
    return RecordView(
        id=row.id, center=row.center_code, center_id=row.center_id, center_name=row.center_name,
        volunteer_id=row.volunteer_id, volunteer_name=row.volunteer_name, service_type=row.service_type_code,
        service_type_name_zh=row.service_type_name_zh, service_type_name_en=row.service_type_name_en,
        started_at=row.started_at, ended_at=row.ended_at, minutes=row.minutes, note=row.note, status=row.status,
        source=row.source, missing_check_out=row.missing_check_out, activity_id=row.activity_id,
        request_id=row.request_id, entered_by=row.entered_by, entered_at=row.entered_at, decided_by=row.decided_by,
        decided_at=row.decided_at, reject_reason=row.reject_reason, credits=row.credits,
        reversed_at=row.reversed_at, reverse_reason=row.reverse_reason, rating=row.rating,
        rating_comment=row.rating_comment, receipt_token=row.receipt_token,
        receipt_short_code=row.receipt_short_code)


def may_see(actor: Principal, *, center_id: int, volunteer_id: int) -> bool:
    if actor.role == "volunteer":
        return actor.volunteer_id is not None and actor.volunteer_id == volunteer_id
    return actor.can_see_center(center_id)


def visible_record(s: Session, actor: Principal, record_id: int) -> RecordView:
    row = s.execute(_ONE, {"record_id": record_id}).first()
    if row is None or not may_see(actor, center_id=row.center_id, volunteer_id=row.volunteer_id):
        raise RecordNotFound(record_id=record_id)
    return view_of(row)


def records_by_id(s: Session, record_ids) -> list[RecordView]:
    ids = sorted(set(record_ids))
    return [view_of(row) for row in s.execute(RECORD.where(SR.c.id.in_(ids or [-1])).order_by(SR.c.id))]


def get_record(db: Database, *, actor: Principal, record_id: int) -> RecordView:
    return db.transaction(lambda s: visible_record(s, actor, record_id), readonly=True)


def list_records(db: Database, *, actor: Principal, center: str | None = None, status: str | None = None,
                 volunteer_id: int | None = None, from_: datetime | None = None, to: datetime | None = None,
                 missing_check_out: bool | None = None, service_type: str | None = None,
                 page: int = 1, per_page: int = 20) -> Page[RecordView]:
    """The records the caller may see, newest service first."""
    query = RECORD.order_by(SR.c.started_at.desc(), SR.c.id.desc())
    if actor.role == "volunteer":
        query = query.where(SR.c.volunteer_id == (actor.volunteer_id or -1))
    else:
        visible = actor.visible_center_ids()
        if visible is not None:
            query = query.where(SR.c.center_id.in_(visible or [-1]))
    if center:
        query = query.where(C.c.code == center.strip().upper())
    if status:
        query = query.where(SR.c.status == status)
    if volunteer_id is not None:
        query = query.where(SR.c.volunteer_id == volunteer_id)
    if missing_check_out is not None:
        query = query.where(SR.c.missing_check_out.is_(missing_check_out))
    if service_type:
        query = query.where(ST.c.code == service_type.strip())
    if from_ is not None:
        query = query.where(SR.c.started_at >= from_)
    if to is not None:
        query = query.where(SR.c.started_at < to)
    return db.transaction(lambda s: paginate(s, query, page=page, per_page=per_page, to_item=view_of),
                          readonly=True)


@dataclass(frozen=True)
class RecordPeople:
    """Who did what to a record, by the names people know them by (for its page)."""

    entered_by: str | None
    decided_by: str | None
    reversed_by: str | None
    rating_recorded_by: str | None
    rating_recorded_at: datetime | None


def record_people(db: Database, *, actor: Principal, record_id: int) -> RecordPeople:
    """The names behind a record the caller may see: who entered, decided, reversed it and recorded the rating."""
    from timebank.users.services import names_of  # users → volunteers; imported here to keep this module's load light

    def work(s: Session) -> RecordPeople:
        visible_record(s, actor, record_id)
        row = s.execute(select(SR.c.entered_by, SR.c.decided_by, SR.c.reversed_by, RC.c.recorded_by,
                               RC.c.recorded_at).outerjoin(RC, RC.c.record_id == SR.c.id)
                        .where(SR.c.id == record_id)).one()
        names = names_of(s, [row.entered_by, row.decided_by, row.reversed_by, row.recorded_by])
        return RecordPeople(entered_by=names.get(row.entered_by), decided_by=names.get(row.decided_by),
                            reversed_by=names.get(row.reversed_by), rating_recorded_by=names.get(row.recorded_by),
                            rating_recorded_at=row.recorded_at)

    return db.transaction(work, readonly=True)
