"""Who may do what with centers: declared once, read by the views (``@allow``) and the services (``.require``)."""
from __future__ import annotations

from timebank.auth.access import Permission

CREATE_CENTER = Permission("create_center", roles=("admin",))
CHANGE_CENTER = Permission("change_center", roles=("admin",))
# Reading: each person sees the centers they work for (``Principal.visible_center_ids``).
READ_CENTERS = Permission("read_centers", roles=("admin", "staff", "supervisor"))
# The admin's pages that list and manage every center.
MANAGE_CENTERS = Permission("manage_centers", roles=("admin",))
