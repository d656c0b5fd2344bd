"""A receipt's bytes and text: the compact payload, its signature, the token and the QR text (pure, no I/O).

The QR text is ``HTTPS://HOST/R/<TOKEN>``: uppercase, so that the whole of it is QR alphanumeric mode (5.5 bits a
character), and a URL, so that a phone's stock camera opens the receipt page. The token is unpadded base32
(``A–Z 2–7``: safe in a URL path and in alphanumeric mode) of the payload followed by its 64-byte Ed25519 signature.

The payload, in order (varint: unsigned LEB128, shortest form only)::

    1 byte     format version (high 4 bits) and kind (low 4 bits)
    varint     key id            varint  center id       varint  volunteer id
    varint     amount (credits in hundredths, or minutes for a certificate)
    varint     reference (the record, reservation or certificate it is for)
    8 bytes    single-use id (random)
    varint     issued at, seconds since 2024-01-01 UTC
    varint     lifetime, seconds from issued to expires

At its largest (ids of 2⁶³ − 1) it is 58 bytes, so the token is at most 196 characters and the QR text with a
30-character host 237: QR version 9 at level M holds 262 alphanumeric characters (version 8 holds 221). A typical
receipt's token is about 152 characters, so its text with a 30-character host is 193: version 8.
The signature covers a fixed context string and the payload, so a signature made for anything else never verifies.
"""
from __future__ import annotations

import base64
import binascii
import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

FORMAT_VERSION = 1
SIGNATURE_SIZE = 64
SINGLE_USE_ID_SIZE = 8
SIGNED_CONTEXT = b"timebank receipt\x00"
EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)

MAX_ID = 2**63 - 1  # the largest row id either database hands out
MAX_KEY_ID = 2**21 - 1  # three varint bytes: a new key every month for 170,000 years
MAX_AMOUNT = 2**63 - 1
MAX_SECONDS = 2**35 - 1  # five varint bytes: issued until the year 3112, lifetimes up to 1,088 years
MAX_TEXT_LENGTH = 600  # far above any real receipt (at most ~240); longer input is refused before any work
PATH_MARKER = "/R/"

_TOKEN = re.compile(r"[A-Z2-7]+")


class Kind(enum.IntEnum):
    """What a receipt is for. The number is what the payload carries; the name is what the API says."""

    SERVICE_RECORD = 1  # an approved service record: verified, never "used"
    VOUCHER = 2  # a reservation in a drive: single-use at the pickup desk
    CERTIFICATE = 3  # a volunteer's service certificate

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> "Kind":
        try:
            return cls[label.upper()]
        except KeyError:
            raise ValueError(f"unknown receipt kind {label!r}") from None


KIND_LABELS = tuple(kind.label for kind in Kind)


class MalformedReceipt(ValueError):
    """The text is not a receipt of ours: the parser's one error, whatever it was given."""


@dataclass(frozen=True)
class Payload:
    kind: Kind
    key_id: int
    center_id: int
    volunteer_id: int
    amount: int
    reference: int
    single_use_id: bytes
    issued_at: datetime
    expires_at: datetime

    def __post_init__(self):
        _check_range("key id", self.key_id, 1, MAX_KEY_ID)
        for name in ("center_id", "volunteer_id", "reference"):
            _check_range(name, getattr(self, name), 0, MAX_ID)
        _check_range("amount", self.amount, 0, MAX_AMOUNT)
        if len(self.single_use_id) != SINGLE_USE_ID_SIZE:
            raise ValueError(f"the single-use id is {SINGLE_USE_ID_SIZE} bytes")
        _check_range("issued_at", _seconds_since_epoch(self.issued_at), 0, MAX_SECONDS)
        _check_range("lifetime", _seconds_between(self.issued_at, self.expires_at), 0, MAX_SECONDS)


@dataclass(frozen=True)
class SignedReceipt:
    payload: Payload
    payload_bytes: bytes
    signature: bytes

    @property
    def signed_message(self) -> bytes:
        return SIGNED_CONTEXT + self.payload_bytes

    @property
    def token(self) -> str:
        return encode_token(self.payload_bytes + self.signature)


def encode_payload(payload: Payload) -> bytes:
    out = bytearray([(FORMAT_VERSION << 4) | int(payload.kind)])
    for number in (payload.key_id, payload.center_id, payload.volunteer_id, payload.amount, payload.reference):
        out += _varint(number)
    out += payload.single_use_id
    out += _varint(_seconds_since_epoch(payload.issued_at))
    out += _varint(_seconds_between(payload.issued_at, payload.expires_at))
    return bytes(out)


def signed_message(payload_bytes: bytes) -> bytes:
    """What the key signs: the context, then the payload."""
    return SIGNED_CONTEXT + payload_bytes


