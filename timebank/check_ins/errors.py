"""Why a scan of the poster is refused, in words the volunteer holding the phone understands."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from timebank.errors import DomainError, NotFound


class CodeNotValid(DomainError):
    code = "check_in_code_invalid"
    status = 422
    message = _l("This is not the check-in code of a time bank center. Please scan the QR code on the poster at the "
                 "center again.")


class CodeTooOld(DomainError):
    code = "check_in_code_expired"
    status = 422
    message = _l("This code is more than 2 minutes old, so it no longer works. Please scan the poster again: it "
                 "shows a new code every 30 seconds.")


class CheckedInElsewhere(DomainError):
    code = "checked_in_elsewhere"
    status = 409
    message = _l("You checked in at %(center)s at %(time)s. To check out, scan the poster at %(center)s.")


class CenterClosed(DomainError):
    code = "center_closed"
    status = 409
    message = _l("This center is closed in the time bank, so you cannot check in here. Please ask the staff.")


class VolunteerInactive(DomainError):
    code = "volunteer_inactive"
    status = 409
    message = _l("Your volunteer account is paused, so you cannot check in. Please ask the staff.")


class NoServiceType(DomainError):
    code = "no_service_type"
    status = 409
    message = _l("The time bank has no kind of service set up yet, so your time cannot be recorded. Please ask the "
                 "staff.")


class CheckInNotFound(NotFound):
    message = _l("There is no check-in number %(check_in_id)s of yours.")


class CheckInClosed(DomainError):
    code = "check_in_closed"
    status = 409
    message = _l("This check-in is already over, so the service can no longer be changed here. If it is wrong, "
                 "please tell the staff.")
