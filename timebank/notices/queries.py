"""Reading a volunteer's expiry notices: every one, newest first (the API and the reminders page), and the ones
still worth saying (their volunteer's home page and record book)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import Session

from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.db import Database
from timebank.ledger.models import Lot
from timebank.notices.models import ExpiryNotice
from timebank.notices.permissions import READ_EXPIRY_NOTICES
from timebank.paging import Page, paginate
from timebank.volunteers.services import get_volunteer

N = ExpiryNotice.__table__
L = Lot.__table__


@dataclass(frozen=True)
class NoticeView:
    id: int
    kind: str
    lot_id: int
    credits: int  # what was left in the lot when the notice was made: what it told the volunteer
    expires_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class LiveNotice:
    notice: NoticeView
    left: int  # what still expires with the lot now: what was told, or less if some was spent since

    @property
    def amount(self) -> int:
        return min(self.notice.credits, self.left)


@dataclass(frozen=True)
class LiveNotices:
    items: tuple[LiveNotice, ...]  # soonest expiry first
    count: int  # how many lots have one in all


_COLUMNS = (N.c.id, N.c.kind, N.c.lot_id, N.c.credits, N.c.expires_at, N.c.created_at)


def _view(row) -> NoticeView:
    return NoticeView(row.id, row.kind, row.lot_id, row.credits, row.expires_at, row.created_at)


def list_notices(db: Database, *, actor: Principal, volunteer_id: int, page: int = 1,
                 per_page: int = 20) -> Page[NoticeView]:
    """Every notice the volunteer was sent, newest first (404 for a volunteer ``actor`` may not see)."""
    READ_EXPIRY_NOTICES.require(actor)
    volunteer = get_volunteer(db, actor=actor, volunteer_id=volunteer_id)
    # Newest first; the notices of one run, soonest expiry first.
    query = select(*_COLUMNS).where(N.c.volunteer_id == volunteer.id).order_by(N.c.created_at.desc(), N.c.expires_at,
                                                                               N.c.id)
    return db.transaction(lambda s: paginate(s, query, page=page, per_page=per_page, to_item=_view), readonly=True)


# A lot's newest notice (its 7-day one once made), while the lot still has credits to lose: what to tell now.
_NEWER = N.alias("newer")
_LIVE_WHERE = (
    (N.c.volunteer_id == bindparam("volunteer_id"))
    & L.c.expired_at.is_(None) & (L.c.remaining > 0) & (L.c.expires_at > bindparam("now"))
    & ~exists().where(_NEWER.c.lot_id == N.c.lot_id, _NEWER.c.id > N.c.id)
)
_LIVE = (select(*_COLUMNS, L.c.remaining).select_from(N.join(L, L.c.id == N.c.lot_id)).where(_LIVE_WHERE)
         .order_by(N.c.expires_at, N.c.lot_id).limit(bindparam("limit")))
_LIVE_COUNT = select(func.count()).select_from(N.join(L, L.c.id == N.c.lot_id)).where(_LIVE_WHERE)


def live_notices(db: Database, *, actor: Principal, volunteer_id: int, now: datetime | None = None,
                 limit: int = 8) -> LiveNotices:
    """The notices still worth saying to the volunteer, soonest expiry first: one per lot (its newest), for lots that
    have credits left and have not expired. ``limit`` of them, and how many there are."""
    READ_EXPIRY_NOTICES.require(actor)
    volunteer = get_volunteer(db, actor=actor, volunteer_id=volunteer_id)
    params = {"volunteer_id": volunteer.id, "now": now or utcnow()}

    def work(s: Session) -> LiveNotices:
        rows = s.execute(_LIVE, {**params, "limit": limit}).all()
        count = len(rows) if len(rows) < limit else s.execute(_LIVE_COUNT, params).scalar_one()
        return LiveNotices(tuple(LiveNotice(_view(row), row.remaining) for row in rows), count)

    return db.transaction(work, readonly=True)
