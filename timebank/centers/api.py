"""``/api/v1`` for centers (SPEC §8). Each view: load, one service, dump."""
from __future__ import annotations

from timebank.api import bp, current_principal, load_body, load_query
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


@bp.post("/centers")
@allow(CREATE_CENTER)
def create_center():
    """Open a center.
    ---
    post:
      tags: [centers]
      summary: Open a center (and its issuance account)
      requestBody:
        required: true
        content:
          application/json:
            schema: CenterCreateSchema
      responses:
        201:
          description: the new center
          content:
            application/json:
              schema: CenterSchema
        409:
          description: a center with this code exists (already_exists)
    """
    data = load_body(CenterCreateSchema)
    return CenterSchema().dump(services.create_center(get_db(), actor=current_principal(), **data)), 201


@bp.get("/centers")
@allow(READ_CENTERS)
def list_centers():
    """The centers the caller works for.
    ---
    get:
      tags: [centers]
      summary: The centers the caller works for (all of them for an admin), by code
      parameters:
        - in: query
          schema: CenterListQuerySchema
      responses:
        200:
          description: one page of centers
          content:
            application/json:
              schema: CenterPageSchema
    """
    query = load_query(CenterListQuerySchema)
    return CenterPageSchema().dump(services.list_centers(get_db(), actor=current_principal(), **query))


@bp.get("/centers/<int:center_id>")
@allow(READ_CENTERS)
def get_center(center_id: int):
    """One center.
    ---
    get:
      tags: [centers]
      summary: One center (404 for a center the caller does not work for)
      responses:
        200:
          description: the center
          content:
            application/json:
              schema: CenterSchema
    """
    return CenterSchema().dump(services.get_center(get_db(), actor=current_principal(), center_id=center_id))


@bp.patch("/centers/<int:center_id>")
@allow(CHANGE_CENTER)
def update_center(center_id: int):
    """Rename, move or (de)activate a center.
    ---
    patch:
      tags: [centers]
      summary: Change a center's name or district, or deactivate it
      requestBody:
        required: true
        content:
          application/json:
            schema: CenterUpdateSchema
      responses:
        200:
          description: the center as it is now
          content:
            application/json:
              schema: CenterSchema
    """
    data = load_body(CenterUpdateSchema)
    return CenterSchema().dump(services.update_center(get_db(), actor=current_principal(), center_id=center_id,
                                                      **data))


