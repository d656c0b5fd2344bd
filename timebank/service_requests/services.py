"""Service requests' use cases: post, claim (or assign), complete into pending service records, cancel.

Every change to a request locks its row first (then, completing, the volunteers' rows through
``hours.services.insert_records``: always in that order, so two use cases never wait on each other crosswise). A claim
is also one guarded ``UPDATE … WHERE claimed_count < volunteers_needed``, and the table checks the same, so concurrent
claims never put more volunteers on a request than it needs, on either database.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from timebank.audit.services import record as audit
from timebank.auth.access import Principal
from timebank.centers.services import center_for_write
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import DomainError, FieldErrors, field_error
from timebank.hours import rules as hour_rules
from timebank.hours.services import NewRecord, insert_records
from timebank.service_requests import rules
from timebank.service_requests.models import RequestClaim, ServiceRequest
from timebank.service_requests.permissions import CLAIM_REQUESTS, CLOSE_REQUESTS, POST_REQUESTS
from timebank.service_requests.queries import RequestNotFound, RequestView, visible_request
from timebank.service_types.services import service_type_by_code, service_type_rows
from timebank.volunteers.services import lock_volunteers

SQ = ServiceRequest.__table__
CL = RequestClaim.__table__


class RequestFull(DomainError):
    code = "request_full"
    status = 409
    message = _l("Service request %(request_id)s already has all the volunteers it needs (%(needed)s).")


class RequestCancelled(DomainError):
    code = "request_cancelled"
    status = 409
    message = _l("Service request %(request_id)s was cancelled.")


class RequestCompleted(DomainError):
    code = "request_completed"
    status = 409
    message = _l("Service request %(request_id)s is already completed.")


class AlreadyClaimed(DomainError):
    code = "already_claimed"
    status = 409
    message = _l("Volunteer %(name)s has already claimed service request %(request_id)s.")


class OtherCentersRequest(DomainError):
    code = "other_center"
    status = 403
    message = _l("Service request %(request_id)s is for the volunteers of another center.")


class NobodyClaimed(DomainError):
    code = "no_volunteers"
    status = 409
    message = _l("Nobody has claimed service request %(request_id)s yet: assign a volunteer first.")


def post_request(db: Database, *, actor: Principal, center: str, service_type: str, resident: str,
                 starts_at: datetime, ends_at: datetime, place: str, note: str | None = None,
                 volunteers_needed: int = 1, now: datetime | None = None) -> RequestView:
    """Staff post a resident's need (点单) at their center: an open request."""
    POST_REQUESTS.require(actor)
    now = now or utcnow()
    problems = FieldErrors()
    resident = problems.check("resident", rules.normalize_resident, resident)
    place = problems.check("place", rules.normalize_place, place)
    if note is not None:
        note = problems.check("note", rules.normalize_note, note)
    volunteers_needed = problems.check("volunteers_needed", rules.check_needed, volunteers_needed)
    for name, message in rules.check_window(starts_at, ends_at).items():
        problems.add(name, message)
    problems.raise_if_any()

    def work(s: Session) -> RequestView:
        center_row = center_for_write(s, actor, center, field="center")
        type_row = service_type_by_code(s, service_type)
        if type_row is None:
            raise field_error("service_type", _l("There is no service type with code %(code)s.", code=service_type))
        if not type_row.active:
            raise field_error("service_type", _l("Service type %(name)s is deactivated.", name=type_row.name_zh))
        request_id = s.execute(insert(SQ).values(
            center_id=center_row.id, service_type_id=type_row.id, resident=resident, starts_at=starts_at,
            ends_at=ends_at, place=place, note=note or None, volunteers_needed=volunteers_needed, claimed_count=0,
            status="open", created_by=actor.user_id, created_at=now).returning(SQ.c.id)).scalar_one()
        # The resident is personal data: the audit log says that one was named, not who.
        audit(s, actor=actor, action="service_request.create", object_type="service_request", object_id=request_id,
              center_id=center_row.id, detail={"service_type": type_row.code, "starts_at": starts_at.isoformat(),
                                               "ends_at": ends_at.isoformat(), "volunteers_needed": volunteers_needed})
        return visible_request(s, actor, request_id)

    return db.transaction(work)


def claim_request(db: Database, *, actor: Principal, request_id: int, volunteer_id: int | None = None,
                  now: datetime | None = None) -> RequestView:
    """A volunteer claims a request of their home center for themselves (领办); staff assign ``volunteer_id``."""
    CLAIM_REQUESTS.require(actor)
    now = now or utcnow()
    assigning = actor.role != "volunteer"
    if assigning and volunteer_id is None:
        raise field_error("volunteer_id", _l("Choose the volunteer to assign."))
    if not assigning:
        if volunteer_id is not None and volunteer_id != actor.volunteer_id:
            raise field_error("volunteer_id", _l("A volunteer claims a request for themselves only."))
        volunteer_id = actor.volunteer_id
        if volunteer_id is None:
            raise RequestNotFound(request_id=request_id)

    def work(s: Session) -> RequestView:
        row = _locked_request(s, actor, request_id, volunteer_may_see=True)
        volunteer = lock_volunteers(s, [volunteer_id]).get(volunteer_id)
        if volunteer is None or volunteer.home_center_id != row.center_id:
            if not assigning:
                raise OtherCentersRequest(request_id=request_id)
            raise field_error("volunteer_id", _l("There is no volunteer number %(volunteer_id)s at this center.",
                                                 volunteer_id=volunteer_id))
        _refuse_closed(row)
        if s.execute(select(CL.c.volunteer_id).where(CL.c.request_id == request_id,
                                                     CL.c.volunteer_id == volunteer_id)).first() is not None:
            raise AlreadyClaimed(name=volunteer.name, request_id=request_id)
        if not volunteer.active:
            raise field_error("volunteer_id", _l("Volunteer %(name)s is deactivated.", name=volunteer.name))
        taken = s.execute(update(SQ).where(SQ.c.id == request_id, SQ.c.status.in_(rules.LIVE_STATUSES),
                                           SQ.c.claimed_count < SQ.c.volunteers_needed)
                          .values(claimed_count=SQ.c.claimed_count + 1, status="claimed")).rowcount
        if taken != 1:
            raise RequestFull(request_id=request_id, needed=row.volunteers_needed)
        s.execute(insert(CL).values(request_id=request_id, volunteer_id=volunteer_id, claimed_by=actor.user_id,
                                    claimed_at=now))
        audit(s, actor=actor, action="service_request.assign" if assigning else "service_request.claim",
              object_type="service_request", object_id=request_id, center_id=row.center_id,
              detail={"volunteer_id": volunteer_id})
        return visible_request(s, actor, request_id)

    return db.transaction(work)


