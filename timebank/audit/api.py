"""``GET /api/v1/audit``: the audit log, for admins."""
from __future__ import annotations

from timebank.api import ApiBlueprint, current_principal
from timebank.audit import services
from timebank.audit.schemas import AuditListQuerySchema, AuditPageSchema
from timebank.audit.permissions import READ_AUDIT_LOG
from timebank.auth.access import allow
from timebank.db import get_db

blp = ApiBlueprint("audit", __name__, description="Who did what to which object")


@blp.get("/audit")
@allow(READ_AUDIT_LOG)
@blp.arguments(AuditListQuerySchema, location="query")
@blp.response(200, AuditPageSchema, description="one page of audit entries")
def list_audit_entries(query):
    """Who did what to which object, newest first, filtered"""
    return services.list_entries(get_db(), actor=current_principal(), **query)
