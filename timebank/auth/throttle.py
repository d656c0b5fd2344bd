"""The sign-in throttle: failed sign-ins are counted in the ``sign_in_failure`` table, not in process memory, so it
holds across every gunicorn worker and machine, with nothing but the database.

What it bounds (every figure is in ``Throttle`` below, the one place they are set):

- **a username from one address** (the pair): 5 failures within 15 minutes, then that pair waits until the oldest of
  them leaves the window. This is what stops a guesser.
- **a username from many addresses**: once the username has 5 failures within the window (from anywhere), every
  address that has already failed on it waits before its next try: 1 s, doubling with each further failure of the
  username, at most 5 minutes. A guesser with many addresses is slowed down more the more they guess, while an
  address that has not failed (the owner's phone, the center's office) is never held up: anyone can no longer lock
  anyone out by guessing wrong on purpose.
- **an address alone**, whatever the usernames: 50 failures within the window. A center's staff share one Wi-Fi (and
  one address), so a few typos there must never lock the whole center out; 50 stops one machine trying many usernames.

Only failures count, and a successful sign-in clears its own pair's failures (the username's failures from other
addresses stay counted, so the owner signing in does not reset a guesser's delay).

An attempt is *admitted* in its own short write transaction that applies the bounds and, if there is room, records the
attempt as a failure at once; only a successful verification removes it again. So several workers racing on one
username can never verify more than the allowed number of guesses (on PostgreSQL an advisory lock per username and
per address serialises the admission; on SQLite ``BEGIN IMMEDIATE`` does). The argon2 verification itself runs outside
any write transaction.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from timebank.auth.models import SignInFailure
from timebank.clock import utcnow
from timebank.db import Database

from timebank.errors import DomainError


class TooManyAttempts(DomainError):
    """Too many failed sign-ins; wait a little and try again."""

    code = "too_many_attempts"
    status = 429

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        self.minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(_l("Too many failed sign-ins. Try again in %(minutes)s minutes."), minutes=self.minutes)


@dataclass(frozen=True)
class Throttle:
    """The throttle's bounds (described in the module's docstring)."""

    per_pair: int = 5  # failures of one username from one address within the window
    per_address: int = 50  # failures from one address, any usernames, within the window
    window: timedelta = timedelta(minutes=15)
    spread_after: int = 5  # failures of a username (any addresses) after which failed addresses wait growing delays
    first_delay: timedelta = timedelta(seconds=1)
    longest_delay: timedelta = timedelta(minutes=5)

    def delay(self, username_failures: int) -> timedelta:
        """How long an address that failed on a username with this many recent failures waits before its next try."""
        if username_failures < self.spread_after:
            return timedelta(0)
        doublings = min(username_failures - self.spread_after, 30)
        return min(self.first_delay * 2 ** doublings, self.longest_delay)


THROTTLE = Throttle()


def username_key(username: str) -> str:
    return (username or "").strip().lower()[:60]


def address_key(address: str | None) -> str:
    return (address or "unknown")[:64]


def admit(s: Session, *, username: str, address: str, throttle: Throttle = THROTTLE) -> int:
    """Refuse the attempt (``TooManyAttempts``) when a bound is reached; else record it as a failure and return its
    id, for ``forget`` to remove after a successful verification. ``username`` and ``address`` are keys
    (``username_key``, ``address_key``)."""
    if s.get_bind().dialect.name == "postgresql":
        # Fixed order (username, then address) so two admissions never wait on each other in a cycle.
        for lock in (f"sign-in:user:{username}", f"sign-in:addr:{address}"):
            s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": lock})
    now = utcnow()
    since = now - throttle.window
    s.execute(delete(SignInFailure).where(
        SignInFailure.at <= since, (SignInFailure.username == username) | (SignInFailure.address == address)))
    mine = s.execute(select(SignInFailure.address, SignInFailure.at).where(
        SignInFailure.username == username, SignInFailure.at > since).order_by(SignInFailure.at)).all()
    pair = [at for place, at in mine if place == address]
    from_address = s.scalars(select(SignInFailure.at).where(
        SignInFailure.address == address, SignInFailure.at > since).order_by(SignInFailure.at)).all()

    waits = [_until_room(pair, throttle.per_pair, throttle.window, now),
             _until_room(from_address, throttle.per_address, throttle.window, now)]
    if pair:
        waits.append((pair[-1] + throttle.delay(len(mine)) - now).total_seconds())
    wait = max(waits)
    if wait > 0:
        raise TooManyAttempts(max(1, math.ceil(wait)))
    attempt = SignInFailure(username=username, address=address, at=now)
    s.add(attempt)
    s.flush()
    return attempt.id


def forget(s: Session, *, attempt_id: int, username: str, address: str) -> None:
    """After a successful verification: this attempt and the pair's earlier failures go."""
    s.execute(delete(SignInFailure).where(
        (SignInFailure.id == attempt_id)
        | ((SignInFailure.username == username) & (SignInFailure.address == address))))


def _until_room(times: list[datetime], limit: int, window: timedelta, now: datetime) -> float:
    """Seconds until fewer than ``limit`` of these failure times are within the window (0 when there is room)."""
    if len(times) < limit:
        return 0.0
    return (times[len(times) - limit] + window - now).total_seconds()


def count_recent_failures(db: Database, *, username: str | None = None, address: str | None = None,
                          throttle: Throttle = THROTTLE) -> int:
    """How many failed sign-ins the username (or the address, or both together) has within the throttle's window."""
    since = utcnow() - throttle.window

    def work(s: Session) -> int:
        query = select(func.count()).select_from(SignInFailure).where(SignInFailure.at > since)
        if username is not None:
            query = query.where(SignInFailure.username == username_key(username))
        if address is not None:
            query = query.where(SignInFailure.address == address_key(address))
        return s.scalar(query)

    return db.transaction(work, readonly=True)
