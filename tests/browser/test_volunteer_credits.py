"""Staff log and approve a record at the desk; the volunteer then sees the credits on their own phone, in real Chromium.

The volunteer signs in first and sees nothing yet; staff log 2 h 30 min of a 1.50-an-hour service through the form
and approve it; the volunteer's home page, reloaded, shows the balance of 3.75 and, since this city's credits are
valid 20 days, the same 3.75 expiring within 30 days with its date; the record book shows the record, the credits it
earned and the receipt code the staff's record page shows. Chinese on a 360 px phone, English at 1280 px;
screenshots in test-artifacts/credits-*.png.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from timebank.auth.access import Principal
from timebank.db import get_db
from timebank.service_types.services import create_service_type

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

ZONE = ZoneInfo("Asia/Shanghai")
VALIDITY_DAYS = 20  # shorter than the 30 days the home page warns about: the new credits are "expiring soon"
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
FONT_SIZE = "element => parseFloat(getComputedStyle(element).fontSize)"

WORDS = {
    "zh": {"records": "服务记录", "log": "登记服务", "volunteer": "王秀英 · 手机尾号 1234", "submit": "登记",
           "pending": "待审核", "approve": "通过", "approved": "已通过", "service": "上门探访",
           "expire": "3.75 时间币将于 {date} 到期", "book": "我的时间银行记录本", "served": "共 2.5 小时"},
    "en": {"records": "Service records", "log": "Log hours", "volunteer": "王秀英 · phone ending 1234",
           "submit": "Log the record", "pending": "Pending", "approve": "Approve",
           "approved": "Approved", "service": "Home visit", "expire": "3.75 credits expire on {date}",
           "book": "My record book", "served": "2.5 hours"},
}


@pytest.fixture
def visit_type(live_server, city):
    create_service_type(get_db(live_server.app), actor=Principal.system("test"), code="visit", name_zh="上门探访",
                        name_en="Home visit", credits_per_hour=150)


def open_context(browser, live_server, *, language: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 740 if width < 800 else 900})
    context.add_cookies([{"name": "tb_lang", "value": language, "url": live_server.url}])
    context.set_default_timeout(15_000)
    return context


def code_of(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


@pytest.mark.parametrize("language, width", [("zh", 360), ("en", 1280)])
def test_staff_approve_a_record_and_the_volunteer_sees_the_credits_on_their_phone(browser, live_server, city,
                                                                                   visit_type, language, width):
    live_server.app.config["CREDIT_VALIDITY_DAYS"] = VALIDITY_DAYS
    words = WORDS[language]
    volunteer_context = open_context(browser, live_server, language=language, width=width)
    staff_context = open_context(browser, live_server, language=language, width=width)
    try:
        phone = volunteer_context.new_page()
        sign_in(phone, live_server, city.volunteer)
        expect(phone.locator(".balance-amount")).to_have_text(re.compile(r"^0\.00"))

        desk = staff_context.new_page()
        sign_in(desk, live_server, city.staff)
        desk.get_by_role("link", name=words["records"]).first.click()
        desk.get_by_role("link", name=words["log"]).click()
        desk.locator("#f-volunteer_id").select_option(label=words["volunteer"])
        desk.locator("#f-service_type").select_option("visit")
        desk.locator("#f-date").fill((datetime.now(ZONE) - timedelta(days=1)).date().isoformat())
        desk.locator("#f-start").fill("14:00")
        desk.locator("#f-end").fill("16:30")
        desk.locator("#f-note").fill("陪3号楼张奶奶聊天、读报")
        desk.get_by_role("button", name=words["submit"], exact=True).click()
        expect(desk.locator(".record-state")).to_contain_text(words["pending"])
        desk.get_by_role("button", name=words["approve"], exact=True).click()
        expect(desk.locator(".flash.success")).to_contain_text("3.75")
        expect(desk.locator(".record-state")).to_contain_text(words["approved"])
        approved_on = datetime.now(ZONE).date()
        receipt_code = code_of(desk.locator(".short-code").inner_text())
        assert len(receipt_code) >= 8, receipt_code
        desk.screenshot(path=str(ARTIFACTS / f"credits-staff-{language}-{width}.png"), full_page=True)

        # The volunteer's home, reloaded: the new balance and the credits expiring soon, big enough for older eyes.
        phone.reload()
        balance = phone.locator(".home-volunteer .balance-amount")
        expect(balance).to_have_text(re.compile(r"^3\.75"))
        assert balance.evaluate(FONT_SIZE) >= 40
        figures = phone.locator(".balance .book-figures")
        expect(figures.locator("div").nth(0).locator("dd")).to_have_text("3.75")  # available to spend
        expiring = figures.locator("div.is-expiring dd")
        expect(expiring).to_have_text("3.75")
        expiry_dates = {(day + timedelta(days=VALIDITY_DAYS)).isoformat()
                        for day in (approved_on, approved_on - timedelta(days=1))}
        warning = phone.locator(".home-expiring").inner_text()
        assert any(words["expire"].format(date=date) in warning for date in expiry_dates), warning
        assert phone.locator(".home-expiring").evaluate(FONT_SIZE) >= 18
        assert phone.evaluate(SIDEWAYS) <= 1, f"the home page scrolls sideways at {width} px"
        phone.screenshot(path=str(ARTIFACTS / f"credits-home-{language}-{width}.png"), full_page=True)

        # Their record book: the balance, the service and the credits it earned, with the receipt's code.
        phone.locator(".balance a.button").click()
        phone.wait_for_load_state()
        assert phone.url.endswith("/record-book")
        expect(phone.locator("h1")).to_have_text(words["book"])
        expect(phone.locator(".book-balance .balance-amount")).to_have_text(re.compile(r"^3\.75"))
        # An approved record is one entry: the service, and the credits its approval minted.
        expect(phone.locator(".entry")).to_have_count(1)
        mint = phone.locator(".entry.kind-mint")
        expect(mint.locator(".entry-service")).to_contain_text(words["service"])
        expect(mint.locator(".entry-service")).to_contain_text(words["served"])
        expect(mint.locator(".entry-change")).to_have_text("+3.75")
        expect(mint.locator(".entry-balance")).to_contain_text("3.75")
        assert code_of(mint.locator(".short-code").inner_text()) == receipt_code
        lot = phone.locator("table.lots tbody tr")
        expect(lot).to_have_count(1)
        expect(lot).to_have_class(re.compile("is-expiring"))
        expect(lot.locator("td.num")).to_have_text("3.75")
        assert any(date in lot.locator("td").first.inner_text() for date in expiry_dates)
        assert phone.evaluate(SIDEWAYS) <= 1, f"the record book scrolls sideways at {width} px"
        phone.screenshot(path=str(ARTIFACTS / f"credits-book-{language}-{width}.png"), full_page=True)
    finally:
        staff_context.close()
        volunteer_context.close()
