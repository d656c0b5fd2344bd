"""``/api/v1/service-requests`` (SPEC §8, §8.1): the 点单 → 领办 flow. Each view: load, one service, dump. Nothing
here moves credits, so an ``Idempotency-Key`` is honoured when given, never required."""
from __future__ import annotations

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.idempotency.http import idempotent
from timebank.service_requests import queries, services
from timebank.service_requests.permissions import CLAIM_REQUESTS, CLOSE_REQUESTS, POST_REQUESTS, READ_REQUESTS
from timebank.service_requests.schemas import (
    CancelSchema,
    ClaimSchema,
    CompleteSchema,
    RequestCreateSchema,
    RequestListQuerySchema,
    RequestPageSchema,
    RequestSchema,
)

blp = ApiBlueprint("service-requests", __name__, description="Service requests (点单 → 领办): posted for a resident, "
                                                             "claimed by volunteers, completed into service records")


@blp.post("/service-requests")
@allow(POST_REQUESTS)
@idempotent(required=False)
@blp.arguments(RequestCreateSchema)
@blp.response(201, RequestSchema, description="the new open request")
def create_service_request(data):
    """Post a resident's request at the staff member's center"""
    return services.post_request(get_db(), actor=current_principal(), **data)


@blp.get("/service-requests")
@allow(READ_REQUESTS)
@blp.arguments(RequestListQuerySchema, location="query")
@blp.response(200, RequestPageSchema, description="one page of requests, earliest first")
def list_service_requests(query):
    """The requests the caller may see (a volunteer: their center's open ones and the ones they claimed)"""
    return queries.list_requests(get_db(), actor=current_principal(), **query)


@blp.get("/service-requests/<int:request_id>")
@allow(READ_REQUESTS)
@blp.response(200, RequestSchema, description="the request")
def get_service_request(request_id: int):
    """One request, with its claimants and, once completed, its service records"""
    return queries.get_request(get_db(), actor=current_principal(), request_id=request_id)


@blp.post("/service-requests/<int:request_id>/claim")
@allow(CLAIM_REQUESTS)
@idempotent(required=False)
@blp.arguments(ClaimSchema)
@blp.response(200, RequestSchema, description="the claimed request and its volunteer_ids")
@blp.refuses(409, "request_full, request_cancelled, request_completed, already_claimed")
@blp.refuses(403, "other_center: a volunteer claims only their home center's requests")
def claim_service_request(data, request_id: int):
    """A volunteer claims for themselves ({}); staff assign {volunteer_id}"""
    return services.claim_request(get_db(), actor=current_principal(), request_id=request_id, **data)


@blp.post("/service-requests/<int:request_id>/complete")
@allow(CLOSE_REQUESTS)
@idempotent(required=False)
@blp.arguments(CompleteSchema)
@blp.response(200, RequestSchema, description="the completed request and its pending records")
@blp.refuses(409, "overlap (nothing is created), no_volunteers, request_cancelled, request_completed")
def complete_service_request(data, request_id: int):
    """Complete a request: a pending service record for each volunteer who served, all or nothing"""
    return services.complete_request(get_db(), actor=current_principal(), request_id=request_id, **data)


@blp.post("/service-requests/<int:request_id>/cancel")
@allow(CLOSE_REQUESTS)
@idempotent(required=False)
@blp.arguments(CancelSchema)
@blp.response(200, RequestSchema, description="the cancelled request")
@blp.refuses(409, "request_cancelled, request_completed")
def cancel_service_request(data, request_id: int):
    """Cancel a request, with the reason"""
    return services.cancel_request(get_db(), actor=current_principal(), request_id=request_id, **data)
