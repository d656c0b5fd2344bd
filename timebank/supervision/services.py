"""Review periods' use cases: open the current period (on first use), draw a center's sample once, a supervisor's
evaluation, staff's explanation of an anomaly, and closing a period, which computes and stores what is published.

Races are settled by the database: a period, a draw, an evaluation and an explanation each have a unique key, and
every insert says ``ON CONFLICT``, so two requests at once make one row. Writes to a period lock its row (shared,
on PostgreSQL; SQLite runs one writer at a time): a close waits for an evaluation being saved and the other way
round, and whatever comes after the close sees it closed and is refused (``period_closed``).
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from timebank.audit.services import record as audit
from timebank.auth.access import Forbidden, Principal
from timebank.centers.models import Center
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import DomainError, FieldErrors, NotFound
from timebank.hours.models import RecordConfirmation, ServiceRecord
from timebank.hours.supervision.anomalies import Anomaly, center_anomalies
from timebank.service_requests.models import ServiceRequest
from timebank.supervision import rules
from timebank.supervision.models import (
    AnomalyExplanation,
    ReviewDraw,
    ReviewEvaluation,
    ReviewPeriod,
    ReviewResult,
    ReviewSample,
)
from timebank.supervision.permissions import CLOSE_PERIODS, EVALUATE_CENTERS, EXPLAIN_ANOMALIES
from timebank.volunteers.models import Volunteer

P = ReviewPeriod.__table__
D = ReviewDraw.__table__
S = ReviewSample.__table__
E = ReviewEvaluation.__table__
X = AnomalyExplanation.__table__
R = ReviewResult.__table__
C = Center.__table__
SR = ServiceRecord.__table__
RC = RecordConfirmation.__table__
V = Volunteer.__table__
REQ = ServiceRequest.__table__

DEFAULT_ZONE = "Asia/Shanghai"
_DIALECTS = {"sqlite": sqlite, "postgresql": postgresql}


class PeriodNotFound(NotFound):
    message = _l("There is no review period number %(period_id)s.")


class CenterNotFound(NotFound):
    message = _l("There is no center %(code)s among yours.")


class AnomalyNotFound(NotFound):
    message = _l("This anomaly is not among the center's anomalies of the period (reload the page: it may have "
                 "changed).")


class NotYourCenter(Forbidden):
    message = _l("You are not a supervisor of center %(code)s: only its assigned supervisors evaluate it.")


class PeriodClosed(DomainError):
    code = "period_closed"
    status = 409
    message = _l("Review period %(period_id)s is closed: its results are published and nothing of it can be changed.")


def _insert(s: Session, table):
    return _DIALECTS[s.get_bind().dialect.name].insert(table)


# --- periods ----------------------------------------------------------------------------------------------------------

def ensure_period(s: Session, span: rules.PeriodSpan, *, now: datetime):
    """The period of ``span``, made if missing (in the caller's unit of work); two callers at once make one."""
    s.execute(_insert(s, P).values(year=span.year, number=span.number, starts_at=span.starts_at,
                                   ends_at=span.ends_at, status=rules.OPEN, created_at=now)
              .on_conflict_do_nothing(index_elements=["year", "number"]))
    return s.execute(select(P).where(P.c.year == span.year, P.c.number == span.number)).one()


def open_current_period(db: Database, *, now: datetime | None = None, zone: str = DEFAULT_ZONE):
    """The period that ``now`` falls in, opened on first use: a plain read when it exists (most calls)."""
    now = now or utcnow()
    span = rules.period_of(now, zone)
    found = db.read_one(select(P).where(P.c.year == span.year, P.c.number == span.number))
    return found if found is not None else db.transaction(lambda s: ensure_period(s, span, now=now))


def locked_period(s: Session, period_id: int, *, exclusive: bool = False):
    """The period's row, locked for the rest of the unit of work (shared, or ``exclusive`` for closing)."""
    query = select(P).where(P.c.id == period_id)
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=not exclusive)
    row = s.execute(query).first()
    if row is None:
        raise PeriodNotFound(period_id=period_id)
    return row


