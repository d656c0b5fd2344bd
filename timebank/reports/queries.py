"""The three reports, each aggregated by the database (GROUP BY, never a loop over records in Python), in one
read-only snapshot of the database reports read (``timebank.db.get_read_db``: the replica when there is one).

They read the tables of the features they report on (service records, the ledger's accounts and lots, drives and
their stock) directly: a sum over five million records needs the join and the GROUP BY, which no feature's service
can give row by row. What Python does afterwards is over the grouped rows only (a center's figures side by side,
the totals line).

Which center a figure belongs to:
- hours: the center where the service was given (the record's center);
- liability: the volunteer's home center (a volunteer's balance is one number, whichever centers minted its lots;
  it is where they most likely exchange it). The drive's stock is at the center of its desk;
- drive: the center where the reservation is picked up.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, literal_column, select
from sqlalchemy.orm import Session

from timebank.auth.access import Forbidden, Principal
from timebank.catalog.models import CatalogItem
from timebank.centers.models import Center
from timebank.db import Database, UTCDateTime
from timebank.drives.models import Drive, DriveCenter, DriveStock, Reservation
from timebank.errors import NotFound, field_error
from timebank.hours.models import ServiceRecord
from timebank.hours.supervision.rules import offset_periods
from timebank.ledger.models import Account, Lot
from timebank.reports import rules
from timebank.reports.permissions import READ_REPORTS
from timebank.service_types.models import ServiceType
from timebank.volunteers.models import Volunteer

SR = ServiceRecord.__table__
C = Center.__table__
ST = ServiceType.__table__
A = Account.__table__
L = Lot.__table__
V = Volunteer.__table__
D = Drive.__table__
DC = DriveCenter.__table__
DS = DriveStock.__table__
R = Reservation.__table__
CI = CatalogItem.__table__

UNKNOWN_CENTER = _l("No center has this code.")
OTHER_CENTER = _l("Staff see the reports of their own center only.")


class DriveNotFound(NotFound):
    code = "not_found"
    message = _l("No such drive.")


@dataclass(frozen=True)
class Scope:
    center_ids: tuple[int, ...] | None  # None: every center
    center: str | None  # the center asked for (its code), or the staff member's own


@dataclass(frozen=True)
class HoursRow:
    center: str
    center_name: str
    service_type: str
    service_type_name: str
    service_type_name_en: str
    month: str  # YYYY-MM of the city's clock
    records: int
    minutes: int
    credits: int

    @property
    def hours(self) -> str:
        return rules.hours_text(self.minutes)


@dataclass(frozen=True)
class HoursTotals:
    records: int = 0
    minutes: int = 0
    credits: int = 0

    @property
    def hours(self) -> str:
        return rules.hours_text(self.minutes)


@dataclass(frozen=True)
class HoursReport:
    period: rules.Period
    center: str | None
    zone: str
    rows: tuple[HoursRow, ...]
    totals: HoursTotals


@dataclass(frozen=True)
class DriveRef:
    id: int
    name: str
    opens_at: datetime
    closes_at: datetime
    pickup_until: datetime


@dataclass(frozen=True)
class LiabilityRow:
    center: str | None  # None: the total of the centers shown
    center_name: str
    volunteers: int = 0  # volunteers holding credits
    outstanding: int = 0  # their balances: credits held for a reservation included
    held: int = 0  # reserved in a drive, not yet picked up
    expiring_30d: int = 0
    expiring_90d: int = 0  # within 90 days: the 30 days' included
    stock_value: int = 0  # the coming drive's stock left at this center × its price

    @property
    def available(self) -> int:
        return self.outstanding - self.held


@dataclass(frozen=True)
class LiabilityReport:
    at: datetime
    center: str | None
    drive: DriveRef | None
    rows: tuple[LiabilityRow, ...]
    total: LiabilityRow


@dataclass(frozen=True)
class DriveRow:
    center: str | None
    center_name: str
    reservations: int = 0
    fulfilled: int = 0  # picked up (walk-ups included)
    no_shows: int = 0  # not picked up by pickup_until: voided, or still held after it
    cancelled: int = 0
    held: int = 0  # still to pick up, before pickup_until
    redeemed: int = 0  # credits of those picked up


@dataclass(frozen=True)
class DriveReport:
    at: datetime
    center: str | None
    drive: DriveRef | None
    rows: tuple[DriveRow, ...]
    total: DriveRow
    drives: tuple[DriveRef, ...] = field(default=())  # the recent drives, to choose another


def report_scope(s: Session, actor: Principal, center: str | None) -> Scope:
    """Which centers ``actor`` reads: an admin every center, or the one asked for; staff their own, and asking for
    another is forbidden. An unknown code is a 422 on ``center``."""
    READ_REPORTS.require(actor)
    code = center.strip().upper() if center and center.strip() else None
    found = None
    if code is not None:
        found = s.execute(select(C.c.id).where(C.c.code == code)).scalar_one_or_none()
    if actor.sees_everything:
        if code is None:
            return Scope(None, None)
        if found is None:
            raise field_error("center", UNKNOWN_CENTER)
        return Scope((found,), code)
    own = actor.center_id
    if code is not None and (found is None or found != own):
        raise Forbidden(OTHER_CENTER)
    if own is None:
        return Scope((), None)
    own_code = code or s.execute(select(C.c.code).where(C.c.id == own)).scalar_one_or_none()
    return Scope((own,), own_code)


def _in_scope(column, scope: Scope):
    if scope.center_ids is None:
        return literal(True)
    return column.in_(scope.center_ids or [-1])


# ------------------------------------------------------------------------------------------------------ hours

def hours_report(db: Database, *, actor: Principal, center: str | None = None, period: rules.Period,
                 zone: str) -> HoursReport:
    """Approved records (not the rejected, pending or reversed) that started in ``period``: how many, their
    minutes and the credits minted for them, per center, service type and month of the city's clock."""

    def work(s: Session) -> HoursReport:
        scope = report_scope(s, actor, center)
        month = _month_expression(s.get_bind().dialect.name, zone, period)(SR.c.started_at)
        # The status written out, not bound: SQLite uses a partial index only when the query repeats its WHERE term.
        where = [SR.c.status == literal_column("'approved'"), _in_scope(SR.c.center_id, scope)]
        if period.starts is not None:
            where.append(SR.c.started_at >= period.starts)
        if period.ends is not None:
            where.append(SR.c.started_at < period.ends)
        # Grouped by the month's name in the select list: one computation per record, and PostgreSQL needs no
        # proof that two copies of the expression (each with its own bound zone) are the same.
        grouped = (select(SR.c.center_id, SR.c.service_type_id, month.label("local_month"),
                          func.count().label("records"), func.sum(SR.c.minutes).label("minutes"),
                          func.sum(SR.c.credits).label("credits"))
                   .where(*where)
                   .group_by(SR.c.center_id, SR.c.service_type_id, literal_column("local_month")).subquery())
        rows = s.execute(
            select(C.c.code, C.c.name, ST.c.code.label("type_code"), ST.c.name_zh, ST.c.name_en, grouped.c.local_month,
                   grouped.c.records, grouped.c.minutes, grouped.c.credits)
            .join(C, C.c.id == grouped.c.center_id).join(ST, ST.c.id == grouped.c.service_type_id)
            .order_by(grouped.c.local_month, C.c.code, ST.c.code)).all()
        found = tuple(HoursRow(r.code, r.name, r.type_code, r.name_zh, r.name_en, _month_text(r.local_month),
                               int(r.records), int(r.minutes or 0), int(r.credits or 0)) for r in rows)
        totals = HoursTotals(sum(r.records for r in found), sum(r.minutes for r in found),
                             sum(r.credits for r in found))
        return HoursReport(period, scope.center, zone, found, totals)

    return db.transaction(work, readonly=True)


