"""Signing in, API tokens, page sessions and password changes.

The throttle's bounds and how it works are in ``timebank.auth.throttle``; who a token or a session key stands for, on
every request, in ``timebank.auth.principals``. Tokens and page sessions are rows whose secret only the client holds
(the database keeps its sha256): revoking a token or signing out deletes the row, a password change deletes every
row of the user (and moves the user's epoch on, which the lookup checks too).
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from timebank.audit import services as audit
from timebank.auth import passwords, principals
from timebank.auth.access import Principal, Unauthorized
from timebank.auth.models import ApiToken, UserSession
from timebank.auth.throttle import (  # noqa: F401  (re-exported: the throttle is part of signing in)
    THROTTLE, Throttle, TooManyAttempts, address_key, admit, count_recent_failures, forget, username_key,
)
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import DomainError, ValidationFailed
from timebank.auth.models import SupervisorCenter, User

DEFAULT_TOKEN_TTL = timedelta(hours=12)
DEFAULT_SESSION_TTL = timedelta(days=7)

_token_hash = principals.secret_hash


class SignInFailed(DomainError):
    """Wrong username or password."""

    code = "unauthorized"
    status = 401


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


def start_session(db: Database, *, username: str, password: str, address: str, ttl: timedelta | None = None,
                  throttle: Throttle = THROTTLE) -> Principal:
    """Sign in to the pages: a new server-side session row; the principal carries its key (``get_id()``), which the
    signed session cookie holds. Only the key's sha256 is stored."""
    key = secrets.token_urlsafe(32)
    lifetime = ttl or DEFAULT_SESSION_TTL

    def store(s: Session, user: User) -> Principal:
        _add_session(s, user, key, lifetime)
        return _principal(s, user).with_session_key(key)

    return _sign_in(db, username=username, password=password, address=address, throttle=throttle, then=store)


def end_session(db: Database, key: str | None) -> None:
    """Sign a page session out: its row goes, so the cookie (or any copy of it) no longer works."""
    if key:
        wanted = _token_hash(key)
        db.transaction(lambda s: s.execute(delete(UserSession).where(UserSession.key_hash == wanted)))


def _add_session(s: Session, user: User, key: str, lifetime: timedelta) -> None:
    now = utcnow()
    s.execute(delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now))
    s.add(UserSession(user_id=user.id, key_hash=_token_hash(key), auth_epoch=user.auth_epoch,
                      expires_at=now + lifetime, created_at=now))


def _sign_in(db: Database, *, username: str, password: str, address: str, throttle: Throttle,
             then: Callable[[Session, User], object]):
    username = (username or "").strip()
    key, place = username_key(username), address_key(address)
    attempt_id = db.transaction(lambda s: admit(s, username=key, address=place, throttle=throttle))

    user = db.transaction(lambda s: _user_named(s, username), readonly=True)
    if user is None:
        passwords.burn_verification_time(password)
        raise SignInFailed()
    if not passwords.verify_password(user.password_hash, password):
        raise SignInFailed()
    if not user.active:
        raise SignInFailed(_l("This account is deactivated. Ask the city's administrator."))
    new_hash = passwords.hash_password(password) if passwords.needs_rehash(user.password_hash) else None

    def succeed(s: Session):
        forget(s, attempt_id=attempt_id, username=key, address=place)
        if new_hash is not None:
            s.execute(update(User).where(User.id == user.id, User.password_hash == user.password_hash)
                      .values(password_hash=new_hash))
        current = s.get(User, user.id)
        if current is None or not current.active:
            raise SignInFailed()
        result = then(s, current)
        return result if result is not None else _principal(s, current)

    return db.transaction(succeed)


def _user_named(s: Session, username: str) -> User | None:
    if not username:
        return None
    # Usernames are stored lowercase (users.rules); sign-in is case-insensitive like the throttle key.
    return s.scalars(select(User).where(User.username == username.lower())).first()


# --- tokens and sessions ---------------------------------------------------------------------------------------------

def principal_for_token(db: Database, token: str) -> Principal | None:
    """The principal a bearer token stands for; ``None`` when it is unknown, revoked, expired, or from before a
    password change, or its user is deactivated. One statement (``timebank.auth.principals``)."""
    return principals.for_token(db, token)


def revoke_token(db: Database, token: str) -> None:
    """End one API token (signing out of the API)."""
    wanted = _token_hash(token)
    db.transaction(lambda s: s.execute(delete(ApiToken).where(ApiToken.token_hash == wanted)))


def principal_for_session(db: Database, session_id: str | None) -> Principal | None:
    """The principal of a page session (the key its cookie carries, ``Principal.get_id()``); ``None`` once it was
    signed out or expired, the password changed, or the user was deactivated."""
    return principals.for_session_key(db, session_id or "")


def load_principal(db: Database, user_id: int) -> Principal | None:
    """The principal of an active user, with their centers; ``None`` for an unknown or deactivated user."""
    return principals.for_user(db, user_id)


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


# --- changing a password ---------------------------------------------------------------------------------------------

def change_password(db: Database, *, principal: Principal, current_password: str, new_password: str,
                    address: str | None = None, throttle: Throttle = THROTTLE, keep_signed_in: bool = False,
                    session_ttl: timedelta | None = None) -> Principal | None:
    """Set a new password after checking the current one. Ends every session and token of the user (their rows go
    and the epoch moves on) and lifts ``must_change_password``. With ``keep_signed_in`` (a page) a new session is
    opened in the same transaction and its principal returned, so the person who changed it stays signed in here.

    A wrong current password counts as a failed sign-in, so a stolen session cannot be used to guess it.
    """
    if principal.user_id is None:
        raise Unauthorized()
    problems = passwords.check_password_policy(new_password, username=principal.username)
    if not problems and new_password == current_password:
        problems = [_l("Choose a password different from the current one.")]
    if problems:
        raise ValidationFailed(_l("The new password is not acceptable."), fields={"new_password": problems})

    key = username_key(principal.username)
    place = address_key(address) if address else f"user:{principal.user_id}"
    attempt_id = db.transaction(lambda s: admit(s, username=key, address=place, throttle=throttle))
    user = db.transaction(lambda s: s.get(User, principal.user_id), readonly=True)
    if user is None or not user.active or user.auth_epoch != principal.auth_epoch:
        raise Unauthorized(_l("Your session has ended; sign in again."))
    if not passwords.verify_password(user.password_hash, current_password):
        raise ValidationFailed(_l("The current password is wrong."),
                               fields={"current_password": [_l("The current password is wrong.")]})
    new_hash = passwords.hash_password(new_password)

    session_key = secrets.token_urlsafe(32) if keep_signed_in else None

    def work(s: Session) -> Principal | None:
        changed = s.execute(
            update(User)
            .where(User.id == user.id, User.auth_epoch == principal.auth_epoch)
            .values(password_hash=new_hash, auth_epoch=User.auth_epoch + 1, must_change_password=False)
        ).rowcount
        if changed != 1:  # another request changed it first: this session is already over
            raise Unauthorized(_l("Your session has ended; sign in again."))
        s.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        s.execute(delete(UserSession).where(UserSession.user_id == user.id))
        forget(s, attempt_id=attempt_id, username=key, address=place)
        _audit(s, actor=principal, action="user.change_password", object_type="user", object_id=user.id,
               center_id=user.center_id)
        if session_key is None:
            return None
        current = s.get(User, user.id)
        _add_session(s, current, session_key, session_ttl or DEFAULT_SESSION_TTL)
        return _principal(s, current).with_session_key(session_key)

    return db.transaction(work)


def _audit(s: Session, **entry) -> None:
    audit.record(s, **entry)
