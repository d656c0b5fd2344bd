"""Pure ledger rules over plain values: credit arithmetic, FIFO allocation, request fingerprints.

No database, no Flask: unit-tested directly.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

HUNDREDTHS = 100
MAX_AMOUNT = 10**12 - 1  # 9999999999.99: the largest amount parse_credits accepts; sums stay inside BIGINT

_CREDITS = re.compile(r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$")


class AllocationShortfall(Exception):
    """The lots offered cannot cover the amount."""


def parse_credits(text: str) -> int:
    """``"1.50"`` → 150. Accepts at most two decimal places and no sign; anything else is a ValueError."""
    # fullmatch, not match: "$" would also accept a trailing newline ("1.50\n").
    if not isinstance(text, str) or not _CREDITS.fullmatch(text):
        raise ValueError(f"not a credit amount with at most two decimals: {text!r}")
    whole, _, frac = text.partition(".")
    return int(whole) * HUNDREDTHS + int((frac + "00")[:2])


def format_credits(amount: int) -> str:
    """150 → ``"1.50"``; −150 → ``"-1.50"`` (issuance accounts are negative)."""
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), HUNDREDTHS)
    return f"{sign}{whole}.{frac:02d}"


def credits_for_minutes(minutes: int, credits_per_hour: int) -> int:
    """Credits minted for ``minutes`` of a service worth ``credits_per_hour`` (hundredths), rounded down."""
    if minutes < 0 or credits_per_hour < 0:
        raise ValueError("minutes and rate must not be negative")
    return minutes * credits_per_hour // 60


@dataclass(frozen=True)
class LotView:
    id: int
    remaining: int
    expires_at: datetime


def allocate_fifo(lots: list[LotView], amount: int, *, first: int | None = None) -> list[tuple[int, int]]:
    """Take ``amount`` from ``lots``, oldest expiry first (ties by id); ``first`` names a lot to drain before all.

    Returns ``[(lot_id, taken), …]`` with every ``taken > 0`` and their sum equal to ``amount``.
    """
    if amount <= 0:
        raise ValueError("amount must be positive")
    ordered = sorted(lots, key=lambda lot: (lot.id != first, lot.expires_at, lot.id))
    taken: list[tuple[int, int]] = []
    left = amount
    for lot in ordered:
        if left == 0:
            break
        take = min(lot.remaining, left)
        if take > 0:
            taken.append((lot.id, take))
            left -= take
    if left:
        raise AllocationShortfall(f"lots are short by {left}")
    return taken


def fingerprint(operation: str, **params) -> str:
    """A stable digest of what a request asks for, to tell a replay from a different request under one key."""
    canonical = json.dumps({"op": operation, **params}, sort_keys=True, default=_jsonable, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _jsonable(value):
    if isinstance(value, datetime):
        # One instant, one spelling: the same moment written in +08:00 or in UTC is the same request.
        return value.astimezone(timezone.utc).isoformat()
    raise TypeError(f"cannot fingerprint {type(value).__name__}")