def _month_expression(dialect: str, zone: str, period: rules.Period):
    """``month(column)``: the month of the city's clock a stored moment falls in, exactly, on both databases:
    PostgreSQL converts with its time zone database; SQLite adds the zone's offset in force at the moment, one CASE
    over the zone's offset changes (a single offset for Asia/Shanghai)."""
    if dialect == "postgresql":
        return lambda column: func.date_trunc("month", func.timezone(zone, column))
    periods = offset_periods(zone, until=period.ends or datetime.now().astimezone())

    def sqlite_month(column):
        if len(periods) == 1:
            minutes = literal(periods[0][1])
        else:  # the offset in force at the moment: the last change before it
            minutes = case(*[(column >= literal(since, UTCDateTime), offset)
                             for since, offset in reversed(periods[1:])], else_=periods[0][1])
        return func.strftime("%Y-%m", column, func.printf("%d minutes", minutes))

    return sqlite_month


def _month_text(value) -> str:
    return value if isinstance(value, str) else f"{value:%Y-%m}"


# -------------------------------------------------------------------------------------------------- liability

def liability_report(db: Database, *, actor: Principal, center: str | None = None,
                     now: datetime) -> LiabilityReport:
    """Per home center of the volunteers: their credits outstanding (the sum of their balances, what the time bank
    owes), of which held for reservations, what expires within 30 and 90 days (the live lots' remainders, which
    exclude what is held), and the coming drive's stock left at the center priced in credits."""
    in_30, in_90 = rules.expiry_horizons(now)

    def work(s: Session) -> LiabilityReport:
        scope = report_scope(s, actor, center)
        centers = s.execute(select(C.c.id, C.c.code, C.c.name).where(_in_scope(C.c.id, scope))
                            .order_by(C.c.code)).all()
        balances = {r.center_id: r for r in s.execute(
            select(V.c.home_center_id.label("center_id"),
                   func.sum(case((A.c.credits_posted > A.c.debits_posted, 1), else_=0)).label("volunteers"),
                   func.sum(A.c.credits_posted - A.c.debits_posted).label("outstanding"),
                   func.sum(A.c.debits_pending).label("held"))
            .select_from(V.join(A, A.c.id == V.c.account_id))
            .where(_in_scope(V.c.home_center_id, scope)).group_by(V.c.home_center_id))}
        # Live lots due within 90 days, along the partial index of live lots by date (its WHERE term literal); a lot
        # past its date that the job has not taken yet expires at its next run, so it counts.
        expiring = {r.center_id: r for r in s.execute(
            select(V.c.home_center_id.label("center_id"),
                   func.sum(case((L.c.expires_at <= in_30, L.c.remaining), else_=0)).label("in_30"),
                   func.sum(L.c.remaining).label("in_90"))
            .select_from(L.join(V, V.c.account_id == L.c.account_id))
            .where(L.c.expired_at.is_(None), L.c.expires_at <= in_90, L.c.remaining > 0,
                   _in_scope(V.c.home_center_id, scope))
            .group_by(V.c.home_center_id))}
        drive = _coming_drive(s, now)
        stock = {}
        if drive is not None:
            stock = {r.center_id: r.value for r in s.execute(
                select(DS.c.center_id, func.sum((DS.c.stock - DS.c.held - DS.c.sold) * CI.c.price).label("value"))
                .join(CI, CI.c.id == DS.c.item_id)
                .where(DS.c.drive_id == drive.id, _in_scope(DS.c.center_id, scope)).group_by(DS.c.center_id))}
        rows = []
        for c in centers:
            b, e = balances.get(c.id), expiring.get(c.id)
            rows.append(LiabilityRow(
                c.code, c.name, volunteers=_int(b and b.volunteers), outstanding=_int(b and b.outstanding),
                held=_int(b and b.held), expiring_30d=_int(e and e.in_30), expiring_90d=_int(e and e.in_90),
                stock_value=_int(stock.get(c.id))))
        total = LiabilityRow(None, "", **{name: sum(getattr(r, name) for r in rows) for name in (
            "volunteers", "outstanding", "held", "expiring_30d", "expiring_90d", "stock_value")})
        return LiabilityReport(now, scope.center, drive, tuple(rows), total)

    return db.transaction(work, readonly=True)