def complete_request(db: Database, *, actor: Principal, request_id: int, started_at: datetime, ended_at: datetime,
                     volunteer_ids: list[int] | None = None, now: datetime | None = None) -> RequestView:
    """The service happened: one pending service record per volunteer who served (every claimant unless
    ``volunteer_ids`` names some of them), in the same unit of work as the request's new status; all or nothing."""
    CLOSE_REQUESTS.require(actor)
    now = now or utcnow()
    problems = FieldErrors()
    for name, message in hour_rules.check_period(started_at, ended_at, now=now).items():
        problems.add(name, message)
    if volunteer_ids is not None and len(set(volunteer_ids)) != len(volunteer_ids):
        problems.add("volunteer_ids", _l("A volunteer is listed twice."))
    problems.raise_if_any()

    def work(s: Session) -> RequestView:
        row = _locked_request(s, actor, request_id)
        _refuse_closed(row)
        claimants = [r.volunteer_id for r in s.execute(select(CL.c.volunteer_id).where(
            CL.c.request_id == request_id).order_by(CL.c.volunteer_id))]
        if not claimants:
            raise NobodyClaimed(request_id=request_id)
        served = claimants if not volunteer_ids else list(volunteer_ids)
        for volunteer_id in served:
            if volunteer_id not in claimants:
                raise field_error("volunteer_ids", _l("Volunteer number %(volunteer_id)s has not claimed this "
                                                      "request.", volunteer_id=volunteer_id))
        kind = service_type_rows(s, [row.service_type_id])[row.service_type_id]
        if not kind.active:
            raise field_error("service_type", _l("Service type %(name)s is deactivated.", name=kind.name_zh))
        records = [NewRecord(volunteer_id=v, center_id=row.center_id, service_type_id=row.service_type_id,
                             started_at=started_at, ended_at=ended_at, note=row.note, source="request",
                             request_id=request_id) for v in served]
        ids = insert_records(s, actor=actor, records=records, now=now, home_center_only=True, field="volunteer_ids")
        for record_id, record in zip(ids, records):
            s.execute(update(CL).where(CL.c.request_id == request_id, CL.c.volunteer_id == record.volunteer_id)
                      .values(record_id=record_id))
        s.execute(update(SQ).where(SQ.c.id == request_id).values(status="completed", closed_by=actor.user_id,
                                                                 closed_at=now))
        audit(s, actor=actor, action="service_request.complete", object_type="service_request",
              object_id=request_id, center_id=row.center_id,
              detail={"record_ids": ids, "started_at": started_at.isoformat(), "ended_at": ended_at.isoformat()})
        return visible_request(s, actor, request_id)

    return db.transaction(work)


def cancel_request(db: Database, *, actor: Principal, request_id: int, reason: str,
                   now: datetime | None = None) -> RequestView:
    """Staff call a request off, with the reason (the resident is ill, the family came …)."""
    CLOSE_REQUESTS.require(actor)
    now = now or utcnow()
    try:
        reason = rules.normalize_reason(reason)
    except ValueError as error:
        raise field_error("reason", error.args[0]) from None

    def work(s: Session) -> RequestView:
        row = _locked_request(s, actor, request_id)
        _refuse_closed(row)
        s.execute(update(SQ).where(SQ.c.id == request_id).values(status="cancelled", closed_by=actor.user_id,
                                                                 closed_at=now, cancel_reason=reason))
        audit(s, actor=actor, action="service_request.cancel", object_type="service_request", object_id=request_id,
              center_id=row.center_id, detail={"reason": reason})
        return visible_request(s, actor, request_id)

    return db.transaction(work)


def _locked_request(s: Session, actor: Principal, request_id: int, *, volunteer_may_see: bool = False):
    """The request's row, locked until the unit of work ends. Another center's request is "not found" for staff; a
    volunteer's center is checked by the caller (claiming says so clearly)."""
    row = s.execute(select(SQ).where(SQ.c.id == request_id).with_for_update()).first()
    if row is None:
        raise RequestNotFound(request_id=request_id)
    if actor.role == "volunteer":
        if not volunteer_may_see:
            raise RequestNotFound(request_id=request_id)
    elif not actor.can_see_center(row.center_id):
        raise RequestNotFound(request_id=request_id)
    return row


def _refuse_closed(row) -> None:
    if row.status == "cancelled":
        raise RequestCancelled(request_id=row.id)
    if row.status == "completed":
        raise RequestCompleted(request_id=row.id)
