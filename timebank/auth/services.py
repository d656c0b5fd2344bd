"""Signing in, API tokens, sessions and password changes.

Failed sign-ins are counted in the ``sign_in_failure`` table, not in process memory, so the throttle holds across
every gunicorn worker and machine. An attempt is *admitted* in its own short write transaction that counts the recent
failures of the username and of the address and, if there is room, records the attempt as a failure at once; only a
successful verification removes it again. So several workers racing on one username can never verify more than the
allowed number of guesses (on PostgreSQL an advisory lock per username and per address serialises the admission; on
SQLite ``BEGIN IMMEDIATE`` does). The argon2 verification itself runs outside any write transaction.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from timebank.auth import passwords
from timebank.auth.access import Principal, Unauthorized
from timebank.auth.models import ApiToken, SignInFailure
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import DomainError, ValidationFailed
from timebank.auth.models import SupervisorCenter, User

DEFAULT_TOKEN_TTL = timedelta(hours=12)


class SignInFailed(DomainError):
    """Wrong username or password."""

    code = "unauthorized"
    status = 401


class TooManyAttempts(DomainError):
    """Too many failed sign-ins; wait a little and try again."""

    code = "too_many_attempts"
    status = 429

    def __init__(self, retry_after: int):
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(f"Too many failed sign-ins. Try again in {minutes} minute(s).")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Throttle:
    """How many failures within ``window`` a username, or an address, may have before the next attempt waits.

    Both default to five (the sixth rapid failure waits), as the issue asks. Many honest people can share one address
    (a center's office network, a mobile carrier's NAT); only failures count, and a success clears its own attempt,
    so an office is held up only by five wrong passwords within the window.
    """

    per_username: int = 5
    per_address: int = 5
    window: timedelta = timedelta(minutes=15)


THROTTLE = Throttle()


# --- signing in ------------------------------------------------------------------------------------------------------

def authenticate(db: Database, *, username: str, password: str, address: str,
                 throttle: Throttle = THROTTLE) -> Principal:
    """The principal for a correct username and password. Raises ``SignInFailed`` or ``TooManyAttempts``."""
    return _sign_in(db, username=username, password=password, address=address, throttle=throttle,
                    then=lambda s, user: None)


def issue_token(db: Database, *, username: str, password: str, address: str, ttl: timedelta | None = None,
                throttle: Throttle = THROTTLE) -> tuple[str, datetime]:
    """Sign in and mint an API token: ``(token, expires_at)``. Only the token's sha256 is stored."""
    token = secrets.token_urlsafe(32)
    lifetime = ttl or DEFAULT_TOKEN_TTL

    def store(s: Session, user: User) -> datetime:
        now = utcnow()
        s.execute(delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at <= now))
        expires_at = now + lifetime
        s.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), auth_epoch=user.auth_epoch,
                       expires_at=expires_at, created_at=now))
        return expires_at

    expires_at = _sign_in(db, username=username, password=password, address=address, throttle=throttle, then=store)
    return token, expires_at


def _sign_in(db: Database, *, username: str, password: str, address: str, throttle: Throttle,
             then: Callable[[Session, User], object]):
    username = (username or "").strip()
    key, place = _throttle_key(username), _address_key(address)
    attempt_id = db.transaction(lambda s: _admit(s, key=key, address=place, throttle=throttle))

    user = db.transaction(lambda s: _user_named(s, username), readonly=True)
    if user is None:
        passwords.burn_verification_time(password)
        raise SignInFailed()
    if not passwords.verify_password(user.password_hash, password):
        raise SignInFailed()
    if not user.active:
        raise SignInFailed("This account is deactivated. Ask the city's administrator.")
    new_hash = passwords.hash_password(password) if passwords.needs_rehash(user.password_hash) else None

    def succeed(s: Session):
        # This attempt and the username's earlier failures go; the address's other failures stay counted.
        s.execute(delete(SignInFailure).where(
            (SignInFailure.id == attempt_id) | (SignInFailure.username == key)))
        if new_hash is not None:
            s.execute(update(User).where(User.id == user.id, User.password_hash == user.password_hash)
                      .values(password_hash=new_hash))
        current = s.get(User, user.id)
        if current is None or not current.active:
            raise SignInFailed()
        result = then(s, current)
        return result if result is not None else _principal(s, current)

    return db.transaction(succeed)


def _admit(s: Session, *, key: str, address: str, throttle: Throttle) -> int:
    """Refuse the attempt when the username or the address has too many recent failures; else count it as one."""
    if s.get_bind().dialect.name == "postgresql":
        # Fixed order (username, then address) so two admissions never wait on each other in a cycle.
        for lock in (f"sign-in:user:{key}", f"sign-in:addr:{address}"):
            s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": lock})
    now = utcnow()
    since = now - throttle.window
    s.execute(delete(SignInFailure).where(
        SignInFailure.at <= since, (SignInFailure.username == key) | (SignInFailure.address == address)))
    waits = []
    for column, value, limit in ((SignInFailure.username, key, throttle.per_username),
                                 (SignInFailure.address, address, throttle.per_address)):
        times = s.scalars(select(SignInFailure.at).where(column == value, SignInFailure.at > since)
                          .order_by(SignInFailure.at)).all()
        if len(times) >= limit:
            # Room again once enough of the oldest failures have left the window.
            waits.append((times[len(times) - limit] + throttle.window - now).total_seconds())
    if waits:
        raise TooManyAttempts(max(1, math.ceil(max(waits))))
    attempt = SignInFailure(username=key, address=address, at=now)
    s.add(attempt)
    s.flush()
    return attempt.id


def _throttle_key(username: str) -> str:
    return username.strip().lower()[:60]


