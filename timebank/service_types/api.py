"""``/api/v1/service-types`` (SPEC §8). Each view: load, one service, dump."""
from __future__ import annotations

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.service_types import services
from timebank.service_types.permissions import MANAGE_SERVICE_TYPES, READ_SERVICE_TYPES
from timebank.service_types.schemas import (
    ServiceTypeCreateSchema,
    ServiceTypeListQuerySchema,
    ServiceTypePageSchema,
    ServiceTypeSchema,
    ServiceTypeUpdateSchema,
)

blp = ApiBlueprint("service-types", __name__, description="What volunteers do, and the credits an hour of it earns")


@blp.post("/service-types")
@allow(MANAGE_SERVICE_TYPES)
@blp.arguments(ServiceTypeCreateSchema)
@blp.response(201, ServiceTypeSchema, description="the new service type")
@blp.refuses(409, "already_exists: a service type with this code exists")
def create_service_type(data):
    """Add a service type and its rate in credits per hour"""
    return services.create_service_type(get_db(), actor=current_principal(), **data)


@blp.get("/service-types")
@allow(READ_SERVICE_TYPES)
@blp.arguments(ServiceTypeListQuerySchema, location="query")
@blp.response(200, ServiceTypePageSchema, description="one page of service types")
def list_service_types(query):
    """The service types, by code"""
    return services.page_of_service_types(get_db(), actor=current_principal(), **query)


@blp.patch("/service-types/<int:service_type_id>")
@allow(MANAGE_SERVICE_TYPES)
@blp.arguments(ServiceTypeUpdateSchema, required=False)
@blp.response(200, ServiceTypeSchema, description="the service type as it is now")
def update_service_type(data, service_type_id: int):
    """Change a service type's names or rate (for records approved from now on), or deactivate it"""
    return services.update_service_type(get_db(), actor=current_principal(), service_type_id=service_type_id,
                                         **data)
