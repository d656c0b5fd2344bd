"""Signing keys: created when none is active, rotated by ``rotate_keys(now)``, retired when nothing they signed is
still good, and published (public halves only) for verifiers.

The private key is stored sealed with AES-GCM under a key derived (HKDF-SHA256) from the application's secret, with
the public key as associated data, so a sealed key cannot be swapped onto another public key. It is unsealed in the
signing process only, cached there by its public key, and never returned by any function of this module except
``signing_key`` (which hands the signer to ``services.issue_receipt``).
"""
from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from flask_babel import lazy_gettext as _l
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from timebank.audit.services import record
from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import DomainError
from timebank.receipts.models import Receipt, SigningKey

K = SigningKey.__table__
R = Receipt.__table__
_NONCE_SIZE = 12
_SEAL_INFO = b"timebank signing key seal v1"

_PUBLIC_KEYS = select(K.c.id, K.c.public_key, K.c.status, K.c.valid_from, K.c.signs_until, K.c.valid_until)
_ACTIVE = select(K.c.id, K.c.public_key, K.c.sealed_private_key).where(K.c.status == "active")
_ACTIVE_FOR_ROTATION = (select(K.c.id, K.c.valid_from, K.c.public_key, K.c.sealed_private_key)
                        .where(K.c.status == "active").with_for_update())
_ONE_PUBLIC_KEY = select(K.c.public_key).where(K.c.id == bindparam("key_id"))


class SigningKeyUnavailable(DomainError):
    code = "signing_key_unavailable"
    status = 503
    message = _l("The signing key cannot be opened with this server's secret key (TIMEBANK_SECRET_KEY).")


@dataclass(frozen=True)
class PublicKey:
    id: int
    public_key: bytes
    status: str
    valid_from: datetime
    signs_until: datetime | None
    valid_until: datetime | None


@dataclass(frozen=True)
class Rotation:
    new_key_id: int | None
    retired_key_ids: tuple[int, ...]


def ensure_signing_key(db: Database, *, now: datetime | None = None) -> int:
    """The active key's id, after creating one if there is none (``timebank init`` calls this)."""
    return db.transaction(lambda s: _active_or_new(s, db, (now or utcnow()).replace(microsecond=0))[0])


def signing_key(s: Session, db: Database, now: datetime) -> tuple[int, Ed25519PrivateKey]:
    """The key that signs now, in the caller's unit of work (created on first use when ``init`` made none)."""
    key_id, private_key = _active_or_new(s, db, now)
    return key_id, private_key


def rotate_keys(db: Database, *, now: datetime | None = None, if_older_than: timedelta | None = None,
                replace_unopenable: bool = False) -> Rotation:
    """A new key signs from ``now``; the one it replaces keeps verifying until every receipt it signed has expired.
    Keys with nothing left to verify are retired. With ``if_older_than``, rotate only an active key older than that
    (retiring still happens), so a job that runs twice makes one key.

    The active key must open with this process's secret (``SigningKeyUnavailable`` otherwise), so a worker started
    with a wrong secret cannot replace the servers' key with one none of them can open. Only after the secret was
    really lost does an operator pass ``replace_unopenable`` (``timebank receipts rotate-keys
    --replace-unopenable``)."""
    now = (now or utcnow()).replace(microsecond=0)

    def work(s: Session) -> Rotation:
        active = s.execute(_ACTIVE_FOR_ROTATION).first()
        new_key_id = None
        if active is None or if_older_than is None or active.valid_from <= now - if_older_than:
            if active is not None:
                # A process with another secret would seal a key that the servers cannot open: none of them could
                # sign any more. Opening the current key first proves the secret is the servers' one.
                try:
                    _signer(db, bytes(active.public_key), bytes(active.sealed_private_key))
                except SigningKeyUnavailable:
                    if not replace_unopenable:
                        raise
                s.execute(update(K).where(K.c.id == active.id).values(
                    status="verify_only", signs_until=now, valid_until=_last_expiry(s, active.id, now)))
            new_key_id = _create(s, db, now)
            record(s, actor=Principal.system("rotate-keys"), action="signing_key.rotate", object_type="signing_key",
                   object_id=new_key_id, detail={"replaces": active.id if active else None})
        retired = []
        for key in s.execute(select(K.c.id).where(K.c.status == "verify_only").order_by(K.c.id)).all():
            last = _last_expiry(s, key.id, None)
            if last is None or last <= now:
                s.execute(update(K).where(K.c.id == key.id).values(status="retired", valid_until=last or now))
                retired.append(key.id)
            else:
                s.execute(update(K).where(K.c.id == key.id).values(valid_until=last))
        return Rotation(new_key_id, tuple(retired))

    return db.transaction(work)


