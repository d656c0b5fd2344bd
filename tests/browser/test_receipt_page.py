"""The receipt page as a phone camera opens it, in Chromium at 360 px and 1280 px, in Chinese and English: the verdict
is large and green or red, nothing scrolls sideways, and on paper only the facts and the short code remain.
Screenshots are kept in test-artifacts/ (receipt-<language>-<width>.png)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, sqlite_only
from tests.receipt_helpers import MASKED_NAME, receipt_city, tampered
from timebank.db import get_db
from timebank.receipts.codec import Kind

pytestmark = sqlite_only

GREEN, RED = "rgb(20, 64, 29)", "rgb(122, 16, 16)"  # --ok-ink, --error-ink


@pytest.fixture
def receipts(live_server):
    city = receipt_city(get_db(live_server.app))
    used = city.issue(Kind.VOUCHER, amount=1250, days=14)
    city.revoke(used, "redeemed", at_other_center=True)
    return {"valid": city.issue(Kind.SERVICE_RECORD, amount=250), "used": used,
            "forged": tampered(city.issue().token)}


def open_receipt(browser, live_server, path: str, *, width: int, language: str):
    context = browser.new_context(viewport={"width": width, "height": 800 if width < 800 else 900})
    context.add_cookies([{"name": "tb_lang", "value": language, "url": live_server.url}])
    page = context.new_page()
    response = page.goto(live_server.at(path))
    assert response.status == 200 and response.headers["cache-control"] == "no-store"
    return context, page


@pytest.mark.parametrize("language, word", [("zh", "有效"), ("en", "Valid")])
@pytest.mark.parametrize("width", [360, 1280])
def test_a_valid_receipt_reads_at_a_glance_and_prints_its_facts(browser, live_server, receipts, language, word,
                                                               width):
    receipt = receipts["valid"]
    context, page = open_receipt(browser, live_server, f"/R/{receipt.token}", width=width, language=language)
    try:
        verdict = page.locator(".verdict-word")
        assert verdict.inner_text() == word
        assert verdict.evaluate("e => getComputedStyle(e).color") == GREEN
        assert float(verdict.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 36
        assert page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1
        assert page.locator(".short-code").inner_text() == receipt.display_code
        assert MASKED_NAME in page.locator(".receipt-facts").inner_text()
        page.locator(".receipt-qr").evaluate("img => img.decode()")  # the QR image loads (CSP, route)
        assert page.locator(".receipt-qr").evaluate("img => img.naturalWidth") > 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"receipt-{language}-{width}.png"), full_page=True)

        page.emulate_media(media="print")
        for hidden in (".masthead", ".toolbar", ".site-footer", ".actions"):
            assert not page.locator(hidden).is_visible(), hidden
        for shown in (".verdict-word", ".receipt-facts", ".short-code", ".receipt-issuer"):
            assert page.locator(shown).is_visible(), shown
    finally:
        context.close()


@pytest.mark.parametrize("which, reason", [("used", {"zh": "已于", "en": "already used"}),
                                           ("forged", {"zh": "签名不符", "en": "signature does not match"})])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_receipt_that_is_not_good_says_so_in_red_with_the_reason(browser, live_server, receipts, which, reason,
                                                                   language):
    path = f"/R/{receipts['used'].display_code.lower()}" if which == "used" else f"/R/{receipts['forged']}"
    context, page = open_receipt(browser, live_server, path, width=360, language=language)
    try:
        verdict = page.locator(".verdict-word")
        assert verdict.inner_text() == {"zh": "无效", "en": "Not valid"}[language]
        assert verdict.evaluate("e => getComputedStyle(e).color") == RED
        assert reason[language] in page.locator(".verdict-message").inner_text()
        assert page.locator(".receipt-qr").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"receipt-{which}-{language}-360.png"), full_page=True)
    finally:
        context.close()


def test_the_form_leads_from_a_typed_code_to_the_receipt(browser, live_server, receipts):
    code = receipts["valid"].display_code
    context, page = open_receipt(browser, live_server, "/R/", width=360, language="zh")
    try:
        page.locator("#f-code").fill(code.lower().replace("-", ""))
        page.locator("form.panel button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator(".verdict-word").inner_text() == "有效"
        page.goto(live_server.at("/R/"))
        page.locator("#f-code").fill(code[:-1] + ("0" if code[-1] != "0" else "1"))
        page.locator("form.panel button[type=submit]").click()
        page.wait_for_load_state()
        assert "输错" in page.locator("#f-code-error").inner_text()
    finally:
        context.close()
