"""What the reservation use cases share, in the caller's unit of work: the drive and pickup center they act on, the
reservation's row (locked) and its quantities, where its credits go and why.

Lock order, the same in every use case (so two never wait on each other crosswise): the volunteer's row (reserve)
or the reservation's row (cancel, redeem, void), then the stock rows (center, item), then the ledger (the hold's
transfer row, then the accounts in id order), then the voucher's receipt row.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from timebank.auth.access import Principal
from timebank.centers.services import center_for_write
from timebank.drives.errors import DriveNotFound, ReservationNotFound
from timebank.drives.models import Drive, DriveCenter, Reservation, ReservationLine
from timebank.errors import field_error
from timebank.ledger.accounts import redemption_sink_for
from timebank.ledger.postings import Cause

D = Drive.__table__
DC = DriveCenter.__table__
R = Reservation.__table__
RL = ReservationLine.__table__

_DRIVE = select(D).where(D.c.id == bindparam("drive_id"))
_TAKES_PART = select(DC.c.center_id).where(DC.c.drive_id == bindparam("drive_id"),
                                           DC.c.center_id == bindparam("center_id"))
_LOCK_RESERVATION = select(R).where(R.c.id == bindparam("reservation_id")).with_for_update()
_QUANTITIES = select(RL.c.item_id, RL.c.quantity).where(RL.c.reservation_id == bindparam("reservation_id"))


def redemption_account(s: Session, center_id: int) -> int:
    """The account a reservation's credits go to: the pickup center's own redemption sink, so a drive day does not
    queue every reservation of the city on one row (the hot rows left are the stock of an item at a center and the
    volunteer's own account)."""
    return redemption_sink_for(s, center_id)


def cause(actor: Principal, reservation_id: int) -> Cause:
    """Who moved a reservation's credits, and that it was for this reservation (SPEC §4.10)."""
    who = f"user:{actor.user_id}" if actor.user_id else f"{'job' if actor.role == 'system' else actor.role}:" \
                                                        f"{actor.username}"
    return Cause(who, "reservation", str(reservation_id))


def drive_row(s: Session, drive_id: int):
    row = s.execute(_DRIVE, {"drive_id": drive_id}).first()
    if row is None:
        raise DriveNotFound(drive_id=drive_id)
    return row


def pickup_center(s: Session, actor: Principal, drive_id: int, code: str):
    """The active center ``code`` names, taking part in the drive; staff serve their own center's desk only."""
    center = center_for_write(s, Principal.system("drives"), code, field="center")
    if actor.role == "staff" and center.id != actor.center_id:
        raise field_error("center", _l("Staff serve the pickup desk of their own center only."))
    if s.execute(_TAKES_PART, {"drive_id": drive_id, "center_id": center.id}).first() is None:
        raise field_error("center", _l("Center %(code)s does not take part in this drive.", code=center.code))
    return center


def may_see(actor: Principal, row) -> bool:
    """A volunteer sees their own reservations; staff the ones picked up at their center; the admin all."""
    if actor.role == "volunteer":
        return actor.volunteer_id is not None and row.volunteer_id == actor.volunteer_id
    if actor.role == "supervisor":
        return False
    return actor.can_see_center(row.center_id)


def lock_reservation(s: Session, reservation_id: int, actor: Principal | None = None):
    """The reservation's row, locked until the unit of work ends; not found when ``actor`` may not see it."""
    row = s.execute(_LOCK_RESERVATION, {"reservation_id": reservation_id}).first()
    if row is None or (actor is not None and not may_see(actor, row)):
        raise ReservationNotFound(reservation_id=reservation_id)
    return row


def quantities_of(s: Session, reservation_id: int) -> dict[int, int]:
    return dict(s.execute(_QUANTITIES, {"reservation_id": reservation_id}).all())