def public_keys(db: Database) -> list[PublicKey]:
    """Every key's public half, newest first: what ``GET /api/v1/keys`` publishes and verifiers use."""
    rows = db.read_all(_PUBLIC_KEYS.order_by(K.c.id.desc()))
    return [PublicKey(row.id, bytes(row.public_key), row.status, row.valid_from, row.signs_until, row.valid_until)
            for row in rows]


_verifiers: dict[bytes, Ed25519PublicKey] = {}
_signers: dict[tuple[bytes, bytes], Ed25519PrivateKey] = {}
_cache_lock = threading.Lock()


def verifier_for(public_key: bytes) -> Ed25519PublicKey:
    """The loaded public key (loading costs more than a verification, so each is loaded once per process)."""
    found = _verifiers.get(public_key)
    if found is None:
        found = Ed25519PublicKey.from_public_bytes(public_key)
        with _cache_lock:
            _verifiers[public_key] = found
    return found


def public_key_of(db: Database, key_id: int) -> bytes | None:
    """One key's public half (a public key never changes, so callers may keep it)."""
    row = db.read_one(_ONE_PUBLIC_KEY, {"key_id": key_id})
    return bytes(row.public_key) if row is not None else None


def _active_or_new(s: Session, db: Database, now: datetime) -> tuple[int, Ed25519PrivateKey]:
    row = s.execute(_ACTIVE).first()
    if row is None:
        key_id = _create(s, db, now)
        row = s.execute(_ACTIVE).first()
        assert row.id == key_id
    return row.id, _signer(db, bytes(row.public_key), bytes(row.sealed_private_key))


def _signer(db: Database, public_key: bytes, sealed: bytes) -> Ed25519PrivateKey:
    """The unsealed key, cached by the public key AND the sealing key: a Database opened with another secret (or
    none) in the same process must not sign with what the right one opened."""
    cache_key = (public_key, hashlib.sha256(_sealing_key(db)).digest())
    signer = _signers.get(cache_key)
    if signer is None:
        signer = Ed25519PrivateKey.from_private_bytes(_unseal(db, sealed, public_key))
        with _cache_lock:
            _signers[cache_key] = signer
    return signer


def _create(s: Session, db: Database, now: datetime) -> int:
    private_key = Ed25519PrivateKey.generate()
    public_key = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    private_bytes = private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                              serialization.NoEncryption())
    return s.execute(insert(K).values(
        public_key=public_key, sealed_private_key=_seal(db, private_bytes, public_key), status="active",
        valid_from=now).returning(K.c.id)).scalar_one()


def _last_expiry(s: Session, key_id: int, default):
    last = s.execute(select(func.max(R.c.expires_at)).where(R.c.key_id == key_id)).scalar()
    return last if last is not None else default


def _sealing_key(db: Database) -> bytes:
    if not db.secret_key:
        raise SigningKeyUnavailable()
    return _derived_sealing_key(db.secret_key)


@lru_cache(maxsize=8)
def _derived_sealing_key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO).derive(secret.encode())


def _seal(db: Database, private_bytes: bytes, public_key: bytes) -> bytes:
    nonce = os.urandom(_NONCE_SIZE)
    return nonce + AESGCM(_sealing_key(db)).encrypt(nonce, private_bytes, public_key)


def _unseal(db: Database, sealed: bytes, public_key: bytes) -> bytes:
    try:
        return AESGCM(_sealing_key(db)).decrypt(sealed[:_NONCE_SIZE], sealed[_NONCE_SIZE:], public_key)
    except InvalidTag:
        raise SigningKeyUnavailable() from None
