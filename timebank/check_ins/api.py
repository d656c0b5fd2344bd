"""``/api/v1/centers/{code}/check-in-code``, ``/api/v1/check-ins`` (SPEC §8.1), choosing an open check-in's service
type, and setting the end of a record left without a check-out. Each view: load, one service, dump."""
from __future__ import annotations

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.check_ins import services
from timebank.check_ins.permissions import CHOOSE_SERVICE_TYPE, SCAN_POSTER, SET_RECORD_END, SHOW_POSTER
from timebank.check_ins.schemas import (
    PosterCodeSchema,
    RecordEndSchema,
    ScanResultSchema,
    ScanSchema,
    ServiceChoiceSchema,
)
from timebank.db import get_db
from timebank.hours.schemas import RecordSchema
from timebank.hours.services import set_record_end
from timebank.idempotency.http import idempotent
from timebank.receipts.links import current_prefix

blp = ApiBlueprint("check-ins", __name__, description="Check-in and check-out by the center's rotating QR poster")


@blp.get("/centers/<code>/check-in-code")
@allow(SHOW_POSTER)
@blp.response(200, PosterCodeSchema, description="the code the poster shows now (it changes every 30 seconds)")
@blp.refuses(409, "center_closed: the center is deactivated")
def get_check_in_code(code: str):
    """The center's current signed poster code (staff: their own center)"""
    return services.poster_code(get_db(), actor=current_principal(), center=code, prefix=current_prefix())


@blp.post("/check-ins")
@allow(SCAN_POSTER)
@idempotent(required=False)
@blp.arguments(ScanSchema)
@blp.response(200, ScanResultSchema, description="checked in, or checked out with a pending record")
@blp.refuses(409, "checked_in_elsewhere, center_closed, volunteer_inactive, no_service_type")
def scan_check_in_code(data):
    """The signed-in volunteer scanned a poster: the first scan checks in, the next at that center checks out"""
    return services.scan(get_db(), actor=current_principal(), **data)


@blp.post("/check-ins/<int:check_in_id>/service-type")
@allow(CHOOSE_SERVICE_TYPE)
@idempotent(required=False)
@blp.arguments(ServiceChoiceSchema)
@blp.response(200, ScanResultSchema, description="the check-in with the service type its check-out will record")
@blp.refuses(409, "check_in_closed: the check-in is already over")
def choose_check_in_service_type(data, check_in_id: int):
    """The volunteer says which service they are doing on their open check-in"""
    return services.choose_service_type(get_db(), actor=current_principal(), check_in_id=check_in_id, **data)


@blp.post("/service-records/<int:record_id>/end")
@allow(SET_RECORD_END)
@idempotent(required=False)
@blp.arguments(RecordEndSchema)
@blp.response(200, RecordSchema, description="the record with its end, no longer flagged missing_check_out")
@blp.refuses(409, "not_pending, overlap")
def set_service_record_end(data, record_id: int):
    """Set when the service of a record left without a check-out ended (then it can be approved)"""
    return set_record_end(get_db(), actor=current_principal(), record_id=record_id, **data)
