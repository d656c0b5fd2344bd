"""The volunteer's service certificate in Chromium: opened from the record book on a 360 px phone (nothing scrolls
sideways, its QR as shown on screen decodes to a valid certificate receipt, axe-core finds nothing serious), and
printed on A4 (print media: only the certificate; page.pdf kept in test-artifacts/ with the screenshots)."""
from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from tests.browser.conftest import ARTIFACTS, sign_in, sqlite_only
from tests.browser.test_accessibility import describe, run_axe
from tests.record_book_helpers import fill_record_book
from timebank.auth.access import Principal
from timebank.db import get_db
from timebank.receipts.codec import Kind
from timebank.receipts.services import check_receipt
from timebank.service_types.services import create_service_type

pytestmark = sqlite_only


@pytest.fixture
def served(live_server, city):
    db = get_db(live_server.app)
    create_service_type(db, actor=Principal.system("test"), code="visit", name_zh="上门探访", name_en="Home visit",
                        credits_per_hour=100)
    fill_record_book(db, city.volunteer.volunteer_id, service_type="visit", approved=6)
    return city


def test_the_volunteer_opens_the_certificate_on_a_phone_and_prints_it_on_a4(browser, live_server, served,
                                                                             axe_source):
    context = browser.new_context(viewport={"width": 360, "height": 800})
    context.add_cookies([{"name": "tb_lang", "value": "zh", "url": live_server.url}])
    page = context.new_page()
    try:
        sign_in(page, live_server, served.volunteer)
        page.goto(live_server.at("/record-book"))
        page.locator(".book-certificate a").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "志愿服务记录证明"
        text = page.locator(".certificate").inner_text()
        # Six approved records of 1.5 h, the last one reversed: five count.
        assert "王秀英" in text and "共计 7.5 小时" in text and "大市口街道养老服务中心" in text
        assert page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
        qr = page.locator(".certificate-qr img")
        assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
        page.screenshot(path=ARTIFACTS / "certificate-zh-360.png", full_page=True)
        [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
        check = check_receipt(get_db(live_server.app), code=code.text)
        assert check.valid and check.verdict.receipt.kind is Kind.CERTIFICATE and check.verdict.receipt.amount == 450
        assert not (found := run_axe(page, axe_source, enhanced_contrast=True)), describe(found)

        page.set_viewport_size({"width": 1280, "height": 900})
        page.emulate_media(media="print")
        assert page.locator(".masthead").is_hidden() and page.locator(".certificate-period").is_hidden()
        assert page.locator(".certificate-actions").is_hidden() and page.locator(".certificate").is_visible()
        page.screenshot(path=ARTIFACTS / "certificate-print.png", full_page=True)
        pdf = ARTIFACTS / "certificate-a4.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
        assert len(PdfReader(pdf).pages) == 1  # one sheet of A4
    finally:
        context.close()
