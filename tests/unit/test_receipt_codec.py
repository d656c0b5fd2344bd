"""The receipt codec (pure): every field survives encode → decode, the QR text stays within version 8-M (10-M with the
longest host allowed) for every value, and the parser answers anything at all with MalformedReceipt or a receipt."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from timebank.receipts import codec, qr
from timebank.receipts.codec import (
    EPOCH,
    MAX_AMOUNT,
    MAX_ID,
    MAX_KEY_ID,
    MAX_SECONDS,
    Kind,
    MalformedReceipt,
    Payload,
    encode_payload,
    encode_token,
    parse_text,
    receipt_text,
    signed_message,
)
from timebank.receipts.links import MAX_HOST_LENGTH

SIGNER = Ed25519PrivateKey.generate()
QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
HOST_30 = "TIMEBANK.ZHENJIANG-CITY.GOV.CN"
LONGEST_HOST = ("A" * 60 + "." + "B" * 60)[:MAX_HOST_LENGTH]
assert len(HOST_30) == 30 and len(LONGEST_HOST) == MAX_HOST_LENGTH

MANY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def edge_or_any(low: int, high: int):
    """Integers in ``[low, high]``, with the ends (where varints grow a byte) drawn often."""
    return st.one_of(st.sampled_from([low, high, min(high, 127), min(high, 128)]), st.integers(low, high))


payloads = st.builds(
    lambda kind, key_id, center, volunteer, amount, reference, single_use_id, issued, lifetime: Payload(
        kind=kind, key_id=key_id, center_id=center, volunteer_id=volunteer, amount=amount, reference=reference,
        single_use_id=single_use_id, issued_at=EPOCH + timedelta(seconds=issued),
        expires_at=EPOCH + timedelta(seconds=issued + lifetime)),
    st.sampled_from(list(Kind)), edge_or_any(1, MAX_KEY_ID), edge_or_any(0, MAX_ID), edge_or_any(0, MAX_ID),
    edge_or_any(0, MAX_AMOUNT), edge_or_any(0, MAX_ID), st.binary(min_size=8, max_size=8),
    edge_or_any(0, MAX_SECONDS), edge_or_any(0, MAX_SECONDS),
)

LARGEST = Payload(kind=Kind.CERTIFICATE, key_id=MAX_KEY_ID, center_id=MAX_ID, volunteer_id=MAX_ID, amount=MAX_AMOUNT,
                  reference=MAX_ID, single_use_id=b"\xff" * 8, issued_at=EPOCH + timedelta(seconds=MAX_SECONDS),
                  expires_at=EPOCH + timedelta(seconds=2 * MAX_SECONDS))


def signed_token(payload: Payload) -> str:
    data = encode_payload(payload)
    return encode_token(data + SIGNER.sign(signed_message(data)))


def text_for(payload: Payload, host: str = HOST_30) -> str:
    return receipt_text(f"HTTPS://{host}", signed_token(payload))


# --------------------------------------------------------------------------------------------------- round trip

@MANY
@given(payloads)
def test_every_field_survives_encoding_and_parsing(payload):
    parsed = parse_text(text_for(payload))
    assert parsed.payload == payload
    assert SIGNER.public_key().verify(parsed.signature, parsed.signed_message) is None


def test_the_largest_ids_amount_key_and_times_survive():
    assert MAX_ID == 2**63 - 1
    assert parse_text(text_for(LARGEST)).payload == LARGEST


@pytest.mark.parametrize("text", [
    lambda t: t.lower(), lambda t: f"  {t}\n", lambda t: t.split("://", 1)[1], lambda t: t[t.index("/R/"):],
    lambda t: t[t.index("/R/") + 3:], lambda t: t + "?utm=1", lambda t: t + "/", lambda t: t + "#top",
    lambda t: t.replace("HTTPS://" + HOST_30, "http://other.example:8080"),
])
def test_a_scanned_text_is_read_whatever_its_case_host_or_trimmings(text):
    assert parse_text(text(text_for(LARGEST))).payload == LARGEST


def test_a_payload_with_a_field_out_of_range_cannot_be_built():
    with pytest.raises(ValueError):
        Payload(**{**LARGEST.__dict__, "center_id": MAX_ID + 1})
    with pytest.raises(ValueError):
        Payload(**{**LARGEST.__dict__, "amount": MAX_AMOUNT + 1})
    with pytest.raises(ValueError):
        Payload(**{**LARGEST.__dict__, "key_id": 0})
    with pytest.raises(ValueError):
        Payload(**{**LARGEST.__dict__, "single_use_id": b"\x00" * 7})
    with pytest.raises(ValueError):
        Payload(**{**LARGEST.__dict__, "expires_at": LARGEST.issued_at - timedelta(seconds=1)})


# ------------------------------------------------------------------------------------------------------ QR size

@MANY
@given(payloads)
def test_with_a_30_character_host_every_receipt_is_at_most_qr_version_8_at_level_m(payload):
    text = text_for(payload)
    assert set(text) <= QR_ALPHANUMERIC
    assert qr.version_of(text) <= 8


@MANY
@given(payloads)
def test_with_the_longest_host_allowed_every_receipt_is_at_most_qr_version_10_at_level_m(payload):
    text = text_for(payload, LONGEST_HOST)
    assert set(text) <= QR_ALPHANUMERIC
    assert qr.version_of(text) <= 10


def test_the_largest_receipt_is_version_8_with_30_characters_and_10_with_the_longest_host():
    assert qr.version_of(text_for(LARGEST)) == 8
    assert qr.version_of(text_for(LARGEST, LONGEST_HOST)) == 10


# ------------------------------------------------------------------------------------------ the parser's one error

def parses_or_is_malformed(text) -> codec.SignedReceipt | None:
    try:
        return parse_text(text)
    except MalformedReceipt:
        return None


def assert_canonical(text) -> None:
    """If ``text`` parses, its receipt's token is exactly the token in the text: one spelling per receipt."""
    parsed = parses_or_is_malformed(text)
    if parsed is not None:
        assert parsed.token == codec.token_of_text(text)
        assert encode_payload(parsed.payload) == parsed.payload_bytes


