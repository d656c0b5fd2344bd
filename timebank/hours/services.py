"""Service records' use cases: log (one volunteer, or one activity with many), approve into credits with a receipt,
reject, reverse, and what residents and supervisors say about a record.

Every write locks the volunteers' rows first (``volunteers.services.lock_volunteers``), so "no two records of one
volunteer overlap" holds under concurrency on both databases: two staff entering overlapping records at once queue
on the row, and the second sees the first's record and is refused (``overlap``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from timebank.audit.services import record as audit
from timebank.auth.access import Principal
from timebank.centers.models import Center
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import DomainError, FieldErrors, field_error
from timebank.hours import rules
from timebank.hours.models import RecordConfirmation, RecordReview, ServiceRecord
from timebank.hours.permissions import CONFIRM_SERVICE, DECIDE_HOURS, LOG_HOURS, REVERSE_HOURS, REVIEW_RECORDS
from timebank.hours.queries import RecordNotFound, RecordView, may_see, records_by_id, visible_record
from timebank.ledger import errors as ledger_errors
from timebank.ledger import postings
from timebank.ledger.accounts import balance_of
from timebank.ledger.rules import format_credits
from timebank.receipts.codec import Kind
from timebank.receipts.services import issue_receipt, revoke_receipt
from timebank.service_types.services import service_type_by_code, service_type_rows
from timebank.volunteers.services import lock_volunteers

SR = ServiceRecord.__table__
RC = RecordConfirmation.__table__
RV = RecordReview.__table__
C = Center.__table__


class Overlap(DomainError):
    code = "overlap"
    status = 409
    message = _l("Volunteer %(volunteer)s already has a service record from %(start)s to %(end)s that overlaps "
                 "this one.")


class NotPending(DomainError):
    code = "not_pending"
    status = 409
    message = _l("Service record %(record_id)s is not waiting for a decision (it is %(status)s).")


class NotApproved(DomainError):
    code = "not_approved"
    status = 409
    message = _l("Only an approved service record can be reversed; record %(record_id)s is %(status)s.")


class AlreadyReversed(DomainError):
    code = "already_reversed"
    status = 409
    message = _l("Service record %(record_id)s was already reversed.")


class CheckOutMissing(DomainError):
    code = "missing_check_out"
    status = 409
    message = _l("Service record %(record_id)s has no check-out: set when the service ended before approving it.")


class ReversalShortfall(DomainError):
    code = "insufficient_credits"
    status = 409
    message = _l("The volunteer has already spent or reserved some of these credits: %(missing)s credits are "
                 "missing to reverse %(credits)s. Decide with the volunteer how to settle it.")


@dataclass(frozen=True)
class NewRecord:
    volunteer_id: int
    center_id: int
    service_type_id: int
    started_at: datetime
    ended_at: datetime
    note: str | None = None
    source: str = "staff"
    activity_id: int | None = None
    request_id: int | None = None
    import_key: str | None = None
    missing_check_out: bool = False


def log_record(db: Database, *, actor: Principal, volunteer_id: int, center: str, service_type: str,
               started_at: datetime, ended_at: datetime, note: str | None = None,
               now: datetime | None = None) -> RecordView:
    """Staff enter one volunteer's service: a pending record."""
    [created] = log_activity(db, actor=actor, center=center, service_type=service_type, started_at=started_at,
                             ended_at=ended_at, volunteer_ids=[volunteer_id], note=note, now=now, single=True)
    return created


