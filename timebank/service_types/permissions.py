"""Who may do what with service types: declared once, read by the views (``@allow``) and the services
(``.require``)."""
from __future__ import annotations

from timebank.auth.access import ROLES, Permission

MANAGE_SERVICE_TYPES = Permission("manage_service_types", roles=("admin",))
READ_SERVICE_TYPES = Permission("read_service_types", roles=ROLES)  # they name what people do
