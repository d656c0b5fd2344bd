"""What checking a receipt tells a person, in words: the one reading of a ``ReceiptCheck`` that the API answer
(``ReceiptCheckSchema``) and the receipt page (``/R/<code>``) both show, so they can never say different things.

SPEC §5 bounds it: valid or not (and why), kind, amount, center, dates, the masked name, the status (a redeemed
voucher: when and where). No volunteer id, no reference, no phone, no full name ever reaches this module's output.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from timebank.ledger.rules import format_credits
from timebank.receipts.codec import Kind
from timebank.receipts.links import PublicUrlUnsuitable
from timebank.receipts.rules import display_short_code
from timebank.receipts.services import ReceiptCheck

KIND_NAMES = {
    Kind.SERVICE_RECORD: _l("Service record receipt"),
    Kind.VOUCHER: _l("Voucher"),
    Kind.CERTIFICATE: _l("Service certificate"),
}

STATUS_NAMES = {
    "valid": _l("Valid"),
    "reversed": _l("Reversed"),
    "redeemed": _l("Already used"),
    "cancelled": _l("Cancelled"),
    "expired": _l("Expired"),
    "invalid": _l("Not valid"),
}

_VALID = {
    Kind.SERVICE_RECORD: _l("This receipt is genuine: the time bank issued it for approved service hours."),
    Kind.VOUCHER: _l("This voucher is genuine and has not been used yet."),
    Kind.CERTIFICATE: _l("This certificate is genuine: the time bank issued it."),
}
_REVOKED = {
    "reversed": _l("The service record of this receipt was reversed on %(date)s: it no longer counts."),
    "redeemed": _l("This voucher was already used on %(date)s at %(center)s. It cannot be used again."),
    "cancelled": _l("This voucher was cancelled on %(date)s. It cannot be used."),
}
_EXPIRED = _l("This receipt expired on %(date)s.")
_REASONS = {
    "malformed": _l("This is not a time bank receipt: the text is incomplete or was not read correctly. Try scanning "
                    "again, or type the short code printed under the QR code."),
    "unknown_key": _l("This receipt was signed with a key the time bank does not know. It may be forged."),
    "bad_signature": _l("The signature does not match: the receipt was altered or is forged."),
    "wrong_kind": _l("This receipt is genuine but of the wrong kind: it is “%(kind)s”, not “%(expected)s”."),
    "unknown_receipt": _l("The time bank has no record of this receipt."),
}

DATE = "yyyy-MM-dd"
DATE_TIME = "yyyy-MM-dd HH:mm"


@dataclass(frozen=True)
class ReceiptFacts:
    valid: bool
    status: str
    reason: str | None
    message: str
    kind: str | None = None
    kind_name: str | None = None
    credits: str | None = None
    minutes: int | None = None
    center: str | None = None
    center_name: str | None = None
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    volunteer: str | None = None
    short_code: str | None = None
    url: str | None = None
    redeemed_at: datetime | None = None
    redeemed_center: str | None = None
    redeemed_center_name: str | None = None
    status_since: datetime | None = None

    @property
    def status_name(self) -> str:
        return str(STATUS_NAMES[self.status])


def facts_of(check: ReceiptCheck, *, expected: Kind | None = None,
             url_of: Callable[[str], str | None]) -> ReceiptFacts:
    """The facts of ``check`` in the current language; ``url_of(token)`` gives the QR text (``links.receipt_url``)."""
    verdict = check.verdict
    payload = verdict.receipt
    if payload is None:  # nothing about the receipt is known: only that, and why
        return ReceiptFacts(valid=False, status=verdict.status, reason=verdict.reason,
                            message=str(_REASONS.get(verdict.reason, STATUS_NAMES["invalid"])))
    revocation = verdict.revocation
    redeemed = verdict.status == "redeemed" and revocation is not None
    credits, minutes = (None, payload.amount) if payload.kind == Kind.CERTIFICATE else \
        (format_credits(payload.amount), None)
    return ReceiptFacts(
        valid=verdict.valid, status=verdict.status, reason=verdict.reason,
        message=_message(check, expected),
        kind=payload.kind.label, kind_name=str(KIND_NAMES[payload.kind]), credits=credits, minutes=minutes,
        center=check.center_code, center_name=check.center_name,
        issued_at=payload.issued_at, expires_at=payload.expires_at, volunteer=check.volunteer,
        short_code=display_short_code(verdict.short_code), url=url_of(check.token) if check.token else None,
        redeemed_at=revocation.revoked_at if redeemed else None,
        redeemed_center=check.redeemed_center_code if redeemed else None,
        redeemed_center_name=check.redeemed_center_name if redeemed else None,
        status_since=revocation.revoked_at if revocation is not None else None)


def tolerant(url_of: Callable[[str], str]) -> Callable[[str], str | None]:
    """``url_of`` that gives ``None`` where this host cannot be printed into a QR code (a page then shows no QR
    rather than failing; the API says why with ``public_url_unsuitable``)."""
    def url(token: str) -> str | None:
        try:
            return url_of(token)
        except PublicUrlUnsuitable:
            return None

    return url


def _message(check: ReceiptCheck, expected: Kind | None) -> str:
    verdict = check.verdict
    payload = verdict.receipt
    if verdict.status == "valid":
        return str(_VALID[payload.kind])
    if verdict.status == "expired":
        return str(_EXPIRED) % {"date": format_datetime(payload.expires_at, DATE_TIME)}
    if verdict.status in _REVOKED and verdict.revocation is not None:
        where = check.redeemed_center_name or check.redeemed_center_code or "—"
        return str(_REVOKED[verdict.status]) % {"date": format_datetime(verdict.revocation.revoked_at, DATE_TIME),
                                                 "center": where}
    if verdict.reason == "wrong_kind":
        return str(_REASONS["wrong_kind"]) % {
            "kind": KIND_NAMES[payload.kind], "expected": KIND_NAMES[expected] if expected else "—"}
    return str(_REASONS.get(verdict.reason, STATUS_NAMES["invalid"]))
