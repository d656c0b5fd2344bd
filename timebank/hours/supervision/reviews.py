"""What a supervisor rates: the approved records of the centers assigned to them, newest first, each with the
rating they gave it (a record is rated once per supervisor: ``hours.services.review_record``)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_
from sqlalchemy.orm import Session

from timebank.auth.access import Principal
from timebank.centers.models import Center
from timebank.db import Database
from timebank.hours.models import RecordReview
from timebank.hours.permissions import REVIEW_RECORDS
from timebank.hours.queries import RECORD, SR, RecordView, view_of, visible_record
from timebank.paging import Page, paginate

RV = RecordReview.__table__
C = Center.__table__


@dataclass(frozen=True)
class ReviewItem:
    record: RecordView
    my_rating: int | None
    my_comment: str | None

    # what the list macro shows, by attribute name
    @property
    def id(self) -> int:
        return self.record.id


def _with_my_review(actor: Principal):
    return (RECORD.add_columns(RV.c.rating.label("my_rating"), RV.c.comment.label("my_comment"))
            .outerjoin(RV, and_(RV.c.record_id == SR.c.id, RV.c.reviewer_id == (actor.user_id or -1))))


def _item(row) -> ReviewItem:
    return ReviewItem(record=view_of(row), my_rating=row.my_rating, my_comment=row.my_comment)


def records_to_review(db: Database, *, actor: Principal, center: str | None = None, reviewed: bool | None = None,
                      from_: datetime | None = None, to: datetime | None = None, page: int = 1,
                      per_page: int = 20) -> Page[ReviewItem]:
    """The approved records of the caller's centers, newest service first; ``reviewed`` keeps the ones they have
    (or have not yet) rated."""
    REVIEW_RECORDS.require(actor)
    query = _with_my_review(actor).where(SR.c.status == "approved").order_by(SR.c.started_at.desc(), SR.c.id.desc())
    visible = actor.visible_center_ids()
    if visible is not None:  # None: the system (a job, a test) sees every center
        query = query.where(SR.c.center_id.in_(visible or [-1]))
    if center:
        query = query.where(C.c.code == center.strip().upper())
    if reviewed is True:
        query = query.where(RV.c.id.is_not(None))
    elif reviewed is False:
        query = query.where(RV.c.id.is_(None))
    if from_ is not None:
        query = query.where(SR.c.started_at >= from_)
    if to is not None:
        query = query.where(SR.c.started_at < to)
    return db.transaction(lambda s: paginate(s, query, page=page, per_page=per_page, to_item=_item), readonly=True)


def record_with_my_review(db: Database, *, actor: Principal, record_id: int) -> ReviewItem:
    """One record the caller may see (or ``RecordNotFound``), with the caller's own rating of it."""
    def work(s: Session) -> ReviewItem:
        visible_record(s, actor, record_id)
        return _item(s.execute(_with_my_review(actor).where(SR.c.id == record_id)).one())

    return db.transaction(work, readonly=True)