def _open(period) -> None:
    if period.status != rules.OPEN:
        raise PeriodClosed(period_id=period.id)


def visible_center(s: Session, actor: Principal, code: str | None):
    """A center the caller sees, by code (``CenterNotFound`` otherwise)."""
    code = (code or "").strip().upper()
    row = s.execute(select(C).where(C.c.code == code)).first() if code else None
    if row is None or not actor.can_see_center(row.id):
        raise CenterNotFound(code=code)
    return row


# --- the sample -------------------------------------------------------------------------------------------------------

def approved_in(period, center_id: int):
    """The center's approved records that started in the period."""
    return (SR.c.center_id == center_id, SR.c.status == "approved", SR.c.started_at >= period.starts_at,
            SR.c.started_at < period.ends_at)


def draw_sample(s: Session, *, actor: Principal, period, center_id: int, now: datetime,
                size: int = rules.SAMPLE_SIZE) -> list[int]:
    """The center's sample of the period: drawn at random the first time (``size`` approved records, or all if
    fewer), then the same stored records every time. Nothing is drawn while the center has no approved record yet
    (an empty sample would stay empty)."""
    drawn = stored_sample(s, period.id, center_id)
    if drawn is not None or period.status != rules.OPEN:
        return drawn or []
    chosen = s.execute(select(SR.c.id).where(*approved_in(period, center_id)).order_by(func.random())
                       .limit(size)).scalars().all()
    if not chosen:
        return []
    made = s.execute(_insert(s, D).values(period_id=period.id, center_id=center_id, size=len(chosen),
                                          drawn_by=actor.user_id, drawn_at=now)
                     .on_conflict_do_nothing(index_elements=["period_id", "center_id"])
                     .returning(D.c.period_id)).first()
    if made is None:  # another request drew it first (and has committed: its rows are there)
        return stored_sample(s, period.id, center_id) or []
    s.execute(S.insert(), [{"period_id": period.id, "center_id": center_id, "position": position,
                            "record_id": record_id} for position, record_id in enumerate(chosen, start=1)])
    audit(s, actor=actor, action="review.sample", object_type="review_period", object_id=period.id,
          center_id=center_id, detail={"records": list(chosen)})
    return list(chosen)


def stored_sample(s: Session, period_id: int, center_id: int) -> list[int] | None:
    """The stored sample, in its order; ``None`` when it was never drawn."""
    if s.execute(select(D.c.size).where(D.c.period_id == period_id, D.c.center_id == center_id)).first() is None:
        return None
    return list(s.execute(select(S.c.record_id).where(S.c.period_id == period_id, S.c.center_id == center_id)
                          .order_by(S.c.position)).scalars())


# --- evaluations ------------------------------------------------------------------------------------------------------

def evaluate_center(db: Database, *, actor: Principal, period_id: int, center: str, scores: dict,
                    comment: str | None = None, now: datetime | None = None):
    """A supervisor assigned to the center scores its four aspects 1–5 with a comment: one evaluation per period,
    center and supervisor, replaced when sent again, until the period closes."""
    EVALUATE_CENTERS.require(actor)
    now = now or utcnow()
    problems = FieldErrors()
    checked = {}
    for aspect in rules.ASPECTS:
        if aspect not in (scores or {}):
            problems.add(f"scores.{aspect}", _l("Give a score from 1 to 5."))
        else:
            checked[aspect] = problems.check(f"scores.{aspect}", rules.check_score, scores[aspect])
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > rules.COMMENT_MAX:
        problems.add("comment", _l("At most %(max)s characters.", max=rules.COMMENT_MAX))
    problems.raise_if_any()

    def work(s: Session):
        period = locked_period(s, period_id)
        code = (center or "").strip().upper()
        row = s.execute(select(C).where(C.c.code == code)).first()
        if row is None:
            raise CenterNotFound(code=code)
        if actor.role != "system" and row.id not in actor.supervised_center_ids:
            raise NotYourCenter(code=code)
        _open(period)
        values = dict(checked, comment=comment, updated_at=now)
        s.execute(_insert(s, E).values(period_id=period.id, center_id=row.id, supervisor_id=actor.user_id,
                                       created_at=now, **values)
                  .on_conflict_do_update(index_elements=["period_id", "center_id", "supervisor_id"], set_=values))
        audit(s, actor=actor, action="review.evaluate", object_type="review_period", object_id=period.id,
              center_id=row.id, detail={"scores": checked})
        return s.execute(select(E).where(E.c.period_id == period.id, E.c.center_id == row.id,
                                         E.c.supervisor_id == actor.user_id)).one()

    return db.transaction(work)


