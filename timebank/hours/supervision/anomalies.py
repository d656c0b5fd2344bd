"""Anomalies in the service records (SPEC §3.3, §8.1 ``GET /anomalies``), found by the database set-wise.

One UNION ALL of a query per kind finds the anomalies and pages them; a second round of queries, over that page only,
fetches the records each one links to and what its detail says. Nothing loops over the table's records in Python.

Every anomaly belongs to one center, which decides who sees it and what the ``center`` filter matches. An anomaly
that spans two centers (a volunteer's day of 5 h at one and 4 h at another, or two overlapping records at two
centers) is listed at each of them, linking to all its records: each center's supervisor sees what concerns theirs.
A record without a check-out has a length nobody has set yet: it is its own anomaly, and adds to no day's hours
and to no overlap until staff set it. A day is the local day (``TIMEBANK_TIMEZONE``) on which a record starts; ``from``/``to`` choose the records by start.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from timebank.auth.access import Principal
from timebank.auth.models import User
from timebank.centers.models import Center
from timebank.clock import utcnow
from timebank.db import Database, UTCDateTime
from timebank.hours.models import ServiceRecord
from timebank.hours.rules import DAY_MINUTES_ANOMALY, LATE_ENTRY_AFTER
from timebank.hours.supervision import rules
from timebank.hours.supervision.permissions import READ_ANOMALIES
from timebank.paging import Page, paginate
from timebank.volunteers.models import Volunteer

SR = ServiceRecord.__table__
C = Center.__table__
U = User.__table__
V = Volunteer.__table__


@dataclass(frozen=True)
class Anomaly:
    kind: str
    center: str
    center_name: str
    volunteer_id: int | None
    volunteer_name: str | None
    at: datetime  # when it happened: the start of the (first) record
    record_ids: tuple[int, ...]
    detail: dict = field(default_factory=dict)


def list_anomalies(db: Database, *, actor: Principal, center: str | None = None, kind: str | None = None,
                   from_: datetime | None = None, to: datetime | None = None, zone: str = "Asia/Shanghai",
                   page: int = 1, per_page: int = 20, now: datetime | None = None) -> Page[Anomaly]:
    """The anomalies of the centers the caller sees, the latest first."""
    READ_ANOMALIES.require(actor)
    now = now or utcnow()

    def work(s: Session) -> Page[Anomaly]:
        day = _day_expression(s.get_bind().dialect.name, zone, now)
        query = _anomalies(s.get_bind().dialect.name, day, from_, to)
        visible = actor.visible_center_ids()
        if visible is not None:
            query = query.where(query.selected_columns.center_id.in_(visible or [-1]))
        if center:
            query = query.where(query.selected_columns.center_id.in_(
                select(C.c.id).where(C.c.code == center.strip().upper()).scalar_subquery()))
        if kind:
            query = query.where(query.selected_columns.kind == kind)
        found = paginate(s, query, page=page, per_page=per_page, to_item=lambda row: row)
        return Page(items=_described(s, found.items, day, from_, to), total=found.total, page=found.page,
                    per_page=found.per_page, pages=found.pages)

    return db.transaction(work, readonly=True)


def center_anomalies(s: Session, *, center_id: int, from_: datetime, to: datetime, zone: str = "Asia/Shanghai",
                     now: datetime | None = None) -> tuple[Anomaly, ...]:
    """Every anomaly of one center among the records that started in [``from_``, ``to``), the latest first, in the
    caller's unit of work (a review period's: ``timebank.supervision``). No permission check: the caller's."""
    day = _day_expression(s.get_bind().dialect.name, zone, now or utcnow())
    query = _anomalies(s.get_bind().dialect.name, day, from_, to)
    rows = s.execute(query.where(query.selected_columns.center_id == center_id)).all()
    return _described(s, rows, day, from_, to)