def _coming_drive(s: Session, now: datetime) -> DriveRef | None:
    """The drive open now, else the next to open: the first that still takes (or will take) reservations."""
    row = s.execute(select(D.c.id, D.c.name, D.c.opens_at, D.c.closes_at, D.c.pickup_until)
                    .where(D.c.closes_at > now).order_by(D.c.opens_at, D.c.id).limit(1)).first()
    return _drive_ref(row)


def _drive_ref(row) -> DriveRef | None:
    return None if row is None else DriveRef(row.id, row.name, row.opens_at, row.closes_at, row.pickup_until)


def _int(value) -> int:
    return int(value or 0)


# ------------------------------------------------------------------------------------------------------ drive

RECENT_DRIVES = 24


def drive_report(db: Database, *, actor: Principal, center: str | None = None, drive_id: int | None = None,
                 now: datetime) -> DriveReport:
    """Per center of a drive (``drive_id``; by default the latest to have opened, else the next): its reservations
    and how they ended. A reservation still held once ``pickup_until`` has passed is a no-show, as the stale-holds
    job will void it."""

    def work(s: Session) -> DriveReport:
        scope = report_scope(s, actor, center)
        columns = (D.c.id, D.c.name, D.c.opens_at, D.c.closes_at, D.c.pickup_until)
        recent = tuple(_drive_ref(r) for r in s.execute(
            select(*columns).order_by(D.c.opens_at.desc(), D.c.id.desc()).limit(RECENT_DRIVES)))
        if drive_id is not None:
            drive = _drive_ref(s.execute(select(*columns).where(D.c.id == drive_id)).first())
            if drive is None:
                raise DriveNotFound(drive_id=drive_id)
        else:
            drive = _drive_ref(s.execute(select(*columns).where(D.c.opens_at <= now)
                                         .order_by(D.c.opens_at.desc(), D.c.id.desc()).limit(1)).first()
                               or s.execute(select(*columns).order_by(D.c.opens_at, D.c.id).limit(1)).first())
        if drive is None:
            return DriveReport(now, scope.center, None, (), DriveRow(None, ""), recent)
        late = literal(now >= drive.pickup_until)

        def counted(condition):
            return func.sum(case((condition, 1), else_=0))

        status = R.c.status
        rows = s.execute(
            select(C.c.code, C.c.name, func.count(R.c.id).label("reservations"),
                   counted(status == "fulfilled").label("fulfilled"),
                   counted((status == "voided") | and_(status == "held", late)).label("no_shows"),
                   counted(status == "cancelled").label("cancelled"),
                   counted(and_(status == "held", ~late)).label("held"),
                   func.sum(case((status == "fulfilled", R.c.total), else_=0)).label("redeemed"))
            .select_from(DC.join(C, C.c.id == DC.c.center_id)
                         .outerjoin(R, and_(R.c.drive_id == DC.c.drive_id, R.c.center_id == DC.c.center_id)))
            .where(DC.c.drive_id == drive.id, _in_scope(DC.c.center_id, scope))
            .group_by(C.c.code, C.c.name).order_by(C.c.code)).all()
        found = tuple(DriveRow(r.code, r.name, *(_int(getattr(r, n)) for n in _DRIVE_FIGURES)) for r in rows)
        total = DriveRow(None, "", *(sum(getattr(r, n) for r in found) for n in _DRIVE_FIGURES))
        return DriveReport(now, scope.center, drive, found, total, recent)

    return db.transaction(work, readonly=True)


_DRIVE_FIGURES = ("reservations", "fulfilled", "no_shows", "cancelled", "held", "redeemed")


def center_choices(db: Database, *, actor: Principal) -> tuple[tuple[str, str], ...]:
    """The centers a report may be asked for (code, name): every one for an admin, none to choose for staff."""
    READ_REPORTS.require(actor)
    if not actor.sees_everything:
        return ()
    return db.transaction(lambda s: tuple((r.code, r.name) for r in s.execute(
        select(C.c.code, C.c.name).order_by(C.c.code))), readonly=True)