def _address_key(address: str | None) -> str:
    return (address or "unknown")[:64]


def _user_named(s: Session, username: str) -> User | None:
    if not username:
        return None
    # Usernames are stored lowercase (people.rules); sign-in is case-insensitive like the throttle key.
    return s.scalars(select(User).where(User.username == username.lower())).first()


# --- tokens and sessions ---------------------------------------------------------------------------------------------

def principal_for_token(db: Database, token: str) -> Principal | None:
    """The principal a bearer token stands for; ``None`` when it is unknown, expired, or from before a password
    change, or its user is deactivated."""
    if not token or len(token) > 200:
        return None
    wanted = _token_hash(token)

    def work(s: Session) -> Principal | None:
        row = s.execute(
            select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == wanted)
        ).first()
        if row is None:
            return None
        stored, user = row
        # The lookup is by the sha256 of the token, so its timing says nothing about the token itself; comparing
        # in constant time as well keeps it that way whatever the index does.
        if not hmac.compare_digest(stored.token_hash, wanted):
            return None
        if stored.expires_at <= utcnow() or not user.active or stored.auth_epoch != user.auth_epoch:
            return None
        return _principal(s, user)

    return db.transaction(work, readonly=True)


def revoke_token(db: Database, token: str) -> None:
    """End one API token (signing out of the API)."""
    wanted = _token_hash(token)
    db.transaction(lambda s: s.execute(delete(ApiToken).where(ApiToken.token_hash == wanted)))


def principal_for_session(db: Database, session_id: str) -> Principal | None:
    """The principal for a page session id (``Principal.get_id()``); ``None`` once the password changed or the user
    was deactivated."""
    user_part, _, epoch_part = (session_id or "").partition(":")
    try:
        user_id, epoch = int(user_part), int(epoch_part)
    except ValueError:
        return None
    principal = load_principal(db, user_id)
    if principal is None or principal.auth_epoch != epoch:
        return None
    return principal


def load_principal(db: Database, user_id: int) -> Principal | None:
    """The principal of an active user, with their centers; ``None`` for an unknown or deactivated user."""
    def work(s: Session) -> Principal | None:
        user = s.get(User, user_id)
        if user is None or not user.active:
            return None
        return _principal(s, user)

    return db.transaction(work, readonly=True)


def _principal(s: Session, user: User) -> Principal:
    supervised = frozenset()
    if user.role == "supervisor":
        supervised = frozenset(s.scalars(
            select(SupervisorCenter.center_id).where(SupervisorCenter.user_id == user.id)).all())
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        center_id=user.center_id,
        supervised_center_ids=supervised,
        volunteer_id=user.volunteer_id,
        auth_epoch=user.auth_epoch,
        must_change_password=user.must_change_password,
        locale=user.locale,
        display_name=user.display_name,
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- changing a password ---------------------------------------------------------------------------------------------

def change_password(db: Database, *, principal: Principal, current_password: str, new_password: str,
                    address: str | None = None, throttle: Throttle = THROTTLE) -> None:
    """Set a new password after checking the current one. Ends every session and token of the user (the epoch moves
    on) and lifts ``must_change_password``; a page signs its user in again with ``principal_for_session``.

    A wrong current password counts as a failed sign-in, so a stolen session cannot be used to guess it.
    """
    if principal.user_id is None:
        raise Unauthorized()
    problems = passwords.check_password_policy(new_password, username=principal.username)
    if not problems and new_password == current_password:
        problems = ["Choose a password different from the current one."]
    if problems:
        raise ValidationFailed("The new password is not acceptable.", fields={"new_password": problems})

    key = _throttle_key(principal.username)
    place = _address_key(address) if address else None
    attempt_id = db.transaction(lambda s: _admit(
        s, key=key, address=place or f"user:{principal.user_id}", throttle=throttle))
    user = db.transaction(lambda s: s.get(User, principal.user_id), readonly=True)
    if user is None or not user.active or user.auth_epoch != principal.auth_epoch:
        raise Unauthorized("Your session has ended; sign in again.")
    if not passwords.verify_password(user.password_hash, current_password):
        raise ValidationFailed("The current password is wrong.",
                               fields={"current_password": ["The current password is wrong."]})
    new_hash = passwords.hash_password(new_password)

    def work(s: Session) -> None:
        changed = s.execute(
            update(User)
            .where(User.id == user.id, User.auth_epoch == principal.auth_epoch)
            .values(password_hash=new_hash, auth_epoch=User.auth_epoch + 1, must_change_password=False)
        ).rowcount
        if changed != 1:  # another request changed it first: this session is already over
            raise Unauthorized("Your session has ended; sign in again.")
        s.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        s.execute(delete(SignInFailure).where((SignInFailure.id == attempt_id) | (SignInFailure.username == key)))
        _audit(s, actor=principal, action="user.change_password", object_type="user", object_id=user.id,
               center_id=user.center_id)

    db.transaction(work)


def _audit(s: Session, **entry) -> None:
    from timebank.audit import services as audit

    audit.record(s, **entry)


def count_recent_failures(db: Database, *, username: str | None = None, address: str | None = None,
                          throttle: Throttle = THROTTLE) -> int:
    """How many failed sign-ins the username (or the address) has within the throttle's window."""
    since = utcnow() - throttle.window

    def work(s: Session) -> int:
        query = select(func.count()).select_from(SignInFailure).where(SignInFailure.at > since)
        if username is not None:
            query = query.where(SignInFailure.username == _throttle_key(username))
        if address is not None:
            query = query.where(SignInFailure.address == _address_key(address))
        return s.scalar(query)

    return db.transaction(work, readonly=True)