def _anomalies(dialect: str, day, from_, to):
    """One row per anomaly: kind, center_id, volunteer_id, day, first_id, second_id, minutes, at — ordered."""
    def in_period(table):
        conditions = []
        if from_ is not None:
            conditions.append(table.c.started_at >= from_)
        if to is not None:
            conditions.append(table.c.started_at < to)
        return and_(True, *conditions)

    # over_8h_day: the volunteer's standing records of a local day add up to more than 8 h
    standing = (select(SR.c.id, SR.c.volunteer_id, SR.c.center_id, SR.c.minutes, SR.c.started_at,
                       day(SR.c.started_at).label("day"))
                .where(SR.c.status.in_(rules.STANDING), SR.c.missing_check_out.is_(False), in_period(SR))
                .cte("standing"))
    long_days = (select(standing.c.volunteer_id, standing.c.day, func.sum(standing.c.minutes).label("minutes"),
                        func.min(standing.c.started_at).label("at"))
                 .group_by(standing.c.volunteer_id, standing.c.day)
                 .having(func.sum(standing.c.minutes) > DAY_MINUTES_ANOMALY).cte("long_days"))
    over_8h = (select(literal(rules.OVER_8H_DAY).label("kind"), standing.c.center_id,
                      long_days.c.volunteer_id, long_days.c.day,
                      func.min(standing.c.id).label("first_id"), cast(null(), Integer).label("second_id"),
                      long_days.c.minutes, long_days.c.at)
               .select_from(long_days.join(standing, and_(standing.c.volunteer_id == long_days.c.volunteer_id,
                                                          standing.c.day == long_days.c.day)))
               .group_by(standing.c.center_id, long_days.c.volunteer_id, long_days.c.day, long_days.c.minutes,
                         long_days.c.at))

    def one_record(kind: str, *conditions):
        return (select(literal(kind).label("kind"), SR.c.center_id, SR.c.volunteer_id,
                       cast(null(), String).label("day"), SR.c.id.label("first_id"),
                       cast(null(), Integer).label("second_id"), SR.c.minutes, SR.c.started_at.label("at"))
                .where(in_period(SR), *conditions))

    late = one_record(rules.LATE_ENTRY, SR.c.status != "rejected", SR.c.source.in_(rules.NOT_LATE_BY_NATURE),
                      _seconds_between(dialect, SR.c.ended_at, SR.c.entered_at)
                      > int(LATE_ENTRY_AFTER.total_seconds()))
    self_approved = one_record(rules.SELF_APPROVAL, SR.c.status.in_(rules.APPROVED_ONCE),
                               SR.c.entered_by.is_not(None), SR.c.decided_by == SR.c.entered_by)
    unclosed = one_record(rules.MISSING_CHECK_OUT, SR.c.status != "rejected", SR.c.missing_check_out.is_(True))

    # two_centers_at_once: listed at each side's center (first_id is that center's record)
    here, there = SR.alias("here"), SR.alias("there")
    two_places = (select(literal(rules.TWO_CENTERS_AT_ONCE).label("kind"), here.c.center_id, here.c.volunteer_id,
                         cast(null(), String).label("day"), here.c.id.label("first_id"),
                         there.c.id.label("second_id"), here.c.minutes, here.c.started_at.label("at"))
                  .select_from(here.join(there, and_(there.c.volunteer_id == here.c.volunteer_id,
                                                     there.c.center_id != here.c.center_id,
                                                     there.c.started_at < here.c.ended_at,
                                                     there.c.ended_at > here.c.started_at)))
                  .where(here.c.status.in_(rules.STANDING), there.c.status.in_(rules.STANDING),
                         here.c.missing_check_out.is_(False), there.c.missing_check_out.is_(False),
                         in_period(here)))

    every = union_all(over_8h, late, self_approved, two_places, unclosed).subquery("anomaly")
    return (select(every).order_by(every.c.at.desc(), every.c.kind, every.c.center_id, every.c.first_id,
                                   every.c.second_id))


