"""Why the users services refuse a request, beyond the shared errors."""
from __future__ import annotations

from timebank.errors import DomainError


class LastAdmin(DomainError):
    """The last active admin cannot be deactivated or demoted: nobody could manage the city any more."""

    code = "last_admin"
    status = 409


class OwnAccount(DomainError):
    """You cannot deactivate your own account: ask another admin."""

    code = "own_account"
    status = 409


class NotAVolunteerLogin(DomainError):
    """Center staff manage only the sign-ins of their own center's volunteers."""

    code = "forbidden"
    status = 403
