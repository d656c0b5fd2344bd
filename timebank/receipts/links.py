"""Where a receipt's QR points: ``TIMEBANK_PUBLIC_URL`` when set, else the host of the request that asks.

Only the scheme and host go into the QR text (uppercase, alphanumeric mode); the receipt page answers at
``/R/<token>`` on that host. A host longer than ``MAX_HOST_LENGTH`` or with characters outside ``A–Z 0–9 . - :``
would push the code past SPEC §5's version 10-M or out of alphanumeric mode, so it is refused.
"""
from __future__ import annotations

import re

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l

from timebank.errors import DomainError
from timebank.receipts.codec import qr_prefix, receipt_text

MAX_HOST_LENGTH = 100  # with the largest token, version 10-M still holds it (30 characters fit version 8-M)
_PREFIX = re.compile(r"HTTPS?://[A-Z0-9.\-:]+")


class PublicUrlUnsuitable(DomainError):
    code = "public_url_unsuitable"
    status = 400
    message = _l("This address cannot be printed into a receipt's QR code; set TIMEBANK_PUBLIC_URL to the "
                 "service's public address (http or https, a host of at most 100 letters, digits, dots and dashes).")


def check_public_url(url: str) -> str:
    """The QR prefix of ``url`` (``HTTPS://HOST``), or ``ValueError`` if a receipt cannot carry it."""
    prefix = qr_prefix(url)
    host = prefix.split("://", 1)[1]
    if not _PREFIX.fullmatch(prefix) or len(host) > MAX_HOST_LENGTH:
        raise ValueError(f"{url!r} cannot be printed into a receipt's QR code")
    return prefix


def current_prefix() -> str:
    base = current_app.config.get("PUBLIC_URL") or (request.host_url if has_request_context() else None)
    if not base:
        raise PublicUrlUnsuitable()
    try:
        return check_public_url(base)
    except ValueError:
        raise PublicUrlUnsuitable() from None


def receipt_url(token: str) -> str:
    """Exactly the text the receipt's QR encodes (SPEC §5: a receipt's ``url`` in API answers)."""
    return receipt_text(current_prefix(), token)


class UnsuitablePublicUrl(RuntimeError):
    """``TIMEBANK_PUBLIC_URL`` is set to an address no receipt can carry: the app refuses to start."""


def init_app(app) -> None:
    """Refuse to start with a ``TIMEBANK_PUBLIC_URL`` that receipts cannot carry, rather than failing at the first
    receipt (an operator sees the problem when deploying, not a volunteer at the desk)."""
    url = app.config.get("PUBLIC_URL")
    if not url:
        return
    try:
        check_public_url(str(url))
    except ValueError:
        raise UnsuitablePublicUrl(
            f"TIMEBANK_PUBLIC_URL={url!r} cannot be printed into a receipt's QR code: give the service's public "
            f"address as http(s)://host[:port], the host at most {MAX_HOST_LENGTH} characters of letters, digits, "
            f"dots and dashes (for example https://timebank.example.cn).") from None
