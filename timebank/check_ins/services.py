"""Check-in use cases: the poster's current code, a volunteer's scan (in, or out with a pending record), and the
check-ins left open too long, which become pending records flagged ``missing_check_out``.

A scan locks the volunteer's row first (``volunteers.services.lock_volunteers``, the lock every record write takes),
so two scans of one volunteer at once queue: the second sees what the first did. A second scan within
``REPEAT_WINDOW`` of the first answers the same result instead of toggling (a camera app often opens a URL twice, and
an older person scans again to be sure); a partial unique index keeps "one open check-in per volunteer" even so.

The record a check-out leaves gets a service type by these, first to last: the one named in that scan; the one the
volunteer chose for the open check-in (on the result page, or named in the scan that checked in); the volunteer's
last one at that center; the first active one by code. Only the volunteer of an open check-in may choose its type,
and a check-in once closed keeps what it had.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from timebank.audit.services import record as audit
from timebank.auth.access import Forbidden, Principal
from timebank.centers.services import CenterNotFound, centers_by_code, get_center
from timebank.check_ins import codes
from timebank.check_ins.errors import (
    CenterClosed,
    CheckedInElsewhere,
    CheckInClosed,
    CheckInNotFound,
    CodeNotValid,
    CodeTooOld,
    NoServiceType,
    VolunteerInactive,
)
from timebank.check_ins.models import CheckIn
from timebank.check_ins.permissions import CHOOSE_SERVICE_TYPE, SCAN_POSTER, SHOW_POSTER
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import field_error
from timebank.hours.queries import RecordView, list_records, records_by_id
from timebank.hours.services import NewRecord, Overlap, insert_records
from timebank.service_types.services import (
    list_service_types,
    service_type_by_code,
    service_type_rows,
)
from timebank.volunteers.services import lock_volunteers

CI = CheckIn.__table__
STALE_AFTER = timedelta(hours=12)  # SPEC §3.2: a check-in open this long becomes a flagged record
REPEAT_WINDOW = timedelta(minutes=5)
SYSTEM = Principal.system("check-ins")
_DUE = (select(CI.c.id, CI.c.volunteer_id)
        .where(CI.c.closed_at.is_(None), CI.c.checked_in_at <= bindparam("opened_by", type_=CI.c.checked_in_at.type))
        .order_by(CI.c.id).limit(bindparam("limit")))


@dataclass(frozen=True)
class PosterView:
    text: str  # what the QR encodes; also the ``url`` (a phone's camera opens it)
    center: str
    center_name: str
    shown_at: datetime
    refresh_at: datetime
    expires_at: datetime
    server_time: datetime

    @property
    def url(self) -> str:
        return self.text


@dataclass(frozen=True)
class ScanResult:
    status: str  # checked_in | checked_out
    repeat: bool  # the same answer as a scan a moment ago: nothing changed
    center: str
    center_name: str
    checked_in_at: datetime
    checked_out_at: datetime | None
    record: RecordView | None  # the pending record a check-out left (None when its time was already recorded)
    check_in_id: int
    # The service type's code: the record's; while open, the one a check-out would take now (chosen or guessed).
    service_type: str | None
    service_type_chosen: bool  # the volunteer chose it (or named it in the scan), rather than it being guessed


def poster_key(db: Database) -> bytes:
    return codes.derive_key(db.secret_key)


def poster_code(db: Database, *, actor: Principal, center: str, prefix: str, now: datetime | None = None
                ) -> PosterView:
    """The code the center's poster shows now. ``prefix`` is ``HTTPS://HOST`` (``links.current_prefix()``)."""
    SHOW_POSTER.require(actor)
    now = now or utcnow()

    def work(s: Session):
        row = centers_by_code(s, [(center or "").strip().upper()]).get((center or "").strip().upper())
        if row is None or not actor.can_see_center(row.id):
            raise CenterNotFound(center_id=center)
        if not row.active:
            raise CenterClosed()
        return row

    row = db.transaction(work, readonly=True)
    code = codes.PosterCode(center_id=row.id, slot=codes.slot_at(now))
    return PosterView(text=codes.text_for(prefix, poster_key(db), code), center=row.code, center_name=row.name,
                      shown_at=code.shown_at, refresh_at=code.refresh_at, expires_at=code.expires_at,
                      server_time=now)


