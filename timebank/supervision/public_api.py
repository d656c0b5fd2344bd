"""``GET /api/v1/public/centers`` and ``/public/centers/{code}`` (SPEC §8.1): the published results, no sign-in.
Only what a period's close stored: counts and scores, no person."""
from __future__ import annotations

from timebank.api import ApiBlueprint
from timebank.auth.access import allow
from timebank.db import get_read_db
from timebank.supervision import queries
from timebank.supervision.schemas import PublicCenterListQuerySchema, PublicCenterPageSchema, PublicCenterSchema

blp = ApiBlueprint("public_results", __name__, description="Published supervision results (公示), no sign-in")


@blp.get("/public/centers")
@allow(public=True)
@blp.arguments(PublicCenterListQuerySchema, location="query")
@blp.response(200, PublicCenterPageSchema, description="one page of centers, by code, with their latest results")
def list_public_centers(query):
    """The city: each center's latest published figures"""
    return queries.public_centers(get_read_db(), **query)


@blp.get("/public/centers/<code>")
@allow(public=True)
@blp.response(200, PublicCenterSchema, description="the center's published results, newest period first")
def get_public_center(code: str):
    """One center's published results, period by period"""
    return queries.public_center(get_read_db(), code=code)
