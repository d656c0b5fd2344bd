"""Who sees anomalies and who rates records (the rating itself is ``hours.permissions.REVIEW_RECORDS``)."""
from __future__ import annotations

from timebank.auth.access import Permission

# Admins see every center's, supervisors their centers', staff their own center's (``Principal.visible_center_ids``).
READ_ANOMALIES = Permission("read_anomalies", roles=("admin", "staff", "supervisor"))