# --- anomalies --------------------------------------------------------------------------------------------------------

def key_of(anomaly: Anomaly) -> str:
    return rules.anomaly_key(anomaly.kind, anomaly.record_ids, volunteer_id=anomaly.volunteer_id,
                             day=(anomaly.detail or {}).get("date"))


def explain_anomaly(db: Database, *, actor: Principal, center: str, kind: str, record_ids: list[int], note: str,
                    now: datetime | None = None, zone: str = DEFAULT_ZONE):
    """Staff of the center mark one of its anomalies explained, with a note (sent again: the note is replaced),
    until the period its records fall in closes. The anomaly is the one the anomalies list shows: its kind and
    records."""
    EXPLAIN_ANOMALIES.require(actor)
    now = now or utcnow()
    note = (note or "").strip()
    problems = FieldErrors()
    if not note:
        problems.add("note", _l("Say how the anomaly was resolved."))
    elif len(note) > rules.NOTE_MAX:
        problems.add("note", _l("At most %(max)s characters.", max=rules.NOTE_MAX))
    if not record_ids:
        problems.add("record_ids", _l("Name the anomaly's records."))
    problems.raise_if_any()

    def work(s: Session):
        row = visible_center(s, actor, center)
        first = s.execute(select(func.min(SR.c.started_at)).where(SR.c.id.in_(record_ids),
                                                                   SR.c.center_id == row.id)).scalar()
        if first is None:
            raise AnomalyNotFound()
        period = ensure_period(s, rules.period_of(first, zone), now=now)
        period = locked_period(s, period.id)
        _open(period)
        wanted = set(record_ids)
        found = next((a for a in center_anomalies(s, center_id=row.id, from_=period.starts_at, to=period.ends_at,
                                                  zone=zone, now=now)
                      if a.kind == kind and set(a.record_ids) == wanted), None)
        if found is None:
            raise AnomalyNotFound()
        key = key_of(found)
        values = dict(note=note, explained_by=actor.user_id, explained_at=now)
        s.execute(_insert(s, X).values(period_id=period.id, center_id=row.id, anomaly_key=key, kind=kind, **values)
                  .on_conflict_do_update(index_elements=["period_id", "center_id", "anomaly_key"], set_=values))
        audit(s, actor=actor, action="anomaly.explain", object_type="review_period", object_id=period.id,
              center_id=row.id, detail={"anomaly": key})
        return s.execute(select(X).where(X.c.period_id == period.id, X.c.center_id == row.id,
                                         X.c.anomaly_key == key)).one()

    return db.transaction(work)


def explanations_of(s: Session, period_id: int, center_id: int) -> dict[str, object]:
    return {row.anomaly_key: row for row in s.execute(
        select(X).where(X.c.period_id == period_id, X.c.center_id == center_id))}


# --- closing ----------------------------------------------------------------------------------------------------------

def close_period(db: Database, *, actor: Principal, period_id: int, now: datetime | None = None,
                 zone: str = DEFAULT_ZONE):
    """Freeze the period and publish it: each center's figures are computed now and stored, and from then on the
    public pages show those, whatever changes later; evaluations and explanations of the period are refused."""
    CLOSE_PERIODS.require(actor)
    now = now or utcnow()

    def work(s: Session):
        period = locked_period(s, period_id, exclusive=True)
        _open(period)
        figures = published_figures(s, period, now=now, zone=zone)
        if figures:
            s.execute(R.insert(), [{"period_id": period.id, "center_id": center_id, "figures": value,
                                    "published_at": now} for center_id, value in figures.items()])
        s.execute(update(P).where(P.c.id == period.id).values(status=rules.CLOSED, closed_at=now,
                                                              closed_by=actor.user_id))
        audit(s, actor=actor, action="review.close", object_type="review_period", object_id=period.id,
              detail={"centers": len(figures)})
        return s.execute(select(P).where(P.c.id == period.id)).one()

    return db.transaction(work)


