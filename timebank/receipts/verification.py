"""Verifying a scanned text with public keys only (pure: no database, no network), and the files an offline verifier
keeps: the key list saved from ``GET /api/v1/keys`` and the revocation list from ``GET /api/v1/receipts/revocations``.

The order of the checks is the order of the reasons a verifier gives: the text is not a receipt (``malformed``),
its key is not in the list (``unknown_key``), the signature does not match (``bad_signature``), it is another kind
than the one expected (``wrong_kind``); a receipt that passes all of these is then ``reversed``, ``redeemed`` or
``cancelled`` if the revocation list says so, ``expired`` after its expiry, else ``valid``.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from timebank.receipts.codec import Kind, MalformedReceipt, Payload, SignedReceipt, parse_text
from timebank.receipts.rules import REVOKED_STATUSES, short_code_for


@dataclass(frozen=True)
class Revocation:
    status: str  # reversed, redeemed or cancelled
    revoked_at: datetime
    center_id: int | None = None  # where a voucher was redeemed


@dataclass(frozen=True)
class Verdict:
    status: str  # valid, reversed, redeemed, cancelled, expired, or invalid
    reason: str | None = None  # why it is invalid: malformed, unknown_key, bad_signature, wrong_kind, unknown_receipt
    receipt: Payload | None = None  # present once the signature is good
    revocation: Revocation | None = None

    @property
    def valid(self) -> bool:
        return self.status == "valid"

    @property
    def short_code(self) -> str | None:
        return short_code_for(self.receipt.single_use_id) if self.receipt else None


def invalid(reason: str, receipt: Payload | None = None) -> Verdict:
    return Verdict(status="invalid", reason=reason, receipt=receipt)


def check_signature(text, *, public_key_for: Callable[[int], Ed25519PublicKey | None],
                    kind: Kind | None = None) -> tuple[SignedReceipt | None, Verdict | None]:
    """The signed receipt in ``text``, or the verdict that says why it is not one."""
    try:
        signed = parse_text(text)
    except MalformedReceipt:
        return None, invalid("malformed")
    key = public_key_for(signed.payload.key_id)
    if key is None:
        return None, invalid("unknown_key")
    try:
        key.verify(signed.signature, signed.signed_message)
    except InvalidSignature:
        return None, invalid("bad_signature")
    if kind is not None and signed.payload.kind != kind:
        return signed, invalid("wrong_kind", signed.payload)
    return signed, None


def standing(payload: Payload, revocation: Revocation | None, now: datetime) -> Verdict:
    """What a receipt with a good signature is now: revoked, expired or valid."""
    if revocation is not None:
        return Verdict(status=revocation.status, receipt=payload, revocation=revocation)
    if now >= payload.expires_at:
        return Verdict(status="expired", receipt=payload)
    return Verdict(status="valid", receipt=payload)


def verify_offline(text, *, keys: Mapping[int, Ed25519PublicKey], now: datetime, kind: Kind | None = None,
                   revocations: Mapping[bytes, Revocation] | None = None) -> Verdict:
    signed, refused = check_signature(text, public_key_for=keys.get, kind=kind)
    if refused is not None:
        return refused
    return standing(signed.payload, (revocations or {}).get(signed.payload.single_use_id), now)


class BadListFile(ValueError):
    """A key list or revocation list file that cannot be read."""


def load_key_list(content: str) -> dict[int, Ed25519PublicKey]:
    """The keys in a saved ``GET /api/v1/keys`` answer (its ``items``, or a bare list of keys)."""
    entries = _entries(content, "keys")
    keys = {}
    for entry in entries:
        try:
            key_id = entry["key_id"]
            if not isinstance(key_id, int) or isinstance(key_id, bool) or key_id < 1:
                raise ValueError(f"key_id {key_id!r} is not a positive whole number")
            public = decode_public_key(entry["public_key"])
            keys[key_id] = Ed25519PublicKey.from_public_bytes(public)
        except (KeyError, TypeError, ValueError) as error:
            raise BadListFile(f"a key entry is not readable: {error}") from None
    return keys


def load_revocation_list(content: str) -> dict[bytes, Revocation]:
    """The revocations in a saved ``GET /api/v1/receipts/revocations`` answer (its ``items``, or a bare list)."""
    found = {}
    for entry in _entries(content, "revocations"):
        try:
            single_use_id = bytes.fromhex(entry["single_use_id"])
            status = entry["status"]
            if status not in REVOKED_STATUSES:
                raise ValueError(f"unknown status {status!r}")
            revoked_at = datetime.fromisoformat(entry["revoked_at"])
            if revoked_at.tzinfo is None:
                raise ValueError(f"revoked_at {entry['revoked_at']!r} has no offset")
            found[single_use_id] = Revocation(status=status, revoked_at=revoked_at)
        except (KeyError, TypeError, ValueError) as error:
            raise BadListFile(f"a revocation entry is not readable: {error}") from None
    return found


def encode_public_key(raw: bytes) -> str:
    """Unpadded base64url, as JWK writes Ed25519 keys (``x``)."""
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_public_key(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError, TypeError):
        raise ValueError("the public key is not base64url") from None
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return raw


def _entries(content: str, what: str) -> list:
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):
        raise BadListFile(f"the {what} file is not JSON") from None
    if isinstance(data, dict):
        data = data.get("items")
    if not isinstance(data, list) or not all(isinstance(entry, dict) for entry in data):
        raise BadListFile(f"the {what} file holds no list of {what}")
    return data