def read_code(db: Database, text, *, now: datetime) -> codes.PosterCode:
    """The poster code in ``text``, refused (in words) when forged, malformed, too old or not yet shown."""
    try:
        code = codes.read(poster_key(db), text)
    except codes.MalformedCode:
        raise CodeNotValid() from None
    if code.from_the_future(now):
        raise CodeNotValid()
    if code.too_old(now):
        raise CodeTooOld()
    return code


def scan(db: Database, *, actor: Principal, text, service_type: str | None = None,
         now: datetime | None = None, seen_at: datetime | None = None) -> ScanResult:
    """The signed-in volunteer scanned a poster: the first scan checks in; the next at the same center checks out and
    leaves a pending record. ``service_type`` (a code), when checking in, is kept as the volunteer's choice for the
    visit; when checking out, it is the record's type whatever was chosen (see the module's order)."""
    SCAN_POSTER.require(actor)
    if actor.volunteer_id is None:
        raise Forbidden()
    now = now or utcnow()
    # The code's age counts to when it was opened (before a sign-in, the page vouches for it), never later than now.
    code = read_code(db, text, now=min(seen_at, now) if seen_at else now)

    def work(s: Session) -> ScanResult:
        volunteer = lock_volunteers(s, [actor.volunteer_id]).get(actor.volunteer_id)
        if volunteer is None or not volunteer.active:
            raise VolunteerInactive()
        center = _center(db, code.center_id)
        open_row = _open_check_in(s, actor.volunteer_id)
        if open_row is not None and now - open_row.checked_in_at >= STALE_AFTER:
            _close_stale(db, s, open_row, now)  # lazily, as the job would have: this scan starts afresh
            open_row = None
        if open_row is not None and open_row.center_id != center.id:
            other = get_center(db, actor=SYSTEM, center_id=open_row.center_id)
            raise CheckedInElsewhere(center=other.name, time=_local(open_row.checked_in_at))
        if open_row is not None:
            if now - open_row.checked_in_at < REPEAT_WINDOW:
                return _result(db, s, center, open_row, repeat=True)
            return _check_out(db, s, actor, center, open_row, service_type, now)
        recent = _recent_check_out(s, actor.volunteer_id, center.id, now)
        if recent is not None:
            return _result(db, s, center, recent, repeat=True)
        if not list_service_types(db, actor=SYSTEM, active=True):
            raise NoServiceType()
        chosen = _active_service_type(s, service_type) if service_type else None
        check_in_id = s.execute(insert(CI).values(volunteer_id=actor.volunteer_id, center_id=center.id,
                                                  checked_in_at=now, service_type_id=chosen.id if chosen else None)
                                .returning(CI.c.id)).scalar_one()
        detail = {"volunteer_id": actor.volunteer_id}
        if chosen is not None:
            detail["service_type"] = chosen.code
        audit(s, actor=actor, action="check_in.open", object_type="check_in", object_id=check_in_id,
              center_id=center.id, detail=detail)
        return _result(db, s, center, _check_in(s, check_in_id), repeat=False)

    return db.transaction(work)


def check_in_of(db: Database, *, actor: Principal, check_in_id: int) -> ScanResult:
    """One of the signed-in volunteer's own check-ins, as its scan answered it (another's is not found)."""
    CHOOSE_SERVICE_TYPE.require(actor)

    def work(s: Session) -> ScanResult:
        row = _own_check_in(s, actor, check_in_id)
        return _result(db, s, get_center(db, actor=SYSTEM, center_id=row.center_id), row, repeat=False)

    return db.transaction(work, readonly=True)


