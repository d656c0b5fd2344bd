"""``GET /api/v1/receipts/<code>``, ``/api/v1/keys`` and ``/api/v1/receipts/revocations`` over HTTP, on SQLite and
PostgreSQL: public, every status and every reason, the short code and the scanned text agree, and nothing private
(phone, id-card tail, full name, ids) is ever in an answer."""
from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

import pytest

from tests.receipt_helpers import FULL_NAME, ID_CARD_TAIL, MASKED_NAME, PHONE, receipt_city, tampered
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.receipts import keys
from timebank.receipts.codec import Kind

API = "/api/v1"
ANSWER_FIELDS = {"valid", "status", "reason", "message", "kind", "credits", "minutes", "center", "center_name",
                 "issued_at", "expires_at", "volunteer", "short_code", "url", "redeemed_at", "redeemed_center",
                 "status_since"}


@pytest.fixture
def city(app):
    return receipt_city(get_db(app))


def check(client, code: str, *, status: int = 200, language: str = "zh", **query) -> dict:
    response = client.get(f"{API}/receipts/{code}", query_string=query, headers={"Accept-Language": language})
    assert response.status_code == status, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def full_text(app, token: str) -> str:
    with app.test_request_context("/"):
        from timebank.receipts.links import receipt_url

        return receipt_url(token)


# ---------------------------------------------------------------------------------------------------- a good receipt

def test_a_valid_service_record_receipt_answers_its_facts_and_nothing_else(app, client, city):
    receipt = city.issue(Kind.SERVICE_RECORD, amount=250)
    answer = check(client, receipt.token)
    assert set(answer) == ANSWER_FIELDS
    assert answer["valid"] is True and answer["status"] == "valid" and answer["reason"] is None
    assert (answer["kind"], answer["credits"], answer["minutes"]) == ("service_record", "2.50", None)
    assert (answer["center"], answer["center_name"]) == ("JK01", "大市口街道养老服务中心")
    assert answer["volunteer"] == MASKED_NAME
    assert answer["short_code"] == receipt.display_code
    assert answer["url"] == full_text(app, receipt.token) == f"HTTP://LOCALHOST/R/{receipt.token}"
    assert answer["issued_at"] == receipt.issued_at.isoformat()
    assert answer["expires_at"] == receipt.expires_at.isoformat()
    assert answer["redeemed_at"] is None and answer["status_since"] is None
    assert "真实有效" in answer["message"]


def test_the_check_needs_no_sign_in_and_speaks_the_callers_language(client, city):
    receipt = city.issue()
    chinese, english = check(client, receipt.token, language="zh"), check(client, receipt.token, language="en")
    assert chinese["message"] != english["message"] and "genuine" in english["message"]
    assert {k: v for k, v in chinese.items() if k != "message"} == {k: v for k, v in english.items() if k != "message"}


def test_the_short_code_the_scanned_text_and_the_token_give_the_same_answer(app, client, city):
    receipt = city.issue(Kind.VOUCHER, amount=1250, days=14)
    text = full_text(app, receipt.token)
    answers = [
        check(client, receipt.display_code),  # K7QXM-3PA9W, as printed
        check(client, receipt.short_code.lower()),  # typed in small letters, without the hyphen
        check(client, f" {receipt.display_code.lower()} "),
        check(client, quote(text, safe="")),  # what the scanner read, URL-encoded
        check(client, text),  # and as it is
        check(client, text.lower()),
        check(client, receipt.token),
        check(client, receipt.token.lower()),
    ]
    assert all(answer == answers[0] for answer in answers), answers
    assert answers[0]["valid"] is True and answers[0]["credits"] == "12.50" and answers[0]["kind"] == "voucher"


def test_a_certificate_says_its_minutes_not_credits(client, city):
    receipt = city.issue(Kind.CERTIFICATE, amount=150)
    answer = check(client, receipt.token)
    assert (answer["kind"], answer["credits"], answer["minutes"]) == ("certificate", None, 150)


# ------------------------------------------------------------------------------------------------- every status

