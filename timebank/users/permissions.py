"""Who may do what with users: declared once, read by the views (``@allow``) and the services (``.require``)."""
from __future__ import annotations

from timebank.auth.access import ROLES, Permission

MANAGE_USERS = Permission("manage_users", roles=("admin",))  # create, list, change, deactivate, new password
# Center staff give their own volunteers a sign-in and reset it; an admin does it for anyone.
MANAGE_VOLUNTEER_LOGINS = Permission("manage_volunteer_logins", roles=("admin", "staff"))
READ_USER = Permission("read_user", roles=ROLES)  # everyone reads themselves; an admin reads anyone
