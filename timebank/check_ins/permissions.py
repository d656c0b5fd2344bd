"""Who may do what with check-ins: declared once, read by the views (``@allow``) and the services (``.require``)."""
from __future__ import annotations

from timebank.auth.access import Permission

# The poster's code: staff show their own center's on the tablet; an admin any center's.
SHOW_POSTER = Permission("show_check_in_poster", roles=("admin", "staff"))
# Scanning the poster checks the signed-in volunteer in or out: only a volunteer, for themselves.
SCAN_POSTER = Permission("scan_check_in_poster", roles=("volunteer",))
# Setting when a service ended that was never checked out (a flagged record).
SET_RECORD_END = Permission("set_record_end", roles=("admin", "staff"))
# Saying which service an open check-in is for: only a volunteer, for their own (the service checks whose).
CHOOSE_SERVICE_TYPE = Permission("choose_check_in_service_type", roles=("volunteer",))