def test_a_reversed_record_says_reversed_and_since_when(client, city):
    receipt = city.issue()
    revocation = city.revoke(receipt, "reversed")
    answer = check(client, receipt.token)
    assert (answer["valid"], answer["status"], answer["reason"]) == (False, "reversed", None)
    assert answer["status_since"] == revocation.revoked_at.isoformat()
    assert answer["redeemed_at"] is None and answer["redeemed_center"] is None
    assert "冲正" in answer["message"]


def test_a_redeemed_voucher_says_when_and_where(client, city):
    receipt = city.issue(Kind.VOUCHER, amount=500, days=14)
    revocation = city.revoke(receipt, "redeemed", at_other_center=True)
    answer = check(client, receipt.display_code, language="en")
    assert (answer["valid"], answer["status"]) == (False, "redeemed")
    assert answer["redeemed_at"] == answer["status_since"] == revocation.revoked_at.isoformat()
    assert answer["redeemed_center"] == "RZ02"
    assert answer["center"] == "JK01"  # still the center that issued it
    assert "金山街道养老服务中心" in answer["message"] and "already used" in answer["message"]


def test_a_cancelled_voucher_says_cancelled(client, city):
    receipt = city.issue(Kind.VOUCHER, days=14)
    city.revoke(receipt, "cancelled")
    answer = check(client, receipt.token)
    assert (answer["valid"], answer["status"], answer["redeemed_at"]) == (False, "cancelled", None)
    assert answer["status_since"] is not None and "取消" in answer["message"]


def test_a_receipt_past_its_expiry_says_expired(client, city):
    long_ago = utcnow() - timedelta(days=40)
    receipt = city.issue(Kind.VOUCHER, days=30, now=long_ago)
    answer = check(client, receipt.token)
    assert (answer["valid"], answer["status"], answer["reason"]) == (False, "expired", None)
    assert answer["expires_at"] == receipt.expires_at.isoformat() and "过期" in answer["message"]


# ------------------------------------------------------------------------------------------------- every reason

def test_text_that_is_not_a_receipt_is_malformed_and_reveals_nothing(client, city):
    for text in ("HTTPS://EXAMPLE.CN/R/NOTATOKEN", "A" * 60, "hello world, this is not a receipt at all", "Z" * 900):
        answer = check(client, quote(text, safe=""))
        assert (answer["valid"], answer["status"], answer["reason"]) == (False, "invalid", "malformed"), text
        assert {k for k, v in answer.items() if v is not None} == {"valid", "status", "reason", "message"}


def test_a_changed_signature_is_a_bad_signature(client, city):
    answer = check(client, tampered(city.issue().token))
    assert (answer["valid"], answer["reason"], answer["url"], answer["kind"]) == (False, "bad_signature", None, None)


def test_a_key_the_time_bank_never_had_is_an_unknown_key(client, city):
    answer = check(client, city.forged_with_an_unknown_key())
    assert (answer["valid"], answer["reason"], answer["center"]) == (False, "unknown_key", None)


def test_another_kind_than_asked_is_the_wrong_kind_with_its_facts(client, city):
    receipt = city.issue(Kind.SERVICE_RECORD)
    answer = check(client, receipt.token, kind="voucher", language="en")
    assert (answer["valid"], answer["status"], answer["reason"]) == (False, "invalid", "wrong_kind")
    assert answer["kind"] == "service_record" and answer["short_code"] == receipt.display_code
    assert "Service record receipt" in answer["message"] and "Voucher" in answer["message"]
    assert check(client, receipt.token, kind="service_record")["valid"] is True


def test_a_signed_token_that_was_never_issued_is_an_unknown_receipt(client, city):
    answer = check(client, city.signed_but_never_issued())
    assert (answer["valid"], answer["reason"], answer["volunteer"]) == (False, "unknown_receipt", None)


def test_a_receipt_signed_before_a_key_rotation_still_verifies(client, city):
    receipt = city.issue()
    rotation = keys.rotate_keys(city.db)
    assert rotation.new_key_id is not None
    after = city.issue()
    assert check(client, receipt.token)["valid"] is True
    assert check(client, after.token)["valid"] is True


# ------------------------------------------------------------------------------------------------- refusals

