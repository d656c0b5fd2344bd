"""Idempotency keys, independent of HTTP: validate a key, fingerprint a request, claim a key, store and find answers.

Every function that touches the database takes the caller's session and never commits: the key is written in the
transaction of the effect it guards, so both exist or neither does.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from timebank.clock import utcnow
from timebank.idempotency.errors import IdempotencyConflict, IdempotencyKeyInvalid
from timebank.idempotency.models import KEY_MAX_LENGTH, IdempotencyKey

K = IdempotencyKey.__table__


@dataclass(frozen=True)
class Answer:
    """A response as stored: status, content type, the few headers worth replaying, and the body's bytes."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestIdentity:
    """What makes two requests under one key "the same request": method, path (with query) and body."""

    method: str
    path: str
    fingerprint: str


def check_key(key: str) -> None:
    """Refuse a key outside 1–160 characters or with control characters (``IdempotencyKeyInvalid``, a 422)."""
    if not 1 <= len(key) <= KEY_MAX_LENGTH:
        raise IdempotencyKeyInvalid(_l("An Idempotency-Key has 1 to %(limit)s characters.", limit=KEY_MAX_LENGTH))
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in key):
        raise IdempotencyKeyInvalid(_l("An Idempotency-Key may not contain control characters."))


def fingerprint(body: bytes) -> str:
    """The sha256 of the body in canonical form: a JSON body parsed and written again with sorted keys and no
    whitespace (so spacing and key order do not make two requests differ); any other body, its raw bytes."""
    try:
        canonical = b"json:" + json.dumps(json.loads(body), sort_keys=True, ensure_ascii=False,
                                          separators=(",", ":")).encode("utf-8")
    except (ValueError, RecursionError):  # not JSON (or not UTF-8, or nested beyond reason): the bytes as they are
        canonical = b"raw:" + body
    return hashlib.sha256(canonical).hexdigest()


def canonical_path(path: str, args: list[tuple[str, str]]) -> str:
    """The path with its query arguments sorted: ``?dry_run=true`` is part of what was asked."""
    return f"{path}?{urlencode(sorted(args))}" if args else path


def identify(method: str, path: str, args: list[tuple[str, str]], body: bytes) -> RequestIdentity:
    return RequestIdentity(method=method.upper(), path=canonical_path(path, args), fingerprint=fingerprint(body))


def find_answer(s: Session, *, caller: str, key: str, request: RequestIdentity) -> Answer | None:
    """The answer stored under ``(caller, key)``, or ``None`` if the key is new. Raises ``IdempotencyConflict``
    when the key was used for another method, path or body."""
    row = s.execute(select(K).where(K.c.caller == caller, K.c.key == key)).first()
    if row is None:
        return None
    if (row.method, row.path, row.fingerprint) != (request.method, request.path, request.fingerprint):
        raise IdempotencyConflict()
    if row.status == 0:
        raise AssertionError("an idempotency key without its answer is visible outside its transaction")
    return Answer(status=row.status, content_type=row.content_type, body=bytes(row.body), headers=dict(row.headers))


def claim(s: Session, *, caller: str, key: str, request: RequestIdentity) -> None:
    """Insert the key's row before the work runs. A concurrent request under the same key blocks on the primary key
    until this transaction ends; if it commits, that request fails with a unique violation, which the unit-of-work
    runner retries, and the rerun finds and replays this answer."""
    s.execute(insert(K).values(caller=caller, key=key, method=request.method, path=request.path,
                               fingerprint=request.fingerprint, status=0, content_type="", headers={}, body=b"",
                               created_at=utcnow()))


def store_answer(s: Session, *, caller: str, key: str, answer: Answer) -> None:
    """Write the answer into the row ``claim`` inserted (same transaction)."""
    s.execute(update(K).where(K.c.caller == caller, K.c.key == key).values(
        status=answer.status, content_type=answer.content_type, headers=answer.headers, body=answer.body))
