"""Why a drive, a reservation or a voucher is refused. Each carries a stable code (SPEC §8) and one sentence."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from timebank.errors import DomainError, NotFound


class DriveNotFound(NotFound):
    message = _l("There is no drive number %(drive_id)s.")


class ReservationNotFound(NotFound):
    message = _l("There is no reservation number %(reservation_id)s.")


class DriveClosed(DomainError):
    code = "drive_closed"
    status = 409
    message = _l("Drive %(drive)s takes reservations from %(opens)s until %(closes)s.")


class PickupOver(DomainError):
    code = "drive_closed"
    status = 409
    message = _l("Drive %(drive)s hands goods over from %(opens)s until %(until)s.")


class OutOfStock(DomainError):
    code = "out_of_stock"
    status = 409
    message = _l("Not enough %(item)s at %(center)s: %(left)s left, %(wanted)s asked for.")


class LimitExceeded(DomainError):
    code = "limit_exceeded"
    status = 409
    message = _l("Each volunteer may have at most %(limit)s of %(item)s in this drive; this volunteer already has "
                 "%(already)s, and asked for %(wanted)s more.")


class InsufficientCredits(DomainError):
    code = "insufficient_credits"
    status = 409
    message = _l("This reservation costs %(total)s credits; the volunteer has %(available)s credits available.")


class WrongCenter(DomainError):
    code = "wrong_center"
    status = 409
    message = _l("This voucher is for pickup at %(center)s (%(code)s), not here.")


class VoucherExpired(DomainError):
    code = "voucher_expired"
    status = 409
    message = _l("This voucher expired at %(at)s: its goods were not picked up in time.")


class VoucherNotValid(DomainError):
    code = "voucher_not_valid"
    status = 409
    message = _l("This is not a valid voucher: %(reason)s")


class NotHeld(DomainError):
    code = "reservation_not_held"
    status = 409
    message = _l("Reservation %(reservation_id)s can no longer be cancelled (it is %(status)s).")


class DriveStarted(DomainError):
    code = "drive_started"
    status = 409
    message = _l("Drive %(drive)s has opened: its times can no longer change.")


class StockBelowReserved(DomainError):
    code = "stock_below_reserved"
    status = 409
    message = _l("The stock of %(item)s at %(center)s cannot be less than the %(taken)s already reserved or "
                 "handed over.")
