"""Who may have a service certificate issued: the volunteer for themselves, staff for their center's volunteers,
admins for anyone. Which volunteer is the volunteers' object scope (anyone else's is 404); supervisors review
records but do not certify a volunteer's service."""
from __future__ import annotations

from timebank.auth.access import Permission

ISSUE_CERTIFICATE = Permission("issue_certificate", roles=("admin", "staff", "volunteer"))
