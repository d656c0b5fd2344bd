"""Who may read a volunteer's expiry notices. Every role may ask; which volunteers they reach is the volunteers'
object scope (as for the record book): a volunteer their own, staff their center's, supervisors their centers',
admins all; anyone else's are 404. Sending notices and the outbox are the system's (the scheduler, a channel)."""
from __future__ import annotations

from timebank.auth.access import ROLES, Permission

READ_EXPIRY_NOTICES = Permission("read_expiry_notices", roles=ROLES)
