"""``/api/v1/keys`` and ``/api/v1/receipts`` (SPEC §5, §8, §8.1): public, no sign-in. Anyone may verify a receipt,
fetch the public keys and the revocation list; what a check tells is bounded by ``timebank.receipts.facts``."""
from __future__ import annotations

from timebank.api import ApiBlueprint
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.receipts import services
from timebank.receipts.codec import Kind
from timebank.receipts.facts import facts_of
from timebank.receipts.links import receipt_url
from timebank.receipts.schemas import (
    KeyListQuerySchema,
    KeyPageSchema,
    ReceiptCheckSchema,
    ReceiptQuerySchema,
    RevocationPageSchema,
    RevocationQuerySchema,
)

blp = ApiBlueprint("receipts", __name__, description="Signed receipts and vouchers: check one, and the public keys "
                                                     "and revocations an offline verifier needs")


@blp.get("/keys")
@allow(public=True)
@blp.arguments(KeyListQuerySchema, location="query")
@blp.response(200, KeyPageSchema, description="one page of the public keys, newest first")
def list_keys(query):
    """The public keys that sign receipts (Ed25519), with the time each signs and verifies"""
    return services.page_of_keys(get_db(), **query)


@blp.get("/receipts/revocations")
@allow(public=True)
@blp.arguments(RevocationQuerySchema, location="query")
@blp.response(200, RevocationPageSchema, description="one page of revocations, oldest first")
def list_revocations(query):
    """Receipts no longer good (reversed, redeemed, cancelled), by their single-use id, oldest first"""
    return services.revocations_since(get_db(), **query)


@blp.get("/receipts/<path:code>", merge_slashes=False)
@allow(public=True)
@blp.arguments(ReceiptQuerySchema, location="query")
@blp.response(200, ReceiptCheckSchema, description="what the receipt is: valid or not, why, and its facts")
@blp.refuses(404, "not_found: no receipt has this short code")
@blp.refuses(422, "validation_error: a short code that is mistyped (fields.code says how), or an unknown kind")
@blp.refuses(400, "public_url_unsuitable: this host cannot be printed into a QR code (set TIMEBANK_PUBLIC_URL)")
def check_receipt(query, code: str):
    """Check a receipt: valid or not, why, and what it is for

    ``code`` is the short code (any case, with or without the hyphen), the scanned text (``HTTPS://HOST/R/TOKEN``,
    URL-encoded) or the bare token. A mistyped short code is a 422 on ``code``, an unknown one a 404; any text is
    answered 200, with ``valid`` false and its ``reason`` when it is not a good receipt."""
    expected = Kind.from_label(query["kind"]) if "kind" in query else None
    check = services.check_receipt(get_db(), code=code, kind=expected)
    return facts_of(check, expected=expected, url_of=receipt_url)
