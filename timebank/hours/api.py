"""``/api/v1/service-records`` (SPEC §8, §8.1). Each view: load, one service, dump. Approve and reverse move credits,
so they require an ``Idempotency-Key``; the others honour one when given."""
from __future__ import annotations

from flask import current_app

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.hours import queries, services
from timebank.hours.permissions import (
    CONFIRM_SERVICE,
    DECIDE_HOURS,
    LOG_HOURS,
    READ_RECORDS,
    REVERSE_HOURS,
    REVIEW_RECORDS,
)
from timebank.hours.schemas import (
    ActivityCreateSchema,
    BatchApproveSchema,
    RatingSchema,
    ReasonSchema,
    RecordCreateSchema,
    RecordListQuerySchema,
    RecordListSchema,
    RecordPageSchema,
    RecordSchema,
)
from timebank.idempotency.http import idempotent

blp = ApiBlueprint("service-records", __name__, description="Service records (服务记录): logged, approved into "
                                                            "credits with a receipt, reversed, rated")


def validity_days() -> int:
    return int(current_app.config["CREDIT_VALIDITY_DAYS"])


@blp.post("/service-records")
@allow(LOG_HOURS)
@idempotent(required=False)
@blp.arguments(RecordCreateSchema)
@blp.response(201, RecordSchema, description="the new pending record")
@blp.refuses(409, "overlap: the volunteer has another record at that time")
def create_service_record(data):
    """Log one volunteer's service (staff: at their own center)"""
    return services.log_record(get_db(), actor=current_principal(), **data)


@blp.post("/service-records/batch")
@allow(LOG_HOURS)
@idempotent(required=False)
@blp.arguments(ActivityCreateSchema)
@blp.response(201, RecordListSchema, description="a pending record for each volunteer")
@blp.refuses(409, "overlap: one of the volunteers has another record at that time (nothing is created)")
def create_activity_records(data):
    """Log one activity with many volunteers: all records or none"""
    return {"records": services.log_activity(get_db(), actor=current_principal(), **data)}


@blp.get("/service-records")
@allow(READ_RECORDS)
@blp.arguments(RecordListQuerySchema, location="query")
@blp.response(200, RecordPageSchema, description="one page of records, newest service first")
def list_service_records(query):
    """The records the caller may see (a volunteer: their own; staff: their center's)"""
    return queries.list_records(get_db(), actor=current_principal(), **query)


@blp.get("/service-records/<int:record_id>")
@allow(READ_RECORDS)
@blp.response(200, RecordSchema, description="the record")
def get_service_record(record_id: int):
    """One record, with its receipt once approved"""
    return queries.get_record(get_db(), actor=current_principal(), record_id=record_id)


@blp.post("/service-records/<int:record_id>/approve")
@allow(DECIDE_HOURS)
@idempotent(required=True)
@blp.response(200, RecordSchema, description="the approved record: its credits and receipt")
@blp.refuses(409, "not_pending, missing_check_out")
@blp.refuses(422, "validation_error: the Idempotency-Key header is missing or not 1-160 characters")
def approve_service_record(record_id: int):
    """Approve a pending record: mint its credits into a new lot and issue its receipt, in one transaction"""
    [record] = services.approve_records(get_db(), actor=current_principal(), record_ids=[record_id],
                                        validity_days=validity_days())
    return record


@blp.post("/service-records/approve")
@allow(DECIDE_HOURS)
@idempotent(required=True)
@blp.arguments(BatchApproveSchema)
@blp.response(200, RecordListSchema, description="the approved records")
@blp.refuses(409, "not_pending, missing_check_out: nothing is approved")
def approve_service_records(data):
    """Approve several pending records at once: all or none"""
    return {"records": services.approve_records(get_db(), actor=current_principal(),
                                                record_ids=data["record_ids"], validity_days=validity_days())}


@blp.post("/service-records/<int:record_id>/reject")
@allow(DECIDE_HOURS)
@idempotent(required=False)
@blp.arguments(ReasonSchema)
@blp.response(200, RecordSchema, description="the rejected record")
@blp.refuses(409, "not_pending")
def reject_service_record(data, record_id: int):
    """Reject a pending record, with the reason"""
    return services.reject_record(get_db(), actor=current_principal(), record_id=record_id, **data)


@blp.post("/service-records/<int:record_id>/reverse")
@allow(REVERSE_HOURS)
@idempotent(required=True)
@blp.arguments(ReasonSchema)
@blp.response(200, RecordSchema, description="the reversed record")
@blp.refuses(409, "already_reversed, not_approved, insufficient_credits (names what is missing)")
def reverse_service_record(data, record_id: int):
    """Reverse an approved record: its credits are taken back and its receipt verifies as reversed"""
    return services.reverse_record(get_db(), actor=current_principal(), record_id=record_id, **data)


@blp.post("/service-records/<int:record_id>/confirmation")
@allow(CONFIRM_SERVICE)
@idempotent(required=False)
@blp.arguments(RatingSchema)
@blp.response(200, RecordSchema, description="the record with the resident's rating")
def confirm_service_record(data, record_id: int):
    """The resident's confirmation and 1-5 rating (评判), once"""
    return services.confirm_record(get_db(), actor=current_principal(), record_id=record_id, **data)


@blp.post("/service-records/<int:record_id>/reviews")
@allow(REVIEW_RECORDS)
@idempotent(required=False)
@blp.arguments(RatingSchema)
@blp.response(201, RecordSchema, description="the record reviewed")
def review_service_record(data, record_id: int):
    """A supervisor's 1-5 rating of a record of a center they supervise, once"""
    return services.review_record(get_db(), actor=current_principal(), record_id=record_id, **data)
