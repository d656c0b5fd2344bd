"""The public receipt pages over HTTP, on SQLite and PostgreSQL: ``/R/<code>`` (what a phone camera opens), the
short-code form ``/R/``, the QR images, and the start-up check of ``TIMEBANK_PUBLIC_URL``."""
from __future__ import annotations

import pytest

from tests.auth_helpers import make_app, mint_session_key
from tests.auth_helpers import make_user as make_person
from tests.receipt_helpers import FULL_NAME, ID_CARD_TAIL, MASKED_NAME, PHONE, receipt_city, tampered
from timebank.db import get_db
from timebank.receipts.codec import Kind
from timebank.receipts.links import UnsuitablePublicUrl

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def city(app):
    return receipt_city(get_db(app))


def page(client, path: str, status: int = 200, language: str | None = None) -> str:
    if language:
        client.set_cookie("tb_lang", language)
    response = client.get(path)
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


def test_the_receipt_page_says_valid_and_the_facts_without_sign_in(client, city):
    receipt = city.issue(Kind.SERVICE_RECORD, amount=250)
    html = page(client, f"/R/{receipt.token}")
    assert "is-valid" in html and "有效" in html and "服务记录凭证" in html
    assert "2.50" in html and "大市口街道养老服务中心" in html and MASKED_NAME in html
    assert receipt.display_code in html
    assert f"/R/{receipt.token}/qr.svg" in html  # the code again, for a printed copy


def test_the_page_opens_from_the_short_code_in_any_case_and_from_the_lowercased_token(client, city):
    receipt = city.issue(Kind.VOUCHER, amount=1250, days=14)
    for path in (f"/R/{receipt.display_code}", f"/R/{receipt.short_code.lower()}", f"/R/{receipt.token.lower()}",
                 f"/R/?code={receipt.display_code.lower()}"):
        html = page(client, path)
        assert "is-valid" in html and "兑换券" in html and "12.50" in html, path


def test_a_used_voucher_says_not_valid_when_and_where(client, city):
    receipt = city.issue(Kind.VOUCHER, days=14)
    city.revoke(receipt, "redeemed", at_other_center=True)
    html = page(client, f"/R/{receipt.token}")
    assert "is-invalid" in html and "无效" in html and "已使用" in html and "金山街道养老服务中心" in html
    assert "/qr.svg" not in html  # a used voucher is not offered for printing again
    english = page(client, f"/R/{receipt.token}", language="en")
    assert "Not valid" in english and "Already used" in english and "Used at" in english


@pytest.mark.parametrize("status, words", [("reversed", "已冲正"), ("cancelled", "已取消")])
def test_a_revoked_receipt_says_its_status(client, city, status, words):
    receipt = city.issue(Kind.VOUCHER if status == "cancelled" else Kind.SERVICE_RECORD)
    city.revoke(receipt, status)
    html = page(client, f"/R/{receipt.token}")
    assert "is-invalid" in html and words in html


def test_a_forged_receipt_says_not_valid_and_why_and_nothing_else(client, city):
    html = page(client, f"/R/{tampered(city.issue().token)}")
    assert "is-invalid" in html and "签名不符" in html
    assert "大市口街道养老服务中心" not in html and MASKED_NAME not in html
    assert "无效" in page(client, "/R/HELLO-THIS-IS-NOT-A-RECEIPT-AT-ALL")


def test_the_form_finds_a_receipt_and_explains_a_typo_or_an_unknown_code(client, city):
    receipt = city.issue()
    form = page(client, "/R/")
    assert 'name="code"' in form and 'method="get"' in form
    typo = receipt.short_code[:-1] + ("0" if receipt.short_code[-1] != "0" else "1")
    refused = page(client, f"/R/?code={typo}", status=422)
    assert "输错" in refused and f'value="{typo}"' in refused  # what was typed stays, to be corrected
    assert "输错" in page(client, f"/R/{typo}", status=422)
    from timebank.receipts.rules import display_short_code, short_code_for

    unknown = short_code_for(b"\x01" * 8)
    missing = page(client, f"/R/?code={unknown}", status=404)
    assert "没有短码为" in missing and display_short_code(unknown) in missing


