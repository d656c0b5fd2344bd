"""Who a request's credential stands for: an API token (``Authorization: Bearer``) or a page session (the signed
cookie's key). This runs on every authenticated request, so it is built to cost one statement and one round trip:

- ONE query fetches the credential, its user and the user's supervised centers together (a LEFT JOIN: one row per
  supervised center); the credential must belong to an active user at the user's current password epoch;
- it runs in autocommit on a pooled connection (a single statement is its own snapshot): no ``BEGIN``/``COMMIT``
  round trips and no ORM session; the SQL text is written once, so nothing is compiled per request;
- nothing is cached in the process: every request reads the committed state, so a revoked token, an ended session, a
  changed password or a deactivated user is refused on the very next request, by every worker.

The statement is read-only and the first of its connection, so when the pooled connection turns out to be dead (the
server restarted), running it again on a fresh one is safe; it is retried once that way.
"""
from __future__ import annotations

import hashlib

from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.db import Database, UTCDateTime

MAX_CREDENTIAL_LENGTH = 200

_USER_COLUMNS = ("u.id, u.username, u.role, u.center_id, u.volunteer_id, u.auth_epoch, u.must_change_password, "
                 "u.locale, u.display_name")

# {credential}: the table, {hash}: its column holding the sha256 of the secret. Written for both databases.
_LOOKUP = (
    "SELECT " + _USER_COLUMNS + ", c.expires_at, sc.center_id "
    "FROM {credential} c "
    "JOIN app_user u ON u.id = c.user_id AND u.auth_epoch = c.auth_epoch AND u.active "
    "LEFT JOIN supervisor_center sc ON sc.user_id = u.id AND u.role = 'supervisor' "
    "WHERE c.{hash} = {param}"
)
_BY_USER = (
    "SELECT " + _USER_COLUMNS + ", NULL, sc.center_id "
    "FROM app_user u "
    "LEFT JOIN supervisor_center sc ON sc.user_id = u.id AND u.role = 'supervisor' "
    "WHERE u.id = {param} AND u.active"
)
_PARAMS = {"sqlite": "?", "postgresql": "%s"}
_DATETIME = UTCDateTime()


def secret_hash(secret: str) -> str:
    """What is stored of a token or session key: its sha256 (a lookup by it says nothing about the secret)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def for_token(db: Database, token: str) -> Principal | None:
    """The principal an API token stands for; ``None`` when it is unknown, revoked, expired, from before a password
    change, or its user is deactivated."""
    return _for_secret(db, "api_token", "token_hash", token)


def for_session_key(db: Database, key: str) -> Principal | None:
    """The principal of a page session (the key its cookie carries); ``None`` once it was signed out, expired, the
    password changed or the user was deactivated. The principal carries the key (``get_id()``)."""
    principal = _for_secret(db, "user_session", "key_hash", key)
    if principal is None:
        return None
    return principal.with_session_key(key)


def for_user(db: Database, user_id: int) -> Principal | None:
    """The principal of an active user, with their centers; ``None`` for an unknown or deactivated user."""
    rows = _fetch(db, _BY_USER.format(param=_PARAMS[db.dialect]), (user_id,))
    return _principal(rows) if rows else None


def _for_secret(db: Database, credential: str, hash_column: str, secret: str) -> Principal | None:
    if not secret or len(secret) > MAX_CREDENTIAL_LENGTH:
        return None
    sql = _LOOKUP.format(credential=credential, hash=hash_column, param=_PARAMS[db.dialect])
    rows = _fetch(db, sql, (secret_hash(secret),))
    if not rows:
        return None
    expires_at = _DATETIME.process_result_value(rows[0][9], db.engine.dialect)
    if expires_at <= utcnow():
        return None
    return _principal(rows)


def _principal(rows) -> Principal:
    (user_id, username, role, center_id, volunteer_id, auth_epoch, must_change_password, locale,
     display_name) = rows[0][:9]
    return Principal(
        user_id=user_id, username=username, role=role, center_id=center_id,
        supervised_center_ids=frozenset(row[10] for row in rows if row[10] is not None),
        volunteer_id=volunteer_id, auth_epoch=auth_epoch, must_change_password=bool(must_change_password),
        locale=locale, display_name=display_name,
    )


def _fetch(db: Database, sql: str, params: tuple) -> list[tuple]:
    """Run one read-only statement in autocommit on a pooled connection; once more on a fresh connection if the
    pooled one was dead."""
    engine = db.engine
    postgres = not db.is_sqlite
    for attempt in (1, 2):
        connection = engine.raw_connection()
        driver = connection.driver_connection
        cursor = None
        try:
            if postgres:
                driver.autocommit = True  # one statement, one round trip: no BEGIN, no COMMIT
            # (SQLite's connections are in autocommit already: db.py lets SQLAlchemy emit every BEGIN itself.)
            cursor = connection.cursor()
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            cursor.close()
            if postgres:
                driver.autocommit = False
            return rows
        except engine.dialect.loaded_dbapi.Error as error:
            if attempt == 1 and engine.dialect.is_disconnect(error, driver, cursor):
                connection.invalidate()
                continue
            connection.invalidate()  # in an unknown state after a failure in autocommit: never reuse it
            raise
        finally:
            connection.close()
    raise AssertionError("unreachable")