def decode_signed(data: bytes) -> SignedReceipt:
    """Split ``payload + signature`` and decode the payload; ``MalformedReceipt`` if it is not exactly that."""
    if len(data) <= SIGNATURE_SIZE:
        raise MalformedReceipt("too short to hold a signature")
    payload_bytes, signature = data[:-SIGNATURE_SIZE], data[-SIGNATURE_SIZE:]
    return SignedReceipt(decode_payload(payload_bytes), payload_bytes, signature)


def decode_payload(data: bytes) -> Payload:
    if not data:
        raise MalformedReceipt("empty payload")
    version, kind_number = data[0] >> 4, data[0] & 0x0F
    if version != FORMAT_VERSION:
        raise MalformedReceipt(f"unknown format version {version}")
    try:
        kind = Kind(kind_number)
    except ValueError:
        raise MalformedReceipt(f"unknown kind {kind_number}") from None
    reader = _Reader(data, 1)
    key_id, center_id, volunteer_id, amount, reference = (reader.varint() for _ in range(5))
    single_use_id = reader.take(SINGLE_USE_ID_SIZE)
    issued, lifetime = reader.varint(), reader.varint()
    if not reader.at_end():
        raise MalformedReceipt("bytes after the payload")
    if issued > MAX_SECONDS or lifetime > MAX_SECONDS:
        raise MalformedReceipt("a time out of range")
    issued_at = EPOCH + timedelta(seconds=issued)
    try:
        return Payload(kind=kind, key_id=key_id, center_id=center_id, volunteer_id=volunteer_id, amount=amount,
                       reference=reference, single_use_id=single_use_id, issued_at=issued_at,
                       expires_at=issued_at + timedelta(seconds=lifetime))
    except ValueError as error:
        raise MalformedReceipt(str(error)) from None


def encode_token(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def decode_token(token: str) -> bytes:
    if not _TOKEN.fullmatch(token):
        raise MalformedReceipt("the token holds characters outside A-Z and 2-7")
    if len(token) % 8 in (1, 3, 6):  # lengths no whole number of bytes encodes to
        raise MalformedReceipt("the token has an impossible length")
    padded = token + "=" * (-len(token) % 8)
    try:
        data = base64.b32decode(padded)
    except (binascii.Error, ValueError):
        raise MalformedReceipt("the token is not base32") from None
    if encode_token(data) != token:  # unused trailing bits set: not the one spelling of these bytes
        raise MalformedReceipt("the token is not in its canonical form")
    return data


def receipt_text(prefix: str, token: str) -> str:
    """The QR text: ``prefix`` is ``HTTPS://HOST`` (see ``qr_prefix``)."""
    return f"{prefix}{PATH_MARKER}{token}"


def qr_prefix(base_url: str) -> str:
    """``https://timebank.example.cn/anything`` → ``HTTPS://TIMEBANK.EXAMPLE.CN``: scheme and host, uppercase."""
    scheme, sep, rest = base_url.strip().partition("://")
    if not sep or not rest:
        raise ValueError(f"not an absolute URL: {base_url!r}")
    host = rest.split("/", 1)[0]
    if not host:
        raise ValueError(f"no host in {base_url!r}")
    return f"{scheme}://{host}".upper()


def token_of_text(text) -> str:
    """The token inside what a scanner read: the full text (any case, any host), ``/R/<token>``, or the token."""
    if not isinstance(text, str):
        raise MalformedReceipt("not text")
    text = text.strip()
    if not text:
        raise MalformedReceipt("empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise MalformedReceipt("far longer than any receipt")
    upper = text.upper()
    marker = upper.rfind(PATH_MARKER)
    token = upper[marker + len(PATH_MARKER):] if marker >= 0 else upper
    return token.split("?", 1)[0].split("#", 1)[0].rstrip("/")


def parse_text(text) -> SignedReceipt:
    """The receipt in a scanned text; ``MalformedReceipt`` (and nothing else) when it is not one."""
    return decode_signed(decode_token(token_of_text(text)))


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        low, number = number & 0x7F, number >> 7
        if number:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


class _Reader:
    def __init__(self, data: bytes, position: int):
        self.data, self.position = data, position

    def take(self, size: int) -> bytes:
        end = self.position + size
        if end > len(self.data):
            raise MalformedReceipt("the payload ends early")
        chunk, self.position = self.data[self.position:end], end
        return chunk

    def varint(self) -> int:
        number = shift = 0
        for index in range(10):  # 2⁶³ needs nine bytes; a tenth is never needed
            (byte,) = self.take(1)
            number |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if byte == 0 and index > 0:
                    raise MalformedReceipt("a number is not in its shortest form")
                return number
            shift += 7
        raise MalformedReceipt("a number is too long")

    def at_end(self) -> bool:
        return self.position == len(self.data)


def _seconds_since_epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("receipt times must be aware")
    return int((moment - EPOCH).total_seconds())


def _seconds_between(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds())


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}")
