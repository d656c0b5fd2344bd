"""Who may do what with the catalog: declared once, read by the views (``@allow``) and the services
(``.require``). The admin keeps it; everyone signed in may read it (volunteers choose from it)."""
from __future__ import annotations

from timebank.auth.access import ROLES, Permission

MANAGE_CATALOG = Permission("manage_catalog", roles=("admin",))
READ_CATALOG = Permission("read_catalog", roles=ROLES)