def test_a_mistyped_short_code_is_refused_on_the_field_code(client, city):
    code = city.issue().short_code
    swapped = code[:3] + code[4] + code[3] + code[5:]
    if swapped == code:
        swapped = code[:-1] + ("0" if code[-1] != "0" else "1")
    for typo, problem in ((swapped, "输错"), (code[:-1], "10 位"), (code[:-1] + "!", "大写字母")):
        error = check(client, typo, status=422)["error"]
        assert error["code"] == "validation_error" and list(error["fields"]) == ["code"], typo
        assert problem in error["fields"]["code"][0], error
    english = check(client, swapped, status=422, language="en")["error"]
    assert "mistyped" in english["fields"]["code"][0]


def test_an_unknown_short_code_is_not_found(client, city):
    from timebank.receipts.rules import display_short_code, short_code_for

    unknown = short_code_for(b"\x00" * 8)
    error = check(client, unknown, status=404)["error"]
    assert error["code"] == "not_found" and display_short_code(unknown) in error["message"]


def test_an_unknown_kind_is_refused(client, city):
    error = check(client, city.issue().token, status=422, kind="ticket")["error"]
    assert error["code"] == "validation_error" and "kind" in error["fields"]


# ------------------------------------------------------------------------------------------------- privacy

def test_no_answer_shows_the_phone_the_id_card_tail_the_full_name_or_any_id(client, city):
    receipts = [city.issue(kind) for kind in Kind]
    city.revoke(receipts[1], "redeemed", at_other_center=True)
    answers = [check(client, r.token) for r in receipts] + [check(client, r.display_code) for r in receipts]
    for answer in answers:
        # The url is the receipt's own text, a long number: any four digits turn up in it by chance.
        text = json.dumps({k: v for k, v in answer.items() if k != "url"}, ensure_ascii=False)
        for secret in (FULL_NAME, PHONE, PHONE[-4:], ID_CARD_TAIL, "1956"):
            assert secret not in text, (secret, answer)
        assert set(answer) == ANSWER_FIELDS  # no volunteer_id, reference, single-use id
        assert answer["volunteer"] == MASKED_NAME


# ------------------------------------------------------------------------------------------------- the lists

def test_the_key_list_is_public_newest_first_and_pages(client, city):
    first = client.get(f"{API}/keys").get_json()
    assert first["total"] == 1 and first["items"][0]["status"] == "active"
    assert set(first["items"][0]) == {"key_id", "algorithm", "public_key", "status", "valid_from", "signs_until",
                                      "valid_until"}
    city.issue()
    keys.rotate_keys(city.db)
    listed = client.get(f"{API}/keys").get_json()
    assert [k["status"] for k in listed["items"]] == ["active", "verify_only"]
    assert listed["items"][0]["key_id"] > listed["items"][1]["key_id"]
    assert listed["items"][1]["signs_until"] is not None and listed["items"][1]["valid_until"] is not None
    one = client.get(f"{API}/keys", query_string={"per_page": 1, "page": 2}).get_json()
    assert (one["total"], one["pages"], one["page"]) == (2, 2, 2)
    assert one["items"][0]["key_id"] == listed["items"][1]["key_id"]
    assert client.get(f"{API}/keys", query_string={"per_page": 0}).status_code == 422


def test_the_revocation_list_names_single_use_ids_oldest_first_and_since(client, city):
    record, voucher = city.issue(), city.issue(Kind.VOUCHER, days=14)
    assert client.get(f"{API}/receipts/revocations").get_json()["total"] == 0
    first = city.revoke(record, "reversed")
    second = city.revoke(voucher, "redeemed")
    listed = client.get(f"{API}/receipts/revocations").get_json()
    assert [(r["status"], r["revoked_at"]) for r in listed["items"]] == [
        ("reversed", first.revoked_at.isoformat()), ("redeemed", second.revoked_at.isoformat())]
    assert all(len(r["single_use_id"]) == 16 and set(r) == {"single_use_id", "status", "revoked_at"}
               for r in listed["items"])
    later = client.get(f"{API}/receipts/revocations",
                       query_string={"since": second.revoked_at.isoformat()}).get_json()
    assert [r["status"] for r in later["items"]] == ["redeemed"]
    assert client.get(f"{API}/receipts/revocations", query_string={"since": "yesterday"}).status_code == 422
