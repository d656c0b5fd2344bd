"""Who may do what with volunteers: declared once, read by the views (``@allow``) and the services (``.require``).

Staff act only in their own center; which volunteers a person sees is ``Principal.visible_center_ids``'s answer."""
from __future__ import annotations

from timebank.auth.access import ROLES, Permission

REGISTER_VOLUNTEER = Permission("register_volunteer", roles=("admin", "staff"))
CHANGE_VOLUNTEER = Permission("change_volunteer", roles=("admin", "staff"))
IMPORT_VOLUNTEERS = Permission("import_volunteers", roles=("admin", "staff"))
LIST_VOLUNTEERS = Permission("list_volunteers", roles=("admin", "staff", "supervisor"))
READ_VOLUNTEER = Permission("read_volunteer", roles=ROLES)  # a volunteer reads only their own profile
# The pages that list, register and edit volunteers.
MANAGE_VOLUNTEERS = Permission("manage_volunteers", roles=("admin", "staff"))
