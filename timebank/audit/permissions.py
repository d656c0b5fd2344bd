"""Who may read the audit log: declared once, used by its API view, its page and its service."""
from __future__ import annotations

from timebank.auth.access import Permission

# The log names people of every center: the city admin reads it.
READ_AUDIT_LOG = Permission("read_audit_log", roles=("admin",))
