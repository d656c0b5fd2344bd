"""Who may do what with service records: declared once, read by the views (``@allow``) and the services
(``.require``). Staff act on their own center's records; a volunteer reads only their own."""
from __future__ import annotations

from timebank.auth.access import ROLES, Permission

LOG_HOURS = Permission("log_hours", roles=("admin", "staff"))
DECIDE_HOURS = Permission("decide_hours", roles=("admin", "staff"))  # approve or reject a pending record
# Importing a paper record book: pending records, decided afterwards like any other.
IMPORT_HOURS = Permission("import_hours", roles=("admin", "staff"))
REVERSE_HOURS = Permission("reverse_hours", roles=("admin", "staff"))
# The resident's confirmation and rating: staff record it, or the volunteer's phone is handed to the resident.
CONFIRM_SERVICE = Permission("confirm_service", roles=("admin", "staff", "volunteer"))
REVIEW_RECORDS = Permission("review_records", roles=("supervisor",))
READ_RECORDS = Permission("read_records", roles=ROLES)