def log_activity(db: Database, *, actor: Principal, center: str, service_type: str, started_at: datetime,
                 ended_at: datetime, volunteer_ids: list[int], note: str | None = None, now: datetime | None = None,
                 single: bool = False) -> list[RecordView]:
    """One activity with many volunteers (a class with five volunteer teachers): a pending record for each, all or
    none."""
    LOG_HOURS.require(actor)
    now = now or utcnow()
    problems = FieldErrors()
    if note is not None:
        note = problems.check("note", rules.normalize_note, note)
    for name, message in rules.check_period(started_at, ended_at, now=now).items():
        problems.add(name, message)
    if not volunteer_ids:
        problems.add("volunteer_ids", _l("Choose at least one volunteer."))
    elif len(set(volunteer_ids)) != len(volunteer_ids):
        problems.add("volunteer_ids", _l("A volunteer is listed twice."))
    problems.raise_if_any()

    def work(s: Session) -> list[RecordView]:
        center_row = _center_for_actor(s, actor, center)
        type_row = _active_service_type(s, service_type)
        records = [NewRecord(volunteer_id=v, center_id=center_row.id, service_type_id=type_row.id,
                             started_at=started_at, ended_at=ended_at, note=note,
                             source="staff" if single else "activity") for v in volunteer_ids]
        ids = insert_records(s, actor=actor, records=records, now=now, home_center_only=True,
                             field="volunteer_id" if single else "volunteer_ids")
        return records_by_id(s, ids)

    return db.transaction(work)


def insert_records(s: Session, *, actor: Principal, records: list[NewRecord], now: datetime,
                   home_center_only: bool = True, field: str = "volunteer_id") -> list[int]:
    """Check and insert pending records in the caller's unit of work (staff entry, check-out, import, a completed
    request): the volunteers exist, are active (and, for staff entry, are the center's own), and no record overlaps
    another of the same volunteer, here or at any center. Returns the new ids; raises on the first problem."""
    volunteers = lock_volunteers(s, [r.volunteer_id for r in records])
    for record in records:
        volunteer = volunteers.get(record.volunteer_id)
        if volunteer is None or (home_center_only and not may_see_volunteer(actor, volunteer)):
            raise field_error(field, _l("There is no volunteer number %(volunteer_id)s.",
                                        volunteer_id=record.volunteer_id))
        if not volunteer.active:
            raise field_error(field, _l("Volunteer %(name)s is deactivated.", name=volunteer.name))
    _refuse_overlaps(s, records, volunteers)
    ids = []
    for record in records:
        values = dict(center_id=record.center_id, volunteer_id=record.volunteer_id,
                      service_type_id=record.service_type_id, started_at=record.started_at,
                      ended_at=record.ended_at, minutes=max(1, rules.minutes_between(record.started_at,
                                                                                     record.ended_at)),
                      note=record.note, status="pending", source=record.source,
                      missing_check_out=record.missing_check_out, activity_id=record.activity_id,
                      request_id=record.request_id, import_key=record.import_key, entered_by=actor.user_id,
                      entered_at=now)
        ids.append(s.execute(insert(SR).values(values).returning(SR.c.id)).scalar_one())
    if len(ids) > 1 and records[0].source == "activity":
        s.execute(update(SR).where(SR.c.id.in_(ids)).values(activity_id=ids[0]))
    for record_id, record in zip(ids, records):
        audit(s, actor=actor, action="service_record.create", object_type="service_record", object_id=record_id,
              center_id=record.center_id, detail={"volunteer_id": record.volunteer_id, "source": record.source,
                                                  "started_at": record.started_at.isoformat(),
                                                  "ended_at": record.ended_at.isoformat()})
    return ids


def may_see_volunteer(actor: Principal, volunteer) -> bool:
    return actor.role == "system" or actor.can_see_center(volunteer.home_center_id)


def approve_records(db: Database, *, actor: Principal, record_ids: list[int], validity_days: int,
                    now: datetime | None = None) -> list[RecordView]:
    """Approve pending records (one, or a batch), in ONE transaction: each record's status, the mint of its credits
    (minutes × the service type's rate ÷ 60, rounded down to 0.01) into a new lot expiring after ``validity_days``,
    and its receipt. Approving an approved record again changes nothing and answers it as it is."""
    DECIDE_HOURS.require(actor)
    now = now or utcnow()
    if not record_ids:
        raise field_error("record_ids", _l("Choose at least one service record."))

    def work(s: Session) -> list[RecordView]:
        ids = sorted(set(record_ids))
        # What every record needs, read once for the batch: the records (locked, in id order), their rates, their
        # volunteers (locked after the records, as a single approval does) and their centers' issuance accounts.
        rows = _locked_records(s, actor, ids)
        rates = service_type_rows(s, {row.service_type_id for row in rows.values()})
        volunteers = lock_volunteers(s, [row.volunteer_id for row in rows.values() if row.status == "pending"])
        issuers = dict(s.execute(select(C.c.id, C.c.issuance_account_id)
                                 .where(C.c.id.in_({row.center_id for row in rows.values()}))).all())
        for record_id in ids:
            row = rows[record_id]
            _approve_one(s, db, actor, row, rate=rates[row.service_type_id].credits_per_hour,
                         volunteer=volunteers.get(row.volunteer_id), issuer=issuers[row.center_id], now=now,
                         validity=timedelta(days=validity_days))
        return records_by_id(s, record_ids)

    return db.transaction(work)


