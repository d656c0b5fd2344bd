"""Who may read an account and a record book. Every role may ask; which volunteers they reach is the services'
object scope: a volunteer their own, staff their center's, supervisors their centers', admins all."""
from __future__ import annotations

from timebank.auth.access import ROLES, Permission

READ_RECORD_BOOK = Permission("read_record_book", roles=ROLES)
