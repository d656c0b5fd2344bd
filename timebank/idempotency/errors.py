"""Why a request under an ``Idempotency-Key`` is refused before it runs."""
from __future__ import annotations

from timebank.errors import DomainError, ValidationFailed

HEADER = "Idempotency-Key"


class IdempotencyConflict(DomainError):
    """This Idempotency-Key was already used for a different request."""

    code = "idempotency_conflict"
    status = 409


class IdempotencyKeyMissing(ValidationFailed):
    """This request needs an Idempotency-Key header."""

    def __init__(self):
        super().__init__("This request needs an Idempotency-Key header.",
                         fields={HEADER: ["Send an Idempotency-Key header of 1 to 160 characters."]})


class IdempotencyKeyInvalid(ValidationFailed):
    """The Idempotency-Key header is not valid."""

    def __init__(self, reason: str):
        super().__init__("The Idempotency-Key header is not valid.", fields={HEADER: [reason]})