def _approve_one(s: Session, db: Database, actor: Principal, row, *, rate: int, volunteer, issuer: int,
                 now: datetime, validity: timedelta) -> None:
    record_id = row.id
    if row.status == "approved":
        return
    if row.status != "pending":
        raise NotPending(record_id=record_id, status=row.status)
    if row.missing_check_out:
        raise CheckOutMissing(record_id=record_id)
    amount = rules.credits_for(row.minutes, rate)
    expires_at = now + validity
    transfer_id = None
    if amount > 0:
        minted = postings.mint(s, account_id=volunteer.account_id, issuer_account_id=issuer, amount=amount,
                               expires_at=expires_at, key=f"service_record:{record_id}:mint",
                               cause=_cause(actor, record_id), now=now)
        transfer_id = minted.id
    issue_receipt(db, kind=Kind.SERVICE_RECORD, center_id=row.center_id, volunteer_id=row.volunteer_id,
                  amount=amount, reference=record_id, expires_at=expires_at, now=now)
    s.execute(update(SR).where(SR.c.id == record_id, SR.c.status == "pending").values(
        status="approved", decided_by=actor.user_id, decided_at=now, credits=amount, mint_transfer_id=transfer_id))
    audit(s, actor=actor, action="service_record.approve", object_type="service_record", object_id=record_id,
          center_id=row.center_id, detail={"credits": format_credits(amount), "rate": format_credits(rate)})


def reject_record(db: Database, *, actor: Principal, record_id: int, reason: str,
                  now: datetime | None = None) -> RecordView:
    DECIDE_HOURS.require(actor)
    now = now or utcnow()
    reason = _reason(reason)

    def work(s: Session) -> RecordView:
        row = _locked_record(s, actor, record_id)
        if row.status != "pending":
            raise NotPending(record_id=record_id, status=row.status)
        s.execute(update(SR).where(SR.c.id == record_id).values(status="rejected", decided_by=actor.user_id,
                                                                 decided_at=now, reject_reason=reason))
        audit(s, actor=actor, action="service_record.reject", object_type="service_record", object_id=record_id,
              center_id=row.center_id, detail={"reason": reason})
        return visible_record(s, actor, record_id)

    return db.transaction(work)


def set_record_end(db: Database, *, actor: Principal, record_id: int, ended_at: datetime,
                   now: datetime | None = None) -> RecordView:
    """Staff set when the service of a record flagged ``missing_check_out`` really ended (the volunteer forgot to
    scan out): the same rules as any record (end after start, at most 12 h, not in the future, no overlap), and the
    flag is cleared, so it can be approved."""
    DECIDE_HOURS.require(actor)
    now = now or utcnow()

    def work(s: Session) -> RecordView:
        row = _locked_record(s, actor, record_id)
        if row.status != "pending":
            raise NotPending(record_id=record_id, status=row.status)
        if not row.missing_check_out:
            raise field_error("ended_at", _l("This service record has its end already; only a record without a "
                                             "check-out needs one."))
        problems = FieldErrors()
        for name, message in rules.check_period(row.started_at, ended_at, now=now).items():
            problems.add("ended_at", message)
        problems.raise_if_any()
        volunteers = lock_volunteers(s, [row.volunteer_id])
        _refuse_overlaps(s, [NewRecord(volunteer_id=row.volunteer_id, center_id=row.center_id,
                                       service_type_id=row.service_type_id, started_at=row.started_at,
                                       ended_at=ended_at)], volunteers, except_id=record_id)
        s.execute(update(SR).where(SR.c.id == record_id).values(
            ended_at=ended_at, minutes=max(1, rules.minutes_between(row.started_at, ended_at)),
            missing_check_out=False))
        audit(s, actor=actor, action="service_record.set_end", object_type="service_record", object_id=record_id,
              center_id=row.center_id, detail={"ended_at": ended_at.isoformat(),
                                               "was": row.ended_at.isoformat()})
        return visible_record(s, actor, record_id)

    return db.transaction(work)


