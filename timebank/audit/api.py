"""``GET /api/v1/audit``: the audit log, for admins."""
from __future__ import annotations

from timebank.api import bp, current_principal, load_query
from timebank.audit import services
from timebank.audit.schemas import AuditListQuerySchema, AuditPageSchema
from timebank.auth.access import allow
from timebank.db import get_db


@bp.get("/audit")
@allow("admin")
def list_audit_entries():
    """The audit log.
    ---
    get:
      tags: [audit]
      summary: Who did what to which object, newest first, filtered
      parameters:
        - in: query
          schema: AuditListQuerySchema
      responses:
        200:
          description: one page of audit entries
          content:
            application/json:
              schema: AuditPageSchema
    """
    query = load_query(AuditListQuerySchema)
    return AuditPageSchema().dump(services.list_entries(get_db(), actor=current_principal(), **query))
