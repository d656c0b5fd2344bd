"""``GET /api/v1/volunteers/{id}/notices`` (SPEC §8.1): load, one query, dump."""
from __future__ import annotations

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.notices import queries
from timebank.notices.permissions import READ_EXPIRY_NOTICES
from timebank.notices.schemas import NoticeListQuerySchema, NoticePageSchema

blp = ApiBlueprint("notices", __name__, description="Expiry notices: credits that expire soon, as told to volunteers")


@blp.get("/volunteers/<int:volunteer_id>/notices")
@allow(READ_EXPIRY_NOTICES)
@blp.arguments(NoticeListQuerySchema, location="query")
@blp.response(200, NoticePageSchema, description="one page of the volunteer's expiry notices, newest first")
def list_expiry_notices(query, volunteer_id: int):
    """A volunteer's expiry notices (a volunteer: their own; staff: their center's volunteers; others are 404)"""
    return queries.list_notices(get_db(), actor=current_principal(), volunteer_id=volunteer_id, **query)