def reject_records(db: Database, *, actor: Principal, record_ids: list[int], reason: str,
                   now: datetime | None = None) -> list[RecordView]:
    """Reject several pending records (ticked on the pending list) for one reason: all or none."""
    if not record_ids:
        raise field_error("record_ids", _l("Choose at least one service record."))
    return db.transaction(lambda s: [reject_record(db, actor=actor, record_id=record_id, reason=reason, now=now)
                                     for record_id in sorted(set(record_ids))])


def reverse_record(db: Database, *, actor: Principal, record_id: int, reason: str,
                   now: datetime | None = None) -> RecordView:
    """Take an approved record's credits back (its lot's unspent part first, then the oldest lots) and mark its
    receipt reversed, once. Refused, naming what is missing, when the volunteer has spent or reserved them."""
    REVERSE_HOURS.require(actor)
    now = now or utcnow()
    reason = _reason(reason)

    def work(s: Session) -> RecordView:
        row = _locked_record(s, actor, record_id)
        if row.status == "reversed":
            raise AlreadyReversed(record_id=record_id)
        if row.status != "approved":
            raise NotApproved(record_id=record_id, status=row.status)
        if row.mint_transfer_id is not None:
            volunteer = lock_volunteers(s, [row.volunteer_id])[row.volunteer_id]
            available = balance_of(s, volunteer.account_id).available
            if available < row.credits:
                raise ReversalShortfall(missing=format_credits(row.credits - available),
                                        credits=format_credits(row.credits))
            try:
                postings.reverse(s, transfer_id=row.mint_transfer_id, key=f"service_record:{record_id}:reverse",
                                 cause=_cause(actor, record_id), now=now)
            except ledger_errors.InsufficientCredits:
                available = balance_of(s, volunteer.account_id).available
                raise ReversalShortfall(missing=format_credits(max(0, row.credits - available)),
                                        credits=format_credits(row.credits)) from None
        revoke_receipt(db, kind=Kind.SERVICE_RECORD, reference=record_id, status="reversed", at=now)
        s.execute(update(SR).where(SR.c.id == record_id).values(status="reversed", reversed_by=actor.user_id,
                                                                 reversed_at=now, reverse_reason=reason))
        audit(s, actor=actor, action="service_record.reverse", object_type="service_record", object_id=record_id,
              center_id=row.center_id, detail={"reason": reason, "credits": format_credits(row.credits or 0)})
        return visible_record(s, actor, record_id)

    return db.transaction(work)


def confirm_record(db: Database, *, actor: Principal, record_id: int, rating: int, comment: str | None = None,
                   now: datetime | None = None) -> RecordView:
    """The resident's confirmation and 1–5 rating (评判), recorded by staff or on the volunteer's own phone; once."""
    CONFIRM_SERVICE.require(actor)
    now = now or utcnow()
    rating, comment = _checked_rating(rating, comment)

    def work(s: Session) -> RecordView:
        row = visible_record(s, actor, record_id)
        if row.status in ("rejected", "reversed"):
            raise NotPending(record_id=record_id, status=row.status)
        if s.execute(select(RC.c.record_id).where(RC.c.record_id == record_id)).first() is not None:
            raise field_error("rating", _l("This service has already been rated by the resident."))
        s.execute(insert(RC).values(record_id=record_id, rating=rating, comment=comment or None,
                                    recorded_by=actor.user_id, recorded_at=now))
        audit(s, actor=actor, action="service_record.confirm", object_type="service_record", object_id=record_id,
              center_id=row.center_id, detail={"rating": rating})
        return visible_record(s, actor, record_id)

    return db.transaction(work)


