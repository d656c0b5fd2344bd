"""Who may do what with service requests: declared once, read by the views (``@allow``) and the services
(``.require``). Staff act on their own center's requests; a volunteer claims for themselves only."""
from __future__ import annotations

from timebank.auth.access import ROLES, Permission

POST_REQUESTS = Permission("post_service_requests", roles=("admin", "staff"))
# Claim: a volunteer for themselves, staff and admins assign a volunteer.
CLAIM_REQUESTS = Permission("claim_service_requests", roles=("admin", "staff", "volunteer"))
# Complete (which logs the hours) and cancel: people of the center, never a volunteer alone.
CLOSE_REQUESTS = Permission("close_service_requests", roles=("admin", "staff"))
READ_REQUESTS = Permission("read_service_requests", roles=ROLES)