def choose_service_type(db: Database, *, actor: Principal, check_in_id: int, service_type: str) -> ScanResult:
    """The volunteer says which service they are doing on their open check-in (a code of an active type): the
    record its check-out leaves takes it. Refused once the check-in is closed (``check_in_closed``)."""
    CHOOSE_SERVICE_TYPE.require(actor)

    def work(s: Session) -> ScanResult:
        lock_volunteers(s, [actor.volunteer_id])  # a check-out of this volunteer waits, or has already closed it
        row = _own_check_in(s, actor, check_in_id)
        if row.closed_at is not None:
            raise CheckInClosed()
        chosen = _active_service_type(s, service_type)
        if chosen.id != row.service_type_id:
            before = service_type_rows(s, [row.service_type_id]).get(row.service_type_id)
            s.execute(update(CI).where(CI.c.id == row.id, CI.c.closed_at.is_(None))
                      .values(service_type_id=chosen.id))
            audit(s, actor=actor, action="check_in.service_type", object_type="check_in", object_id=row.id,
                  center_id=row.center_id,
                  detail={"service_type": chosen.code, "before": before.code if before else None})
        center = get_center(db, actor=SYSTEM, center_id=row.center_id)
        return _result(db, s, center, _check_in(s, row.id), repeat=False)

    return db.transaction(work)


def close_stale_check_ins(db: Database, *, now: datetime | None = None, limit: int = 1000) -> int:
    """Check-ins open ``STALE_AFTER`` or longer become pending records flagged ``missing_check_out`` (staff set the
    end before approving). Safe to run twice at once: each closes under its volunteer's lock, re-read. Returns how
    many it closed."""
    now = now or utcnow()
    due = db.read_all(_DUE, {"opened_by": now - STALE_AFTER, "limit": limit})
    closed = 0
    for row in due:
        def work(s: Session, row=row) -> int:
            lock_volunteers(s, [row.volunteer_id])
            current = s.execute(select(CI).where(CI.c.id == row.id, CI.c.closed_at.is_(None))).first()
            if current is None or now - current.checked_in_at < STALE_AFTER:
                return 0
            _close_stale(db, s, current, now)
            return 1

        closed += db.transaction(work)
    return closed


def _check_out(db: Database, s: Session, actor: Principal, center, open_row, service_type: str | None,
               now: datetime) -> ScanResult:
    type_id = _active_service_type(s, service_type).id if service_type else \
        _service_type_for(db, s, open_row, center)
    record_id = _insert_record(s, actor, open_row, type_id, open_row.checked_in_at, now, now=now, flagged=False)
    _close(s, open_row.id, now, "checked_out" if record_id else "overlap", record_id)
    audit(s, actor=actor, action="check_in.close", object_type="check_in", object_id=open_row.id,
          center_id=center.id, detail={"record_id": record_id})
    return _result(db, s, center, _check_in(s, open_row.id), repeat=False)


def _close_stale(db: Database, s: Session, row, now: datetime) -> None:
    """A flagged pending record from the check-in to 12 h later, or to the start of the volunteer's next record when
    that comes first (so it does not overlap what staff logged meanwhile)."""
    end = row.checked_in_at + STALE_AFTER
    later = _next_record_start(db, row.volunteer_id, row.checked_in_at, end)
    if later is not None:
        end = later
    type_id = _service_type_for(db, s, row, get_center(db, actor=SYSTEM, center_id=row.center_id))
    record_id = _insert_record(s, SYSTEM, row, type_id, row.checked_in_at, end, now=now, flagged=True)
    _close(s, row.id, now, "stale" if record_id else "overlap", record_id)
    audit(s, actor=SYSTEM, action="check_in.stale", object_type="check_in", object_id=row.id,
          center_id=row.center_id, detail={"record_id": record_id})


def _next_record_start(db: Database, volunteer_id: int, start: datetime, end: datetime) -> datetime | None:
    found = list_records(db, actor=SYSTEM, volunteer_id=volunteer_id, from_=start + timedelta(seconds=1),
                         to=end, per_page=100)
    starts = [record.started_at for record in found.items if record.status in ("pending", "approved")]
    return min(starts) if starts else None


