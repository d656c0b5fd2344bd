"""Reading service requests: one request as its reader may see it, and the lists each role may see.

The resident is personal data: it is shown to the staff of the request's center (and admins) and to the volunteers
who claimed it, never to other volunteers or to supervisors. Who else claimed a request is shown to the same people.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from timebank.auth.access import Principal
from timebank.centers.models import Center
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import NotFound
from timebank.hours.queries import records_by_id
from timebank.paging import Page, paginate
from timebank.service_requests.models import RequestClaim, ServiceRequest
from timebank.service_requests.rules import LIVE_STATUSES, places_left
from timebank.service_types.models import ServiceType
from timebank.volunteers.models import Volunteer

SQ = ServiceRequest.__table__
CL = RequestClaim.__table__
C = Center.__table__
ST = ServiceType.__table__
V = Volunteer.__table__

REQUEST = (select(SQ, C.c.code.label("center_code"), C.c.name.label("center_name"),
                  ST.c.code.label("service_type_code"), ST.c.name_zh.label("service_type_name_zh"),
                  ST.c.name_en.label("service_type_name_en"))
           .join(C, C.c.id == SQ.c.center_id).join(ST, ST.c.id == SQ.c.service_type_id))


class RequestNotFound(NotFound):
    message = _l("There is no service request number %(request_id)s.")


@dataclass(frozen=True)
class Claimant:
    volunteer_id: int
    name: str
    claimed_at: datetime
    record_id: int | None


@dataclass(frozen=True)
class RecordLine:
    id: int
    volunteer_id: int
    status: str


@dataclass(frozen=True)
class RequestView:
    id: int
    center: str
    center_id: int
    center_name: str
    service_type: str
    service_type_name_zh: str
    service_type_name_en: str
    resident: str | None  # None: not this reader's to see
    starts_at: datetime
    ends_at: datetime
    place: str
    note: str | None
    volunteers_needed: int
    claimed_count: int
    places_left: int
    status: str
    claimed_by_me: bool
    volunteers: tuple[Claimant, ...]  # empty when not this reader's to see
    created_at: datetime
    closed_at: datetime | None
    cancel_reason: str | None
    records: tuple[RecordLine, ...] = ()

    @property
    def volunteer_ids(self) -> list[int]:
        return [claimant.volunteer_id for claimant in self.volunteers]


def home_center_of(s: Session, actor: Principal) -> int | None:
    if actor.role != "volunteer" or actor.volunteer_id is None:
        return None
    return s.execute(select(V.c.home_center_id).where(V.c.id == actor.volunteer_id)).scalar_one_or_none()


def may_see(actor: Principal, row, *, claimed_by_me: bool, home_center_id: int | None) -> bool:
    """Staff: their center's; a volunteer: their home center's live requests and the ones they claimed."""
    if actor.role == "volunteer":
        return claimed_by_me or (row.center_id == home_center_id and row.status in LIVE_STATUSES)
    return actor.can_see_center(row.center_id)


def sees_people(actor: Principal, row, *, claimed_by_me: bool) -> bool:
    """Whether the reader sees the resident and the other claimants."""
    if actor.role == "volunteer":
        return claimed_by_me
    return actor.role != "supervisor" and actor.can_see_center(row.center_id)


def claims_of(s: Session, request_ids) -> dict[int, list[Claimant]]:
    ids = sorted(set(request_ids))
    found: dict[int, list[Claimant]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = s.execute(select(CL, V.c.name).join(V, V.c.id == CL.c.volunteer_id)
                     .where(CL.c.request_id.in_(ids)).order_by(CL.c.claimed_at, CL.c.volunteer_id))
    for row in rows:
        found[row.request_id].append(Claimant(row.volunteer_id, row.name, row.claimed_at, row.record_id))
    return found


def view_of(actor: Principal, row, claimants: list[Claimant], records=()) -> RequestView:
    mine = actor.volunteer_id is not None and any(c.volunteer_id == actor.volunteer_id for c in claimants)
    shown = sees_people(actor, row, claimed_by_me=mine)
    return RequestView(
        id=row.id, center=row.center_code, center_id=row.center_id, center_name=row.center_name,
        service_type=row.service_type_code, service_type_name_zh=row.service_type_name_zh,
        service_type_name_en=row.service_type_name_en, resident=row.resident if shown else None,
        starts_at=row.starts_at, ends_at=row.ends_at, place=row.place, note=row.note,
        volunteers_needed=row.volunteers_needed, claimed_count=row.claimed_count,
        places_left=places_left(row.volunteers_needed, row.claimed_count), status=row.status, claimed_by_me=mine,
        volunteers=tuple(claimants) if shown else (), created_at=row.created_at, closed_at=row.closed_at,
        cancel_reason=row.cancel_reason, records=tuple(records) if shown else ())


def visible_request(s: Session, actor: Principal, request_id: int) -> RequestView:
    row = s.execute(REQUEST.where(SQ.c.id == request_id)).first()
    if row is None:
        raise RequestNotFound(request_id=request_id)
    claimants = claims_of(s, [request_id])[request_id]
    mine = actor.volunteer_id is not None and any(c.volunteer_id == actor.volunteer_id for c in claimants)
    if not may_see(actor, row, claimed_by_me=mine, home_center_id=home_center_of(s, actor)):
        raise RequestNotFound(request_id=request_id)
    record_ids = [c.record_id for c in claimants if c.record_id is not None]
    records = [RecordLine(r.id, r.volunteer_id, r.status) for r in records_by_id(s, record_ids)] if record_ids \
        else []
    return view_of(actor, row, claimants, records)


def get_request(db: Database, *, actor: Principal, request_id: int) -> RequestView:
    return db.transaction(lambda s: visible_request(s, actor, request_id), readonly=True)


def list_requests(db: Database, *, actor: Principal, center: str | None = None, status: str | None = None,
                  from_: datetime | None = None, to: datetime | None = None, mine: bool = False, page: int = 1,
                  per_page: int = 20, now: datetime | None = None) -> Page[RequestView]:
    """The requests the caller may see, earliest first (a schedule reads forward). A volunteer sees their home
    center's requests that still have places and have not ended, and every one they claimed (``mine``: only those)."""
    now = now or utcnow()

    def work(s: Session) -> Page[RequestView]:
        query = REQUEST.order_by(SQ.c.starts_at, SQ.c.id)
        if actor.role == "volunteer":
            claimed = select(CL.c.request_id).where(CL.c.volunteer_id == (actor.volunteer_id or -1))
            open_here = and_(SQ.c.center_id == (home_center_of(s, actor) or -1), SQ.c.status.in_(LIVE_STATUSES),
                             SQ.c.claimed_count < SQ.c.volunteers_needed, SQ.c.ends_at > now)
            query = query.where(SQ.c.id.in_(claimed) if mine else or_(open_here, SQ.c.id.in_(claimed)))
        else:
            visible = actor.visible_center_ids()
            if visible is not None:
                query = query.where(SQ.c.center_id.in_(visible or [-1]))
        if center:
            query = query.where(C.c.code == center.strip().upper())
        if status:
            query = query.where(SQ.c.status == status)
        if from_ is not None:
            query = query.where(SQ.c.starts_at >= from_)
        if to is not None:
            query = query.where(SQ.c.starts_at < to)
        found = paginate(s, query, page=page, per_page=per_page, to_item=lambda row: row)
        claims = claims_of(s, [row.id for row in found.items])
        return Page(items=tuple(view_of(actor, row, claims[row.id]) for row in found.items), total=found.total,
                    page=found.page, per_page=found.per_page, pages=found.pages)

    return db.transaction(work, readonly=True)