def published_figures(s: Session, period, *, now: datetime, zone: str) -> dict[int, dict]:
    """Per center (the active ones, and any other with approved records in the period): what is published. Only
    counts and scores; a figure about fewer than ``rules.SMALL_COUNT`` people is ``None``; supervisors are numbered,
    and their comments have the names of the center's volunteers and residents masked."""
    in_period = (SR.c.status == "approved", SR.c.started_at >= period.starts_at, SR.c.started_at < period.ends_at)
    served = {row.center_id: row for row in s.execute(
        select(SR.c.center_id, func.sum(SR.c.minutes).label("minutes"),
               func.count(distinct(SR.c.volunteer_id)).label("volunteers"))
        .where(*in_period).group_by(SR.c.center_id))}
    rated = {row.center_id: row for row in s.execute(
        select(SR.c.center_id, func.avg(RC.c.rating).label("average"), func.count().label("ratings"))
        .select_from(SR.join(RC, RC.c.record_id == SR.c.id)).where(*in_period).group_by(SR.c.center_id))}
    centers = s.execute(select(C.c.id).where((C.c.active.is_(True)) | C.c.id.in_(list(served) or [-1]))
                        .order_by(C.c.id)).scalars().all()
    evaluations: dict[int, list] = {}
    for row in s.execute(select(E).where(E.c.period_id == period.id).order_by(E.c.center_id, E.c.id)):
        evaluations.setdefault(row.center_id, []).append(row)
    result = {}
    for center_id in centers:
        work = served.get(center_id)
        volunteers = int(work.volunteers) if work else 0
        rating = rated.get(center_id)
        ratings = int(rating.ratings) if rating else 0
        found = center_anomalies(s, center_id=center_id, from_=period.starts_at, to=period.ends_at, zone=zone,
                                 now=now)
        explained = explanations_of(s, period.id, center_id)
        names = _names_near(s, period, center_id) if evaluations.get(center_id) else ()
        result[center_id] = {
            "hours_served": rules.shown_if_enough(f"{(int(work.minutes) if work else 0) / 60:.1f}", volunteers),
            "volunteers_active": rules.shown_if_enough(volunteers, volunteers),
            "rating_average": rules.shown_if_enough(f"{float(rating.average):.2f}" if rating else None, ratings),
            "rating_count": rules.shown_if_enough(ratings, ratings),
            "evaluations": [{"supervisor": number,
                             "scores": {aspect: getattr(row, aspect) for aspect in rules.ASPECTS},
                             "comment": rules.without_names(row.comment, names)}
                            for number, row in enumerate(evaluations.get(center_id, []), start=1)],
            "anomalies_found": len(found),
            "anomalies_resolved": sum(1 for a in found if key_of(a) in explained),
        }
    return result


def _names_near(s: Session, period, center_id: int) -> set[str]:
    """The names a comment about this center might mention: its volunteers, those who served there in the period,
    and the residents of its service requests in the period."""
    names = set(s.execute(select(V.c.name).where(V.c.home_center_id == center_id)).scalars())
    names |= set(s.execute(select(V.c.name).select_from(SR.join(V, V.c.id == SR.c.volunteer_id)).where(
        SR.c.center_id == center_id, SR.c.started_at >= period.starts_at, SR.c.started_at < period.ends_at)
        .distinct()).scalars())
    names |= set(s.execute(select(REQ.c.resident).where(
        REQ.c.center_id == center_id, REQ.c.starts_at >= period.starts_at, REQ.c.starts_at < period.ends_at)
        .distinct()).scalars())
    return names
