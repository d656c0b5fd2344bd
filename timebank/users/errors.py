"""Why the users services refuse a request, beyond the shared errors."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from timebank.errors import DomainError, NotFound


class LastAdmin(DomainError):
    code = "last_admin"
    status = 409
    message = _l("The last active admin cannot be deactivated or given another role: nobody could manage the city any "
                 "more.")


class UserNotFound(NotFound):
    message = _l("There is no user number %(user_id)s, or it is not yours to see.")


class OwnAccount(DomainError):
    """You cannot deactivate your own account: ask another admin."""

    code = "own_account"
    status = 409


class NotAVolunteerLogin(DomainError):
    """Center staff manage only the sign-ins of their own center's volunteers."""

    message = _l("Center staff manage only the sign-ins of their own center's volunteers.")
    code = "forbidden"
    status = 403
