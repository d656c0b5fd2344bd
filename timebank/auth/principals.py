"""Who a request's credential stands for: an API token (``Authorization: Bearer``) or a page session (the signed
cookie's key). This runs on every authenticated request, so it is built to cost one statement and one round trip:

- ONE query fetches the credential, its user and the user's supervised centers together (a LEFT JOIN: one row per
  supervised center); the credential must belong to an active user at the user's current password epoch;
- it runs with ``Database.read_all``: in autocommit on a pooled connection (a single statement is its own snapshot),
  no ``BEGIN``/``COMMIT`` round trips and no ORM session; the statements are built once and compiled once per
  database, so nothing is compiled per request;
- nothing is cached in the process: every request reads the committed state, so a revoked token, an ended session, a
  changed password or a deactivated user is refused on the very next request, by every worker.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import Boolean, Integer, String, column, text

from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.db import Database, UTCDateTime

MAX_CREDENTIAL_LENGTH = 200

_USER_COLUMNS = ("u.id, u.username, u.role, u.center_id, u.volunteer_id, u.auth_epoch, u.must_change_password, "
                 "u.locale, u.display_name")
_RESULT = (column("id", Integer), column("username", String), column("role", String), column("center_id", Integer),
           column("volunteer_id", Integer), column("auth_epoch", Integer), column("must_change_password", Boolean),
           column("locale", String), column("display_name", String), column("expires_at", UTCDateTime),
           column("supervised_center_id", Integer))

# {credential}: the table, {hash}: its column holding the sha256 of the secret. Written for both databases.
_LOOKUP = (
    "SELECT " + _USER_COLUMNS + ", c.expires_at, sc.center_id "
    "FROM {credential} c "
    "JOIN app_user u ON u.id = c.user_id AND u.auth_epoch = c.auth_epoch AND u.active "
    "LEFT JOIN supervisor_center sc ON sc.user_id = u.id AND u.role = 'supervisor' "
    "WHERE c.{hash} = :secret_hash"
)
_BY_TOKEN = text(_LOOKUP.format(credential="api_token", hash="token_hash")).columns(*_RESULT)
_BY_SESSION_KEY = text(_LOOKUP.format(credential="user_session", hash="key_hash")).columns(*_RESULT)
_BY_USER = text(
    "SELECT " + _USER_COLUMNS + ", NULL, sc.center_id "
    "FROM app_user u "
    "LEFT JOIN supervisor_center sc ON sc.user_id = u.id AND u.role = 'supervisor' "
    "WHERE u.id = :user_id AND u.active"
).columns(*_RESULT)


def secret_hash(secret: str) -> str:
    """What is stored of a token or session key: its sha256 (a lookup by it says nothing about the secret)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def for_token(db: Database, token: str) -> Principal | None:
    """The principal an API token stands for; ``None`` when it is unknown, revoked, expired, from before a password
    change, or its user is deactivated."""
    return _for_secret(db, _BY_TOKEN, token)


def for_session_key(db: Database, key: str) -> Principal | None:
    """The principal of a page session (the key its cookie carries); ``None`` once it was signed out, expired, the
    password changed or the user was deactivated. The principal carries the key (``get_id()``)."""
    principal = _for_secret(db, _BY_SESSION_KEY, key)
    if principal is None:
        return None
    return principal.with_session_key(key)


def for_user(db: Database, user_id: int) -> Principal | None:
    """The principal of an active user, with their centers; ``None`` for an unknown or deactivated user."""
    rows = db.read_all(_BY_USER, {"user_id": user_id})
    return _principal(rows) if rows else None


def _for_secret(db: Database, statement, secret: str) -> Principal | None:
    if not secret or len(secret) > MAX_CREDENTIAL_LENGTH:
        return None
    rows = db.read_all(statement, {"secret_hash": secret_hash(secret)})
    if not rows or rows[0].expires_at <= utcnow():
        return None
    return _principal(rows)


def _principal(rows) -> Principal:
    first = rows[0]
    return Principal(
        user_id=first.id, username=first.username, role=first.role, center_id=first.center_id,
        supervised_center_ids=frozenset(row.supervised_center_id for row in rows
                                        if row.supervised_center_id is not None),
        volunteer_id=first.volunteer_id, auth_epoch=first.auth_epoch,
        must_change_password=bool(first.must_change_password), locale=first.locale, display_name=first.display_name,
    )
