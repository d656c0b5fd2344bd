"""Who may do what with review periods. Which centers each reaches is ``Principal.visible_center_ids()``: a
supervisor their assigned centers (``supervisor_center``), staff their own, admins all. The published results are
public (no permission: ``timebank.supervision.public``)."""
from __future__ import annotations

from timebank.auth.access import Permission

READ_REVIEWS = Permission("read_reviews", roles=("admin", "staff", "supervisor"))
EVALUATE_CENTERS = Permission("evaluate_centers", roles=("supervisor",))
# Staff explain their own center's anomalies; an admin may too (any center).
EXPLAIN_ANOMALIES = Permission("explain_anomalies", roles=("admin", "staff"))
# Closing freezes and publishes a period: the city's decision, so an admin's, not one supervisor's among several.
CLOSE_PERIODS = Permission("close_periods", roles=("admin",))
