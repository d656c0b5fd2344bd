"""Who may read the reports: admins (every center) and staff (their own center only, ``queries.report_scope``)."""
from __future__ import annotations

from timebank.auth.access import Permission

READ_REPORTS = Permission("read_reports", roles=("admin", "staff"))