def review_record(db: Database, *, actor: Principal, record_id: int, rating: int, comment: str | None = None,
                  now: datetime | None = None) -> RecordView:
    """A supervisor's rating of a record of a center they supervise; once per supervisor and record."""
    REVIEW_RECORDS.require(actor)
    now = now or utcnow()
    rating, comment = _checked_rating(rating, comment)

    def work(s: Session) -> RecordView:
        row = visible_record(s, actor, record_id)
        if s.execute(select(RV.c.id).where(RV.c.record_id == record_id, RV.c.reviewer_id == actor.user_id)
                     ).first() is not None:
            raise field_error("rating", _l("You have already rated this service record."))
        s.execute(insert(RV).values(record_id=record_id, reviewer_id=actor.user_id, rating=rating,
                                    comment=comment or None, created_at=now))
        audit(s, actor=actor, action="service_record.review", object_type="service_record", object_id=record_id,
              center_id=row.center_id, detail={"rating": rating})
        return row

    return db.transaction(work)


def _checked_rating(rating, comment: str | None) -> tuple[int, str | None]:
    """A 1–5 rating and its optional comment (the resident's and a supervisor's alike), every problem at once."""
    problems = FieldErrors()
    rating = problems.check("rating", rules.check_rating, rating)
    if comment:
        comment = problems.check("comment", rules.normalize_comment, comment)
    problems.raise_if_any()
    return rating, comment


def _refuse_overlaps(s: Session, records: list[NewRecord], volunteers: dict, except_id: int | None = None) -> None:
    for record in records:
        query = select(SR.c.started_at, SR.c.ended_at).where(
            SR.c.volunteer_id == record.volunteer_id, SR.c.status.in_(rules.OCCUPYING_STATUSES),
            SR.c.started_at < record.ended_at, SR.c.ended_at > record.started_at)
        if except_id is not None:  # a record changing its own end does not clash with itself
            query = query.where(SR.c.id != except_id)
        clash = s.execute(query.limit(1)).first()
        if clash is not None:
            raise Overlap(volunteer=volunteers[record.volunteer_id].name, start=_local(clash.started_at),
                          end=_local(clash.ended_at))


def _local(moment: datetime):
    return LazyString(lambda: format_datetime(moment, "yyyy-MM-dd HH:mm"))


def _locked_record(s: Session, actor: Principal, record_id: int):
    return _locked_records(s, actor, [record_id])[record_id]


def _locked_records(s: Session, actor: Principal, record_ids: list[int]) -> dict:
    """``{id: row}`` of the records, locked in id order; the first the actor may not see (or that is not there) is
    refused as not found."""
    rows = {row.id: row for row in s.execute(select(SR).where(SR.c.id.in_(record_ids))
                                             .order_by(SR.c.id).with_for_update()).all()}
    for record_id in sorted(record_ids):
        row = rows.get(record_id)
        if row is None or not may_see(actor, center_id=row.center_id, volunteer_id=row.volunteer_id) \
                or actor.role == "volunteer":
            raise RecordNotFound(record_id=record_id)
    return rows


def _center_for_actor(s: Session, actor: Principal, code: str):
    row = s.execute(select(C).where(C.c.code == (code or "").strip().upper())).first()
    if row is None or not actor.can_see_center(row.id):
        raise field_error("center", _l("There is no center with code %(code)s.", code=code))
    if not row.active:
        raise field_error("center", _l("Center %(code)s is deactivated.", code=row.code))
    return row


def _active_service_type(s: Session, code: str):
    row = service_type_by_code(s, code)
    if row is None:
        raise field_error("service_type", _l("There is no service type with code %(code)s.", code=code))
    if not row.active:
        raise field_error("service_type", _l("Service type %(name)s is deactivated.", name=row.name_zh))
    return row


def _reason(reason: str) -> str:
    try:
        return rules.normalize_reason(reason)
    except ValueError as error:
        raise field_error("reason", error.args[0]) from None


def _cause(actor: Principal, record_id: int) -> postings.Cause:
    return postings.Cause(f"user:{actor.user_id}" if actor.user_id else f"system:{actor.username}",
                          "service_record", str(record_id))