def _described(s: Session, rows, day, from_, to) -> tuple[Anomaly, ...]:
    """The page's anomalies with their records and details: a few queries for the whole page."""
    if not rows:
        return ()
    days = {(row.volunteer_id, row.day) for row in rows if row.kind == rules.OVER_8H_DAY}
    day_records: dict[tuple, list[int]] = {}
    if days:
        standing = (select(SR.c.id, SR.c.volunteer_id, day(SR.c.started_at).label("day"))
                    .where(SR.c.status.in_(rules.STANDING), SR.c.missing_check_out.is_(False),
                           SR.c.volunteer_id.in_({v for v, _ in days})))
        if from_ is not None:
            standing = standing.where(SR.c.started_at >= from_)
        if to is not None:
            standing = standing.where(SR.c.started_at < to)
        standing = standing.subquery()
        for found in s.execute(select(standing).where(standing.c.day.in_({d for _, d in days}))
                               .order_by(standing.c.id)):
            if (found.volunteer_id, found.day) in days:
                day_records.setdefault((found.volunteer_id, found.day), []).append(found.id)

    def record_ids(row) -> tuple[int, ...]:
        if row.kind == rules.OVER_8H_DAY:
            return tuple(day_records.get((row.volunteer_id, row.day), ()))
        return tuple(sorted(i for i in (row.first_id, row.second_id) if i is not None))

    linked = {i for row in rows for i in record_ids(row)}
    records = {r.id: r for r in s.execute(
        select(SR.c.id, SR.c.center_id, SR.c.started_at, SR.c.ended_at, SR.c.entered_at, SR.c.entered_by,
               SR.c.status, C.c.code.label("center_code")).join(C, C.c.id == SR.c.center_id)
        .where(SR.c.id.in_(linked or [-1])))}
    users = dict(s.execute(select(U.c.id, U.c.username).where(
        U.c.id.in_({r.entered_by for r in records.values() if r.entered_by is not None} or [-1]))).all())
    centers = {c.id: c for c in s.execute(select(C.c.id, C.c.code, C.c.name).where(
        C.c.id.in_({row.center_id for row in rows})))}
    names = dict(s.execute(select(V.c.id, V.c.name).where(
        V.c.id.in_({row.volunteer_id for row in rows if row.volunteer_id is not None} or [-1]))).all())

    def detail(row) -> dict:
        first = records.get(row.first_id)
        if row.kind == rules.OVER_8H_DAY:
            return {"date": row.day, "minutes": int(row.minutes)}
        if row.kind == rules.LATE_ENTRY:
            late = first.entered_at - first.ended_at
            return {"ended_at": _iso(first.ended_at), "entered_at": _iso(first.entered_at), "days_late": late.days}
        if row.kind == rules.SELF_APPROVAL:
            return {"user_id": first.entered_by, "username": users.get(first.entered_by)}
        if row.kind == rules.TWO_CENTERS_AT_ONCE:
            other = records[row.second_id]
            return {"other_center": other.center_code, "other_record_id": other.id,
                    "started_at": _iso(first.started_at), "ended_at": _iso(first.ended_at)}
        return {"status": first.status, "started_at": _iso(first.started_at)}

    return tuple(Anomaly(kind=row.kind, center=centers[row.center_id].code, center_name=centers[row.center_id].name,
                         volunteer_id=row.volunteer_id, volunteer_name=names.get(row.volunteer_id),
                         at=_aware(row.at), record_ids=record_ids(row), detail=detail(row)) for row in rows)


def _day_expression(dialect: str, zone: str, now: datetime):
    """``day(column)``: the local day a stored moment falls on, as ``YYYY-MM-DD`` text, in the database."""
    if dialect == "postgresql":
        return lambda column: func.to_char(func.timezone(zone, column), "YYYY-MM-DD")
    periods = rules.offset_periods(zone, until=now)

    def sqlite_day(column):
        if len(periods) == 1:
            minutes = literal(periods[0][1])
        else:  # the offset in force at the moment: the last period that began before it
            minutes = case(*[(column >= literal(since, UTCDateTime), offset)
                             for since, offset in reversed(periods[1:])], else_=periods[0][1])
        return func.date(column, func.printf("%d minutes", minutes))

    return sqlite_day


def _seconds_between(dialect: str, earlier, later):
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier)
    return cast(func.strftime("%s", later), Integer) - cast(func.strftime("%s", earlier), Integer)


def _aware(moment) -> datetime:
    """A moment read through a UNION, where SQLite hands back its stored text without the column's type."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _iso(moment: datetime) -> str:
    return _aware(moment).isoformat()

