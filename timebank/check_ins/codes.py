"""The poster's code: which center, which 30-second slot, and a MAC the server alone can make. Pure.

Why an HMAC and not the receipts' Ed25519: only this server ever checks a poster code (nobody verifies it offline,
unlike a receipt), so a shared-key MAC is enough, and it is a quarter of a signature's size — ten bytes of
HMAC-SHA256 (80 bits: a forger has two minutes and one guess per request) keep the QR at version 3-4. The key is
derived from the app's secret with its own label, so no other use of the secret can produce a poster code.

The text is an uppercase URL in QR alphanumeric mode, ``HTTPS://HOST/C/<center id>-<slot>-<MAC in base32>``: a
phone's camera opens it, and the same text is what ``POST /check-ins`` receives. Center ids, not codes, since a
center's code may hold ``_``, which alphanumeric mode lacks.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

SLOT_SECONDS = 30  # SPEC §3.2: the poster's code changes every 30 seconds
MAX_AGE = timedelta(minutes=2)  # a code older than this is refused: a photo of the poster does not work later
# A code from a slot this far ahead of the server's clock is still taken (clocks of two app servers differ a little).
FUTURE_SKEW = timedelta(seconds=SLOT_SECONDS)
MAC_BYTES = 10
PATH_MARKER = "/C/"
MAX_TEXT_LENGTH = 300
_KEY_LABEL = b"timebank check-in poster v1"
_TOKEN = re.compile(r"([1-9][0-9]{0,18})-([1-9][0-9]{0,11})-([A-Z2-7]{16})")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class MalformedCode(ValueError):
    """Not a poster code at all (or one whose MAC does not match: the same to the person scanning)."""


@dataclass(frozen=True)
class PosterCode:
    center_id: int
    slot: int

    @property
    def shown_at(self) -> datetime:
        """When the poster began to show it: the code's age counts from here."""
        return EPOCH + timedelta(seconds=self.slot * SLOT_SECONDS)

    @property
    def refresh_at(self) -> datetime:
        """When the poster shows the next one."""
        return self.shown_at + timedelta(seconds=SLOT_SECONDS)

    @property
    def expires_at(self) -> datetime:
        """After this a scan of it is refused."""
        return self.shown_at + MAX_AGE

    def too_old(self, now: datetime) -> bool:
        return now > self.expires_at

    def from_the_future(self, now: datetime) -> bool:
        return self.shown_at > now + FUTURE_SKEW


def slot_at(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("poster times must be aware")
    return int((moment - EPOCH).total_seconds()) // SLOT_SECONDS


def derive_key(secret: str | bytes) -> bytes:
    if not secret:
        raise ValueError("the app's secret key is needed to sign poster codes")
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, _KEY_LABEL, hashlib.sha256).digest()


def _mac(key: bytes, center_id: int, slot: int) -> str:
    digest = hmac.new(key, f"{center_id}:{slot}".encode(), hashlib.sha256).digest()[:MAC_BYTES]
    return base64.b32encode(digest).decode()


def token_for(key: bytes, code: PosterCode) -> str:
    return f"{code.center_id}-{code.slot}-{_mac(key, code.center_id, code.slot)}"


def text_for(prefix: str, key: bytes, code: PosterCode) -> str:
    """What the QR encodes: ``prefix`` is ``HTTPS://HOST`` (``timebank.receipts.links.current_prefix()``)."""
    return f"{prefix}{PATH_MARKER}{token_for(key, code)}"


def token_of_text(text) -> str:
    """The token in what the camera read: the whole URL (any case, any host), ``/C/<token>``, or the token."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_LENGTH:
        raise MalformedCode("not a poster code")
    upper = text.strip().upper()
    marker = upper.rfind(PATH_MARKER)
    token = upper[marker + len(PATH_MARKER):] if marker >= 0 else upper
    return token.split("?", 1)[0].split("#", 1)[0].rstrip("/")


def read(key: bytes, text) -> PosterCode:
    """The code in ``text`` if this server made it; ``MalformedCode`` otherwise. Its age is the caller's to judge."""
    match = _TOKEN.fullmatch(token_of_text(text))
    if match is None:
        raise MalformedCode("not a poster code")
    center_id, slot, mac = int(match[1]), int(match[2]), match[3]
    if not hmac.compare_digest(mac, _mac(key, center_id, slot)):
        raise MalformedCode("the code was not made by this server")
    return PosterCode(center_id=center_id, slot=slot)
