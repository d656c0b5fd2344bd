"""Why the ledger refuses a request. Each carries a stable code (SPEC §8)."""
from __future__ import annotations

from timebank.errors import DomainError, NotFound


class LedgerRefusal(DomainError):
    """The ledger refused the request."""

    code = "ledger_refused"
    replayed = False  # True when raised again from a stored refusal under the same key
    idempotency_key: str | None = None  # set by the posting that refused, for postings.record_refusal
    fingerprint: str | None = None


class InsufficientCredits(LedgerRefusal):
    """Not enough available credits."""

    code = "insufficient_credits"


class IdempotencyConflict(DomainError):
    """This Idempotency-Key was already used for a different request."""

    code = "idempotency_conflict"


class HoldNotPending(LedgerRefusal):
    """The hold has already been posted, voided or timed out."""

    code = "hold_already_resolved"


class HoldExpired(LedgerRefusal):
    """The hold has timed out and can no longer be posted."""

    code = "hold_expired"


class AlreadyReversed(LedgerRefusal):
    """This transfer has already been reversed."""

    code = "already_reversed"


class NotReversible(LedgerRefusal):
    """Only mints and posted spends can be reversed."""

    code = "not_reversible"


class TransferNotFound(NotFound):
    """No such transfer."""


class AccountNotFound(NotFound):
    """No such account."""


REFUSALS = {cls.code: cls for cls in (InsufficientCredits, HoldNotPending, HoldExpired, AlreadyReversed, NotReversible)}
