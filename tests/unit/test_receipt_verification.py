"""Offline verification (pure): the reason a verifier gives for every way a text is not a good receipt, in the order the
module promises, and the key and revocation files it reads."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from timebank.receipts.codec import (
    Kind,
    Payload,
    decode_token,
    encode_payload,
    encode_token,
    receipt_text,
    signed_message,
)
from timebank.receipts.rules import short_code_for
from timebank.receipts.verification import (
    BadListFile,
    Revocation,
    encode_public_key,
    load_key_list,
    load_revocation_list,
    verify_offline,
)

ISSUED = datetime(2026, 6, 1, 9, 30, tzinfo=timezone.utc)
EXPIRES = ISSUED + timedelta(days=30)
BEFORE_EXPIRY = ISSUED + timedelta(days=1)
KEY = Ed25519PrivateKey.generate()
OTHER_KEY = Ed25519PrivateKey.generate()
SINGLE_USE_ID = bytes.fromhex("0123456789abcdef")


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


KEYS = {7: KEY.public_key()}


def payload(kind: Kind = Kind.VOUCHER, key_id: int = 7) -> Payload:
    return Payload(kind=kind, key_id=key_id, center_id=3, volunteer_id=42, amount=1250, reference=99,
                   single_use_id=SINGLE_USE_ID, issued_at=ISSUED, expires_at=EXPIRES)


def text_of(data: bytes, signature: bytes) -> str:
    return receipt_text("HTTPS://TIMEBANK.EXAMPLE.CN", encode_token(data + signature))


def signed(kind: Kind = Kind.VOUCHER, key_id: int = 7, key: Ed25519PrivateKey = KEY) -> str:
    data = encode_payload(payload(kind, key_id))
    return text_of(data, key.sign(signed_message(data)))


def verify(text: str, *, now: datetime = BEFORE_EXPIRY, **options):
    return verify_offline(text, keys=KEYS, now=now, **options)


def test_a_good_receipt_is_valid_and_carries_its_payload_and_short_code():
    verdict = verify(signed())
    assert (verdict.status, verdict.reason, verdict.valid) == ("valid", None, True)
    assert verdict.receipt == payload()
    assert verdict.short_code == short_code_for(SINGLE_USE_ID)


@pytest.mark.parametrize("text", ["", "hello", "HTTPS://TIMEBANK.EXAMPLE.CN/R/", "HTTPS://X/R/ABCDEFG", "1" * 300,
                                  None, "HTTPS://X/R/" + "7" * 200])
def test_what_is_not_a_receipt_is_malformed(text):
    verdict = verify(text)
    assert (verdict.status, verdict.reason, verdict.receipt) == ("invalid", "malformed", None)


def test_a_receipt_signed_by_a_key_not_in_the_list_is_unknown_key():
    verdict = verify(signed(key_id=8, key=OTHER_KEY))
    assert (verdict.status, verdict.reason) == ("invalid", "unknown_key")


def test_a_receipt_signed_by_another_key_under_a_listed_id_is_bad_signature():
    assert verify(signed(key=OTHER_KEY)).reason == "bad_signature"


@pytest.mark.parametrize("where", ["signature", "payload"])
def test_any_one_bit_flipped_in_the_signature_or_the_payload_is_bad_signature_or_malformed(where):
    data = encode_payload(payload())
    signature = KEY.sign(signed_message(data))
    seen = set()
    length = len(signature) if where == "signature" else len(data)
    for bit in range(length * 8):
        body = bytearray(signature if where == "signature" else data)
        body[bit // 8] ^= 1 << (bit % 8)
        text = text_of(data, bytes(body)) if where == "signature" else text_of(bytes(body), signature)
        verdict = verify(text)
        assert verdict.status == "invalid", bit
        seen.add(verdict.reason)
    if where == "signature":
        assert seen == {"bad_signature"}
    else:  # a flipped bit in the head or a varint may make it unparseable, or name another key
        assert "bad_signature" in seen and seen <= {"bad_signature", "malformed", "unknown_key"}


def test_a_signature_over_the_payload_without_the_context_does_not_verify():
    data = encode_payload(payload())
    assert verify(text_of(data, KEY.sign(data))).reason == "bad_signature"


def test_a_receipt_of_another_kind_than_expected_is_wrong_kind_with_its_payload():
    verdict = verify(signed(kind=Kind.SERVICE_RECORD), kind=Kind.VOUCHER)
    assert (verdict.status, verdict.reason) == ("invalid", "wrong_kind")
    assert verdict.receipt.kind is Kind.SERVICE_RECORD
    assert verify(signed(kind=Kind.VOUCHER), kind=Kind.VOUCHER).valid


def test_a_receipt_is_expired_from_its_expiry_on():
    assert verify(signed(), now=EXPIRES - timedelta(seconds=1)).status == "valid"
    assert verify(signed(), now=EXPIRES).status == "expired"
    assert verify(signed(), now=EXPIRES + timedelta(days=400)).status == "expired"


@pytest.mark.parametrize("status", ["reversed", "redeemed", "cancelled"])
def test_a_receipt_in_the_revocation_list_has_the_revocation_s_status(status):
    revocation = Revocation(status=status, revoked_at=BEFORE_EXPIRY)
    verdict = verify(signed(), revocations={SINGLE_USE_ID: revocation})
    assert (verdict.status, verdict.revocation) == (status, revocation)
    # revoked takes precedence over expired: a redeemed voucher stays "redeemed"
    assert verify(signed(), now=EXPIRES, revocations={SINGLE_USE_ID: revocation}).status == status
    assert verify(signed(), revocations={b"\x00" * 8: revocation}).status == "valid"


def test_the_reasons_come_in_order_malformed_key_signature_kind():
    # a receipt of the wrong kind AND a bad signature says bad_signature; an unknown key says so before the kind
    assert verify(signed(kind=Kind.CERTIFICATE, key=OTHER_KEY), kind=Kind.VOUCHER).reason == "bad_signature"
    assert verify(signed(kind=Kind.CERTIFICATE, key_id=9), kind=Kind.VOUCHER).reason == "unknown_key"


# ------------------------------------------------------------------------------------------------ the list files

def key_entry(key_id: int, key: Ed25519PrivateKey, **extra) -> dict:
    return {"key_id": key_id, "algorithm": "Ed25519", "public_key": encode_public_key(raw_public(key)),
            "status": "active", "valid_from": ISSUED.isoformat(), **extra}


def test_a_saved_key_list_page_or_bare_list_verifies_receipts():
    page = json.dumps({"items": [key_entry(7, KEY), key_entry(8, OTHER_KEY, status="verify_only")],
                       "page": 1, "per_page": 50, "total": 2})
    keys = load_key_list(page)
    assert set(keys) == {7, 8}
    assert verify_offline(signed(), keys=keys, now=BEFORE_EXPIRY).valid
    assert verify_offline(signed(key_id=8, key=OTHER_KEY), keys=keys, now=BEFORE_EXPIRY).valid
    assert set(load_key_list(json.dumps([key_entry(7, KEY)]))) == {7}
    assert load_key_list('{"items": []}') == {}


def test_the_public_key_is_unpadded_base64url():
    text = encode_public_key(raw_public(KEY))
    assert len(text) == 43 and "=" not in text and "+" not in text and "/" not in text


@pytest.mark.parametrize("content", [
    "", "not json", "[", "null", "42", '"text"', '{"items": 3}', '{"keys": []}', "[1, 2]",
    json.dumps([{"public_key": "AAAA"}]),
    json.dumps([{"key_id": 1}]),
    json.dumps([{"key_id": "one", "public_key": encode_public_key(b"\x01" * 32)}]),
    json.dumps([{"key_id": 1, "public_key": encode_public_key(b"\x01" * 31)}]),
    json.dumps([{"key_id": 1, "public_key": "!!not base64!!"}]),
    json.dumps([{"key_id": 1, "public_key": 12345}]),
    json.dumps([{"key_id": None, "public_key": None}]),
    "[" * 100_000 + "]" * 100_000,
])
def test_an_unreadable_key_list_is_bad_list_file(content):
    with pytest.raises(BadListFile):
        load_key_list(content)


def test_a_saved_revocation_list_is_read_by_single_use_id():
    page = json.dumps({"items": [
        {"single_use_id": SINGLE_USE_ID.hex(), "status": "redeemed", "revoked_at": BEFORE_EXPIRY.isoformat()},
        {"single_use_id": "00" * 8, "status": "reversed", "revoked_at": "2026-06-03T10:00:00Z"},
    ], "page": 1, "per_page": 100, "total": 2})
    revocations = load_revocation_list(page)
    assert revocations[SINGLE_USE_ID] == Revocation(status="redeemed", revoked_at=BEFORE_EXPIRY)
    assert revocations[b"\x00" * 8].revoked_at == datetime(2026, 6, 3, 10, tzinfo=timezone.utc)
    assert verify(signed(), revocations=revocations).status == "redeemed"
    assert load_revocation_list("[]") == {}


@pytest.mark.parametrize("content", [
    "", "{", "null", '{"items": null}', "[[]]",
    json.dumps([{"single_use_id": "zz", "status": "redeemed", "revoked_at": "2026-06-03T10:00:00Z"}]),
    json.dumps([{"single_use_id": "00" * 8, "status": "stolen", "revoked_at": "2026-06-03T10:00:00Z"}]),
    json.dumps([{"single_use_id": "00" * 8, "status": "redeemed", "revoked_at": "yesterday"}]),
    json.dumps([{"single_use_id": "00" * 8, "status": "redeemed"}]),
    json.dumps([{"single_use_id": 5, "status": "redeemed", "revoked_at": "2026-06-03T10:00:00Z"}]),
    json.dumps([{"single_use_id": "00" * 8, "status": ["redeemed"], "revoked_at": "2026-06-03T10:00:00Z"}]),
])
def test_an_unreadable_revocation_list_is_bad_list_file(content):
    with pytest.raises(BadListFile):
        load_revocation_list(content)


def test_the_token_in_a_text_is_what_the_key_signed():
    text = signed()
    data = decode_token(text.rsplit("/", 1)[1])
    KEY.public_key().verify(data[-64:], signed_message(data[:-64]))


def test_a_key_list_with_an_id_that_is_not_a_whole_number_is_refused():
    from timebank.receipts.verification import BadListFile, encode_public_key, load_key_list

    key = encode_public_key(bytes(32))
    for bad_id in ("1", 1.5, True, 0):
        with pytest.raises(BadListFile):
            load_key_list(json.dumps([{"key_id": bad_id, "public_key": key}]))


def test_a_revocation_without_an_offset_is_refused():
    from timebank.receipts.verification import BadListFile, load_revocation_list

    with pytest.raises(BadListFile):
        load_revocation_list(json.dumps([{"single_use_id": "00" * 8, "status": "redeemed",
                                          "revoked_at": "2026-12-01T10:00:00"}]))
