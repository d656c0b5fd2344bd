"""The record book and the volunteer's home in Chromium at 360 px and 1280 px, in Chinese and English: nothing
scrolls sideways, the figures are big, every approved entry shows its receipt's QR and short code, and the book
prints on A4 (page.pdf, rendered to PNGs for a person to look at). Screenshots are kept in test-artifacts/."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.browser.conftest import ARTIFACTS, sign_in, sqlite_only
from tests.record_book_helpers import fill_record_book
from timebank.auth.access import Principal
from timebank.db import get_db
from timebank.service_types.services import create_service_type

pytestmark = sqlite_only

WORDS = {"zh": ("我的时间银行记录本", "时间币余额", "凭证码"), "en": ("My record book", "Balance", "Receipt code")}


@pytest.fixture
def filled(live_server, city):
    db = get_db(live_server.app)
    create_service_type(db, actor=Principal.system("test"), code="visit", name_zh="上门探访", name_en="Home visit",
                        credits_per_hour=100)
    fill_record_book(db, city.volunteer.volunteer_id, service_type="visit")
    return city


def open_as(browser, live_server, login, *, width: int, language: str):
    context = browser.new_context(viewport={"width": width, "height": 800 if width < 800 else 900})
    context.add_cookies([{"name": "tb_lang", "value": language, "url": live_server.url}])
    page = context.new_page()
    sign_in(page, live_server, login)
    return context, page


# Chinese on a phone and English on a desk: the crawler covers Chinese at both widths.
@pytest.mark.parametrize("language, width", [("zh", 360), ("en", 1280)])
def test_the_record_book_reads_on_a_phone_and_a_desk(browser, live_server, filled, language, width):
    context, page = open_as(browser, live_server, filled.volunteer, width=width, language=language)
    try:
        home = page.locator(".balance-amount")
        assert home.inner_text().startswith("31.50") and float(page.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('.balance-amount')).fontSize)")) >= 40
        page.screenshot(path=ARTIFACTS / f"home-volunteer-{language}-{width}.png", full_page=True)
        page.locator(".balance a.button").click()
        page.wait_for_load_state()
        title, balance_word, receipt_word = WORDS[language]
        assert page.locator("h1").inner_text() == title
        text = page.locator("main").inner_text()
        assert balance_word in text and receipt_word in text
        assert page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
        assert page.locator(".entry").count() == 20 and page.locator(".pager a[rel=next]").count() == 1
        assert page.locator(".book-print-page").is_hidden()  # on paper only
        qr = page.locator(".entry-qr").first
        assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
        assert page.locator(".entry-receipt .short-code").count() >= 15
        assert page.locator("tr.is-expiring").count() == 1
        body_size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.entry-what')).fontSize)")
        assert body_size >= 18
        page.screenshot(path=ARTIFACTS / f"record-book-{language}-{width}.png", full_page=True)
        page.locator(".pager a[rel=next]").click()
        page.wait_for_load_state()
        assert page.locator(".entry").count() == 6  # 22 mints, a reversal, 2 records, a hold: 26 entries
        page.screenshot(path=ARTIFACTS / f"record-book-page2-{language}-{width}.png", full_page=True)
    finally:
        context.close()


def test_the_record_book_prints_on_a4(browser, live_server, filled):
    context, page = open_as(browser, live_server, filled.volunteer, width=1280, language="zh")
    try:
        page.goto(live_server.at("/record-book"))
        page.emulate_media(media="print")
        assert page.locator(".masthead").is_hidden() and page.locator(".pager").is_hidden()
        assert page.locator(".book-printed").is_visible()
        # Paper has no pager: it says which page of how many it is (26 entries: page 1 of 2).
        assert page.locator(".book-print-page").inner_text() == "这是记录本的第 1 页，共 2 页。要打印整本，请每一页都打印。"
        # The page's bottom padding alone once spilled onto a last, empty sheet of paper.
        assert page.evaluate("() => getComputedStyle(document.querySelector('main')).paddingBottom") == "0px"
        page.screenshot(path=ARTIFACTS / "record-book-print.png", full_page=True)
        pdf = ARTIFACTS / "record-book.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
        assert pdf.read_bytes().startswith(b"%PDF")
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(ARTIFACTS / "record-book-a4")], check=True)
    finally:
        context.close()


def test_staff_reach_a_volunteers_record_book_from_the_volunteers_list(browser, live_server, filled):
    context, page = open_as(browser, live_server, filled.staff, width=360, language="zh")
    try:
        page.goto(live_server.at("/volunteers/?q=王秀英"))
        page.locator(f"a[href='/volunteers/{filled.volunteer.volunteer_id}/record-book']").first.click()
        page.wait_for_load_state()
        assert "王秀英的记录本" in page.locator("h1").inner_text()
        assert page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
        page.screenshot(path=ARTIFACTS / "record-book-staff-zh-360.png", full_page=True)
    finally:
        context.close()