def _insert_record(s: Session, actor: Principal, row, type_id: int | None, start: datetime, end: datetime, *,
                   now: datetime, flagged: bool) -> int | None:
    """The pending record of a check-in, or ``None`` when its time is already in another record (staff logged it)."""
    if type_id is None or end <= start:
        return None
    record = NewRecord(volunteer_id=row.volunteer_id, center_id=row.center_id, service_type_id=type_id,
                       started_at=start, ended_at=end, source="check_in", missing_check_out=flagged)
    try:
        with s.begin_nested():
            [record_id] = insert_records(s, actor=actor, records=[record], now=now,
                                         home_center_only=False)
    except Overlap:
        return None
    return record_id


def _active_service_type(s: Session, code: str):
    row = service_type_by_code(s, code)
    if row is None or not row.active:
        raise field_error("service_type", _l("There is no active service type with code %(code)s.", code=code))
    return row


def _service_type_for(db: Database, s: Session, check_in, center) -> int | None:
    """The type of the record a check-in leaves when the closing scan names none: the one chosen for it while it is
    still active, else the volunteer's last one at that center, else the first active one by code."""
    active = {row.code: row.id for row in list_service_types(db, actor=SYSTEM, active=True)}
    if check_in.service_type_id in active.values():
        return check_in.service_type_id
    last = list_records(db, actor=SYSTEM, volunteer_id=check_in.volunteer_id, center=center.code, per_page=5)
    for record in last.items:
        if record.service_type in active:
            return active[record.service_type]
    return next(iter(active.values()), None)


def _center(db: Database, center_id: int):
    try:
        row = get_center(db, actor=SYSTEM, center_id=center_id)
    except CenterNotFound:
        raise CodeNotValid() from None
    if not row.active:
        raise CenterClosed()
    return row


def _open_check_in(s: Session, volunteer_id: int):
    return s.execute(select(CI).where(CI.c.volunteer_id == volunteer_id, CI.c.closed_at.is_(None))).first()


def _recent_check_out(s: Session, volunteer_id: int, center_id: int, now: datetime):
    return s.execute(select(CI).where(CI.c.volunteer_id == volunteer_id, CI.c.center_id == center_id,
                                      CI.c.closing.in_(("checked_out", "overlap")),
                                      CI.c.closed_at > now - REPEAT_WINDOW)
                     .order_by(CI.c.closed_at.desc()).limit(1)).first()


def _check_in(s: Session, check_in_id: int):
    return s.execute(select(CI).where(CI.c.id == check_in_id)).one()


def _own_check_in(s: Session, actor: Principal, check_in_id: int):
    if actor.volunteer_id is None:
        raise Forbidden()
    row = s.execute(select(CI).where(CI.c.id == check_in_id)).first()
    if row is None or row.volunteer_id != actor.volunteer_id:  # another's check-in is nobody's business
        raise CheckInNotFound(check_in_id=check_in_id)
    return row


def _close(s: Session, check_in_id: int, now: datetime, closing: str, record_id: int | None) -> None:
    s.execute(update(CI).where(CI.c.id == check_in_id, CI.c.closed_at.is_(None)).values(
        closed_at=now, closing=closing, record_id=record_id))


def _result(db: Database, s: Session, center, row, *, repeat: bool) -> ScanResult:
    record = records_by_id(s, [row.record_id])[0] if row.record_id else None
    if record is not None:
        type_id = None
    elif row.closed_at is None:
        type_id = _service_type_for(db, s, row, center)
    else:
        type_id = row.service_type_id
    type_row = service_type_rows(s, [type_id]).get(type_id)
    return ScanResult(status="checked_in" if row.closed_at is None else "checked_out", repeat=repeat,
                      center=center.code, center_name=center.name, checked_in_at=row.checked_in_at,
                      checked_out_at=row.closed_at, record=record, check_in_id=row.id,
                      service_type=record.service_type if record else (type_row.code if type_row else None),
                      service_type_chosen=row.service_type_id is not None)


def _local(moment: datetime):
    return LazyString(lambda: format_datetime(moment, "M-d HH:mm"))
