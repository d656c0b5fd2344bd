"""``/api/v1`` for service types (SPEC §8). Each view: load, one service, dump."""
from __future__ import annotations

from timebank.api import bp, current_principal, load_body, load_query
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.service_types import services
from timebank.service_types.permissions import MANAGE_SERVICE_TYPES, READ_SERVICE_TYPES
from timebank.service_types.schemas import (
    ServiceTypeCreateSchema,
    ServiceTypeListQuerySchema,
    ServiceTypeSchema,
    ServiceTypeUpdateSchema,
)


@bp.post("/service-types")
@allow(MANAGE_SERVICE_TYPES)
def create_service_type():
    """Add a service type.
    ---
    post:
      tags: [service-types]
      summary: Add a service type and its rate in credits per hour
      requestBody:
        required: true
        content:
          application/json:
            schema: ServiceTypeCreateSchema
      responses:
        201:
          description: the new service type
          content:
            application/json:
              schema: ServiceTypeSchema
        409:
          description: a service type with this code exists (already_exists)
    """
    data = load_body(ServiceTypeCreateSchema)
    return ServiceTypeSchema().dump(services.create_service_type(get_db(), actor=current_principal(), **data)), 201


@bp.get("/service-types")
@allow(READ_SERVICE_TYPES)
def list_service_types():
    """The service types.
    ---
    get:
      tags: [service-types]
      summary: Every service type, by code
      parameters:
        - in: query
          schema: ServiceTypeListQuerySchema
      responses:
        200:
          description: the service types
          content:
            application/json:
              schema:
                type: array
                items: ServiceTypeSchema
    """
    query = load_query(ServiceTypeListQuerySchema)
    types = services.list_service_types(get_db(), actor=current_principal(), **query)
    return ServiceTypeSchema(many=True).dump(types)


@bp.patch("/service-types/<int:service_type_id>")
@allow(MANAGE_SERVICE_TYPES)
def update_service_type(service_type_id: int):
    """Change or (de)activate a service type.
    ---
    patch:
      tags: [service-types]
      summary: Change a service type's names or rate (for records approved from now on), or deactivate it
      requestBody:
        required: true
        content:
          application/json:
            schema: ServiceTypeUpdateSchema
      responses:
        200:
          description: the service type as it is now
          content:
            application/json:
              schema: ServiceTypeSchema
    """
    data = load_body(ServiceTypeUpdateSchema)
    return ServiceTypeSchema().dump(services.update_service_type(get_db(), actor=current_principal(),
                                                                 service_type_id=service_type_id, **data))