url_like = st.builds(lambda head, tail: f"{head}/R/{tail}", st.text(max_size=40),
                     st.text(alphabet=st.sampled_from("0123456789AZaz27/?#= \x00"), max_size=400))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), st.text(min_size=550, max_size=5000), url_like,
                 st.text(alphabet=st.characters(codec="utf-8")), st.text(alphabet="0123456789", max_size=700),
                 st.text(alphabet="\x00\u0660\u0661\uff10\uff11٣", max_size=300)))
def test_any_text_parses_or_is_malformed_and_nothing_else(text):
    assert_canonical(text)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=codec.MAX_TOKEN_BYTES))
def test_any_bytes_as_a_token_parse_or_are_malformed_and_a_parsed_one_is_canonical(data):
    token = encode_token(data)
    for text in (token, receipt_text("HTTPS://" + HOST_30, token)):
        parsed = parses_or_is_malformed(text)
        if parsed is not None:
            assert parsed.token == token
            assert parsed.payload_bytes + parsed.signature == data


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_raw_bytes_and_base32_or_decoded_bytes_given_as_text_are_malformed_or_parse(data):
    import base64

    for text in (data, data.decode("latin-1"), base64.b32encode(data).decode().rstrip("="),
                 "HTTPS://X/R/" + base64.b32encode(data).decode().rstrip("=")):
        assert_canonical(text)


@settings(max_examples=200, deadline=None)
@given(payloads, st.data())
def test_a_payload_with_any_single_byte_changed_or_cut_is_malformed_or_still_canonical(payload, data):
    raw = bytearray(encode_payload(payload))
    position = data.draw(st.integers(0, len(raw) - 1))
    raw[position] = data.draw(st.integers(0, 255))
    for body in (bytes(raw), bytes(raw[:position])):
        assert_canonical(encode_token(body + b"\x01" * 64) if body else "")


@pytest.mark.parametrize("value", [None, 12, b"bytes", 3.5, ["HTTPS://X/R/1"], "", "   "])
def test_things_that_are_not_text_or_are_blank_are_malformed(value):
    with pytest.raises(MalformedReceipt):
        parse_text(value)


def payload_bytes_with(**replaced) -> bytes:
    """The typical payload's bytes, field by field, with some fields given as raw bytes instead."""
    fields = {"head": bytes([0x12]), "key": b"\x01", "center": b"\x05", "volunteer": b"\x07", "amount": b"\x64",
              "reference": b"\x09", "single_use": b"\xab" * 8, "issued": b"\x10", "lifetime": b"\x20",
              "after": b""}
    fields.update(replaced)
    return b"".join(fields.values())


