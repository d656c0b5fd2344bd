"""Reading review periods: the list (with each of the caller's centers' progress), one period with one center's
work (its sample, ratings, anomalies with their explanations, evaluations), and the published results, which the
public pages read (``public_centers``, ``public_center``: no caller, nothing but stored figures)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from timebank.auth.access import Principal
from timebank.auth.models import User
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import NotFound
from timebank.hours.queries import RecordView, records_by_id
from timebank.hours.supervision.anomalies import Anomaly, center_anomalies
from timebank.paging import Page, check_paging, paginate
from timebank.supervision import rules, services
from timebank.supervision.permissions import READ_REVIEWS
from timebank.supervision.services import C, D, DEFAULT_ZONE, E, P, R, RC, SR

U = User.__table__


@dataclass(frozen=True)
class Period:
    id: int
    year: int
    number: int
    starts_at: datetime
    ends_at: datetime
    status: str
    closed_at: datetime | None


@dataclass(frozen=True)
class CenterStatus:
    code: str
    name: str
    sample_drawn: bool
    evaluations: int
    evaluated_by_me: bool
    published: bool


@dataclass(frozen=True)
class PeriodItem:
    period: Period
    centers: tuple[CenterStatus, ...]

    @property
    def id(self) -> int:
        return self.period.id


@dataclass(frozen=True)
class AnomalyItem:
    anomaly: Anomaly
    key: str
    note: str | None
    explained_at: datetime | None


@dataclass(frozen=True)
class EvaluationView:
    supervisor_id: int
    supervisor: str  # the username: seen only by signed-in admins, staff and supervisors
    scores: dict
    comment: str | None
    updated_at: datetime


@dataclass(frozen=True)
class CenterReview:
    code: str
    name: str
    sample: tuple[RecordView, ...]
    approved_records: int
    rating_count: int
    rating_average: float | None
    anomalies: tuple[AnomalyItem, ...]
    evaluations: tuple[EvaluationView, ...]
    mine: EvaluationView | None
    result: dict | None  # the published figures, once closed
    may_evaluate: bool
    may_explain: bool

    @property
    def anomalies_resolved(self) -> int:
        return sum(1 for a in self.anomalies if a.note is not None)


@dataclass(frozen=True)
class PeriodDetail:
    period: Period
    centers: tuple[CenterStatus, ...]
    center: CenterReview | None = None


def _period(row) -> Period:
    return Period(row.id, row.year, row.number, row.starts_at, row.ends_at, row.status, row.closed_at)


def _visible_centers(s: Session, actor: Principal):
    visible = actor.visible_center_ids()
    query = select(C.c.id, C.c.code, C.c.name).order_by(C.c.code)
    if visible is None:
        query = query.where(C.c.active.is_(True))
    else:
        query = query.where(C.c.id.in_(visible or [-1]))
    return s.execute(query).all()


def _statuses(s: Session, actor: Principal, period_ids: list[int]) -> dict[int, tuple[CenterStatus, ...]]:
    centers = _visible_centers(s, actor)
    ids = [c.id for c in centers]
    if not period_ids or not ids:
        return {p: () for p in period_ids}
    drawn = {tuple(r) for r in s.execute(select(D.c.period_id, D.c.center_id)
                                         .where(D.c.period_id.in_(period_ids), D.c.center_id.in_(ids)))}
    counts = {(r.period_id, r.center_id): (r.n, r.mine) for r in s.execute(
        select(E.c.period_id, E.c.center_id, func.count().label("n"),
               func.sum(case((E.c.supervisor_id == (actor.user_id or -1), 1), else_=0)).label("mine"))
        .where(E.c.period_id.in_(period_ids), E.c.center_id.in_(ids)).group_by(E.c.period_id, E.c.center_id))}
    published = {tuple(r) for r in s.execute(select(R.c.period_id, R.c.center_id)
                                             .where(R.c.period_id.in_(period_ids), R.c.center_id.in_(ids)))}
    return {p: tuple(CenterStatus(c.code, c.name, (p, c.id) in drawn, int(counts.get((p, c.id), (0, 0))[0]),
                                  bool(counts.get((p, c.id), (0, 0))[1]), (p, c.id) in published)
                     for c in centers) for p in period_ids}


def list_periods(db: Database, *, actor: Principal, page: int = 1, per_page: int = 20,
                 now: datetime | None = None, zone: str = DEFAULT_ZONE) -> Page[PeriodItem]:
    """The periods, newest first, each with the caller's centers' progress; the current one is opened if missing."""
    READ_REVIEWS.require(actor)
    check_paging(page, per_page)
    services.open_current_period(db, now=now or utcnow(), zone=zone)

    def work(s: Session) -> Page[PeriodItem]:
        found = paginate(s, select(P).order_by(P.c.starts_at.desc()), page=page, per_page=per_page, to_item=_period)
        statuses = _statuses(s, actor, [p.id for p in found.items])
        return Page(items=[PeriodItem(p, statuses[p.id]) for p in found.items], total=found.total, page=found.page,
                    per_page=found.per_page, pages=found.pages)

    return db.transaction(work, readonly=True)


def period_detail(db: Database, *, actor: Principal, period_id: int, center: str | None = None,
                  now: datetime | None = None, zone: str = DEFAULT_ZONE) -> PeriodDetail:
    """One period with the caller's centers' progress and, given ``center``, that center's work. A supervisor of
    the center opening it while the period is open draws its sample (once: ``services.draw_sample``)."""
    READ_REVIEWS.require(actor)
    now = now or utcnow()
    services.open_current_period(db, now=now, zone=zone)

    def work(s: Session) -> PeriodDetail:
        row = s.execute(select(P).where(P.c.id == period_id)).first()
        if row is None:
            raise services.PeriodNotFound(period_id=period_id)
        review = _center_review(s, actor, row, center, now=now, zone=zone) if center else None
        return PeriodDetail(_period(row), _statuses(s, actor, [row.id])[row.id], review)

    drawing = actor.role == "supervisor" and bool(center)
    return db.transaction(work, readonly=not drawing)


def _center_review(s: Session, actor: Principal, period, code: str, *, now: datetime, zone: str) -> CenterReview:
    center = services.visible_center(s, actor, code)
    is_open = period.status == rules.OPEN
    if actor.role == "supervisor" and is_open:
        sample_ids = services.draw_sample(s, actor=actor, period=period, center_id=center.id, now=now)
    else:
        sample_ids = services.stored_sample(s, period.id, center.id) or []
    by_id = {r.id: r for r in records_by_id(s, sample_ids)}
    approved = services.approved_in(period, center.id)
    count = s.execute(select(func.count()).select_from(SR).where(*approved)).scalar_one()
    ratings = s.execute(select(func.count(), func.avg(RC.c.rating)).select_from(SR.join(RC, RC.c.record_id == SR.c.id))
                        .where(*approved)).one()
    explained = services.explanations_of(s, period.id, center.id)
    anomalies = []
    for anomaly in center_anomalies(s, center_id=center.id, from_=period.starts_at, to=period.ends_at, zone=zone,
                                    now=now):
        key = services.key_of(anomaly)
        note = explained.get(key)
        anomalies.append(AnomalyItem(anomaly, key, note.note if note else None, note.explained_at if note else None))
    evaluations = tuple(EvaluationView(r.supervisor_id, r.username, {a: getattr(r, a) for a in rules.ASPECTS},
                                       r.comment, r.updated_at) for r in s.execute(
        select(E, U.c.username).join(U, U.c.id == E.c.supervisor_id)
        .where(E.c.period_id == period.id, E.c.center_id == center.id).order_by(E.c.id)))
    mine = next((e for e in evaluations if e.supervisor_id == actor.user_id), None)
    result = s.execute(select(R.c.figures).where(R.c.period_id == period.id, R.c.center_id == center.id)).scalar()
    return CenterReview(
        code=center.code, name=center.name, sample=tuple(by_id[i] for i in sample_ids if i in by_id),
        approved_records=int(count), rating_count=int(ratings[0]),
        rating_average=float(ratings[1]) if ratings[1] is not None else None, anomalies=tuple(anomalies),
        evaluations=evaluations, mine=mine, result=result,
        may_evaluate=is_open and actor.role == "supervisor" and center.id in actor.supervised_center_ids,
        may_explain=is_open and actor.role in ("admin", "staff"))


# --- what is published ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublishedPeriod:
    year: int
    number: int
    starts_at: datetime
    ends_at: datetime
    closed_at: datetime
    figures: dict


@dataclass(frozen=True)
class PublicCenter:
    code: str
    name: str
    district: str
    periods: tuple[PublishedPeriod, ...] = field(default_factory=tuple)  # newest first

    @property
    def latest(self) -> PublishedPeriod | None:
        return self.periods[0] if self.periods else None


_PUBLISHED = (select(R.c.center_id, R.c.figures, P.c.year, P.c.number, P.c.starts_at, P.c.ends_at, P.c.closed_at)
              .join(P, P.c.id == R.c.period_id).where(P.c.status == rules.CLOSED))


def _published(row) -> PublishedPeriod:
    return PublishedPeriod(row.year, row.number, row.starts_at, row.ends_at, row.closed_at, row.figures)


def public_centers(db: Database, *, page: int = 1, per_page: int = 20) -> Page[PublicCenter]:
    """Every center that is open or has published results, by code, each with its latest published period."""
    check_paging(page, per_page)
    has_results = select(R.c.center_id)
    query = (select(C.c.id, C.c.code, C.c.name, C.c.district)
             .where(C.c.active.is_(True) | C.c.id.in_(has_results)).order_by(C.c.code))

    def work(s: Session) -> Page[PublicCenter]:
        found = paginate(s, query, page=page, per_page=per_page, to_item=lambda row: row)
        ids = [row.id for row in found.items]
        latest = {}
        for row in s.execute(_PUBLISHED.where(R.c.center_id.in_(ids or [-1])).order_by(P.c.starts_at.desc())):
            latest.setdefault(row.center_id, _published(row))
        items = [PublicCenter(row.code, row.name, row.district,
                              (latest[row.id],) if row.id in latest else ()) for row in found.items]
        return Page(items=items, total=found.total, page=found.page, per_page=found.per_page, pages=found.pages)

    return db.transaction(work, readonly=True)


def public_center(db: Database, *, code: str) -> PublicCenter:
    """A center's published results, period by period, newest first (``NotFound`` for an unknown code)."""
    def work(s: Session) -> PublicCenter:
        row = s.execute(select(C).where(C.c.code == (code or "").strip().upper())).first()
        if row is None:
            raise NotFound()
        periods = tuple(_published(r) for r in s.execute(_PUBLISHED.where(R.c.center_id == row.id)
                                                         .order_by(P.c.starts_at.desc())))
        if not row.active and not periods:
            raise NotFound()
        return PublicCenter(row.code, row.name, row.district, periods)

    return db.transaction(work, readonly=True)
