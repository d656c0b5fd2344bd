"""The QR sizes the receipts' documentation states (codec.py, links.py, README), measured with the real encoder."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from timebank.receipts import qr
from timebank.receipts.codec import (
    EPOCH,
    MAX_AMOUNT,
    MAX_ID,
    MAX_KEY_ID,
    MAX_SECONDS,
    Kind,
    Payload,
    encode_payload,
    encode_token,
    qr_prefix,
    receipt_text,
    signed_message,
)
from timebank.receipts.links import MAX_HOST_LENGTH

HOST_30 = "https://timebanks.jingkou.zhenjiang.cn"


def text_for(payload: Payload, url: str) -> str:
    payload_bytes = encode_payload(payload)
    signature = Ed25519PrivateKey.generate().sign(signed_message(payload_bytes))
    return receipt_text(qr_prefix(url), encode_token(payload_bytes + signature))


def largest(url: str) -> str:
    issued = EPOCH + timedelta(seconds=MAX_SECONDS)
    return text_for(Payload(kind=Kind.CERTIFICATE, key_id=MAX_KEY_ID, center_id=MAX_ID, volunteer_id=MAX_ID,
                            amount=MAX_AMOUNT, reference=MAX_ID, single_use_id=b"\xff" * 8, issued_at=issued,
                            expires_at=issued + timedelta(seconds=MAX_SECONDS)), url)


def test_a_typical_receipt_with_a_30_character_host_is_qr_version_7():
    issued = datetime(2026, 12, 1, 12, 33, tzinfo=timezone.utc)
    text = text_for(Payload(kind=Kind.VOUCHER, key_id=3, center_id=42, volunteer_id=123_456, amount=1250,
                            reference=1_234_567, single_use_id=os.urandom(8), issued_at=issued,
                            expires_at=issued + timedelta(days=730)), HOST_30)
    assert len(qr_prefix(HOST_30)) == len("HTTPS://") + 30
    assert qr.version_of(text) == 7


def test_the_largest_receipt_is_328_characters_and_version_8_with_a_30_character_host():
    text = largest(HOST_30)
    assert len(text) == 328  # 41 of prefix, 287 digits of token: numeric mode, 3⅓ bits a digit
    assert qr.version_of(text) == 8


def test_the_largest_receipt_on_the_longest_allowed_host_still_fits_version_10():
    text = largest("https://" + "a" * (MAX_HOST_LENGTH - 3) + ".cn")
    assert qr.version_of(text) == 10
