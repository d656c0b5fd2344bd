"""Why a request under an ``Idempotency-Key`` is refused before it runs."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from timebank.errors import DomainError, ValidationFailed

HEADER = "Idempotency-Key"


class IdempotencyConflict(DomainError):
    """This Idempotency-Key was already used for a different request."""

    code = "idempotency_conflict"
    status = 409


class IdempotencyKeyMissing(ValidationFailed):
    """This request needs an Idempotency-Key header."""

    message = _l("This request needs an Idempotency-Key header.")

    def __init__(self):
        super().__init__(fields={HEADER: [_l("Send an Idempotency-Key header of 1 to 160 characters.")]})


class IdempotencyKeyInvalid(ValidationFailed):
    """The Idempotency-Key header is not valid."""

    message = _l("The Idempotency-Key header is not valid.")

    def __init__(self, reason):
        super().__init__(fields={HEADER: [reason]})