def token_of(payload_bytes: bytes) -> str:
    return encode_token(payload_bytes + SIGNER.sign(signed_message(payload_bytes)))


def test_the_hand_built_payload_is_a_receipt():
    assert parse_text(token_of(payload_bytes_with())).payload.amount == 100


@pytest.mark.parametrize("replaced", [
    {"amount": b"\xe4\x00"},  # 100 with a needless zero byte
    {"center": b"\x85\x80\x00"},  # 5 with two needless bytes
    {"key": b"\x81\x00"},  # key 1 in two bytes
])
def test_numbers_not_in_their_shortest_form_are_malformed(replaced):
    with pytest.raises(MalformedReceipt, match="shortest"):
        parse_text(token_of(payload_bytes_with(**replaced)))


def test_a_two_byte_number_in_its_shortest_form_is_read():
    assert parse_text(token_of(payload_bytes_with(key=b"\x80\x01"))).payload.key_id == 128


@pytest.mark.parametrize(("replaced", "why"), [
    ({"after": b"\x00"}, "after the payload"),
    ({"head": bytes([0x22])}, "format version 2"),
    ({"head": bytes([0x02])}, "format version 0"),
    ({"head": bytes([0x10])}, "kind 0"),
    ({"head": bytes([0x14])}, "kind 4"),
    ({"key": b"\x00"}, "key id"),
    ({"lifetime": b"", "issued": b"", "single_use": b"\xab" * 3}, "ends early"),
    ({"issued": b"\xff" * 9 + b"\x01"}, "too long|out of range"),
    ({"issued": b"\x80\x80\x80\x80\x80\x01"}, "out of range"),  # 2^35: one second past MAX_SECONDS
    ({"amount": codec._varint(MAX_AMOUNT + 1)}, "amount"),  # one past the ledger's largest
])
def test_trailing_bytes_unknown_versions_and_kinds_and_out_of_range_fields_are_malformed(replaced, why):
    with pytest.raises(MalformedReceipt, match=why):
        parse_text(token_of(payload_bytes_with(**replaced)))


def test_a_token_of_an_impossible_width_or_beyond_its_bytes_or_with_other_digits_is_malformed():
    token = token_of(payload_bytes_with())
    for bad in (token + "0", token[1:], "9" * len(token), token[:-1] + "٣", "１" + token[1:], "0" * len(token)):
        with pytest.raises(MalformedReceipt):
            parse_text(bad)


def test_a_text_far_longer_than_any_receipt_is_refused_before_any_work():
    with pytest.raises(MalformedReceipt, match="longer"):
        parse_text("HTTPS://X/R/" + "1" * 5000)
    with pytest.raises(MalformedReceipt):
        parse_text("9" * 10**6)


def test_tokens_spell_bytes_one_way():
    for data in (b"\x00", b"\x00\x00\x01", b"\xff" * 119, os.urandom(88)):
        token = encode_token(data)
        assert token.isdigit() and codec.decode_token(token) == data


def test_qr_prefix_keeps_scheme_and_host_uppercase():
    assert codec.qr_prefix("https://timebank.example.cn/anything?x") == "HTTPS://TIMEBANK.EXAMPLE.CN"
    for bad in ("timebank.example.cn", "https://", "https:///path"):
        with pytest.raises(ValueError):
            codec.qr_prefix(bad)


def test_kinds_have_labels_both_ways():
    assert [kind.label for kind in Kind] == ["service_record", "voucher", "certificate"]
    assert all(Kind.from_label(kind.label) is kind for kind in Kind)
    with pytest.raises(ValueError):
        Kind.from_label("ticket")


def test_the_public_url_may_have_a_host_of_up_to_max_host_length_characters():
    from timebank.receipts.links import check_public_url

    assert check_public_url(f"https://{LONGEST_HOST.lower()}/") == f"HTTPS://{LONGEST_HOST}"
    assert check_public_url("http://127.0.0.1:8080/x") == "HTTP://127.0.0.1:8080"
    for bad in (f"https://{LONGEST_HOST}A", "https://time_bank.cn", "https://时间银行.cn", "ftp://x.cn", "x.cn"):
        with pytest.raises(ValueError):
            check_public_url(bad)
