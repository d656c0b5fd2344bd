"""``/api/v1/centers`` (SPEC §8). Each view: load, one service, dump."""
from __future__ import annotations

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.centers import services
from timebank.centers.permissions import CHANGE_CENTER, CREATE_CENTER, READ_CENTERS
from timebank.centers.schemas import (
    CenterCreateSchema,
    CenterListQuerySchema,
    CenterPageSchema,
    CenterSchema,
    CenterUpdateSchema,
)
from timebank.db import get_db

blp = ApiBlueprint("centers", __name__, description="Elderly-care centers (养老服务中心)")


@blp.post("/centers")
@allow(CREATE_CENTER)
@blp.arguments(CenterCreateSchema)
@blp.response(201, CenterSchema, description="the new center")
@blp.refuses(409, "already_exists: a center with this code exists")
def create_center(data):
    """Open a center (and its issuance account)"""
    return services.create_center(get_db(), actor=current_principal(), **data)


@blp.get("/centers")
@allow(READ_CENTERS)
@blp.arguments(CenterListQuerySchema, location="query")
@blp.response(200, CenterPageSchema, description="one page of centers")
def list_centers(query):
    """The centers the caller works for (all of them for an admin), by code"""
    return services.list_centers(get_db(), actor=current_principal(), **query)


@blp.get("/centers/<int:center_id>")
@allow(READ_CENTERS)
@blp.response(200, CenterSchema, description="the center")
def get_center(center_id: int):
    """One center (404 for a center the caller does not work for)"""
    return services.get_center(get_db(), actor=current_principal(), center_id=center_id)


@blp.patch("/centers/<int:center_id>")
@allow(CHANGE_CENTER)
@blp.arguments(CenterUpdateSchema, required=False)
@blp.response(200, CenterSchema, description="the center as it is now")
def update_center(data, center_id: int):
    """Change a center's name or district, or deactivate it"""
    return services.update_center(get_db(), actor=current_principal(), center_id=center_id, **data)