def test_no_page_shows_the_phone_the_id_card_tail_or_the_full_name(client, city):
    receipts = [city.issue(kind) for kind in Kind]
    city.revoke(receipts[1], "redeemed", at_other_center=True)
    for receipt in receipts:
        for path in (f"/R/{receipt.token}", f"/R/{receipt.display_code}"):
            for language in ("zh", "en"):
                # The token itself (in the address and the QR image's src) is a long number: any four digits
                # turn up in it by chance, so it is taken out before looking.
                html = page(client, path, language=language).replace(receipt.token, "")
                for secret in (FULL_NAME, PHONE, PHONE[-4:], ID_CARD_TAIL):
                    assert secret not in html, (secret, path)
                assert MASKED_NAME in html


# ------------------------------------------------------------------------------------------------- the images

@pytest.mark.parametrize("image_format, mimetype, magic", [("png", "image/png", PNG_MAGIC),
                                                            ("svg", "image/svg+xml", b"<")])
def test_a_receipts_qr_image_is_served_for_a_year_and_answers_304(client, city, image_format, mimetype, magic):
    receipt = city.issue()
    response = client.get(f"/R/{receipt.token}/qr.{image_format}")
    assert response.status_code == 200 and response.mimetype == mimetype
    assert response.data.startswith(magic)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    etag = response.headers["ETag"]
    assert etag and "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
    again = client.get(f"/R/{receipt.token}/qr.{image_format}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == response.headers["Cache-Control"]
    assert client.get(f"/R/{receipt.token.lower()}/qr.{image_format}").headers["ETag"] == etag
    other = client.get(f"/R/{city.issue().token}/qr.{image_format}")
    assert other.headers["ETag"] != etag and other.data != response.data


def test_a_signed_in_visitor_gets_the_same_cacheable_image(app, client, city):
    receipt = city.issue()
    person = make_person(get_db(app), "staff")
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(get_db(app), person)
        session["_fresh"] = True
    response = client.get(f"/R/{receipt.token}/qr.png")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
    assert page(client, f"/R/{receipt.token}")  # the page itself stays no-store


@pytest.mark.parametrize("image_format", ["png", "svg"])
def test_there_is_no_image_for_a_token_we_did_not_sign(client, city, image_format):
    for token in (tampered(city.issue().token), city.forged_with_an_unknown_key(), "NOTATOKEN", "A" * 700):
        response = client.get(f"/R/{token}/qr.{image_format}")
        assert response.status_code == 404, token
        assert "immutable" not in response.headers.get("Cache-Control", "")


def test_the_image_encodes_exactly_the_receipts_url(client, city):
    from timebank.receipts import qr

    receipt = city.issue()
    answer = client.get(f"/api/v1/receipts/{receipt.token}").get_json()
    assert client.get(f"/R/{receipt.token}/qr.png").data == qr.png(answer["url"])
    assert client.get(f"/R/{receipt.token}/qr.svg").data == qr.svg(answer["url"])


# ------------------------------------------------------------------------------------------------- the public address

@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_receipts_carry_the_configured_public_address(database_url):
    app = make_app(database_url, PUBLIC_URL="https://timebank.zhenjiang.gov.cn/anything")
    receipt = receipt_city(get_db(app)).issue()
    answer = app.test_client().get(f"/api/v1/receipts/{receipt.token}").get_json()
    assert answer["url"] == f"HTTPS://TIMEBANK.ZHENJIANG.GOV.CN/R/{receipt.token}"
    get_db(app).dispose()


@pytest.mark.parametrize("url", ["https://bad_host.example.cn", "ftp-ish", "https://" + "a" * 101 + ".cn",
                                 "https://时间银行.cn"])
def test_an_address_no_qr_code_can_carry_stops_the_start(tmp_path, url):
    with pytest.raises(UnsuitablePublicUrl, match="TIMEBANK_PUBLIC_URL"):
        make_app(f"sqlite:///{tmp_path / 'unused.db'}", PUBLIC_URL=url)


def test_a_request_host_no_qr_code_can_carry_is_refused_in_words(tmp_path, sqlite_url):
    app = make_app(sqlite_url)
    receipt = receipt_city(get_db(app)).issue()
    client = app.test_client()
    api = client.get(f"/api/v1/receipts/{receipt.token}", headers={"Host": "bad_host.example"})
    assert api.status_code == 400 and api.get_json()["error"]["code"] == "public_url_unsuitable"
    html = client.get(f"/R/{receipt.token}", headers={"Host": "bad_host.example"})
    assert html.status_code == 200 and "/qr.svg" not in html.get_data(as_text=True)  # the facts, without a QR
    image = client.get(f"/R/{receipt.token}/qr.png", headers={"Host": "bad_host.example"})
    assert image.status_code == 400 and "TIMEBANK_PUBLIC_URL" in image.get_data(as_text=True)
    get_db(app).dispose()
