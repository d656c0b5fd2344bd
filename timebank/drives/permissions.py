"""Who may do what in a drive: declared once, read by the views (``@allow``) and the services (``.require``).

The admin sets drives up; staff reserve for volunteers, redeem vouchers and serve walk-ups at their own center's
desk; a volunteer reserves and cancels their own. Everyone signed in may read a drive and its stock."""
from __future__ import annotations

from timebank.auth.access import ROLES, Permission

MANAGE_DRIVES = Permission("manage_drives", roles=("admin",))
READ_DRIVES = Permission("read_drives", roles=ROLES)
RESERVE = Permission("reserve", roles=("admin", "staff", "volunteer"))
CANCEL_RESERVATION = Permission("cancel_reservation", roles=("admin", "staff", "volunteer"))
READ_RESERVATIONS = Permission("read_reservations", roles=("admin", "staff", "volunteer"))
READ_PICK_LIST = Permission("read_pick_list", roles=("admin", "staff"))
REDEEM_VOUCHER = Permission("redeem_voucher", roles=("admin", "staff"))
WALK_UP = Permission("walk_up", roles=("admin", "staff"))
# The scheduled job runs as the system; an admin may run it by hand.
VOID_STALE_RESERVATIONS = Permission("void_stale_reservations", roles=("admin",))
