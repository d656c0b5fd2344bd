"""Expiry reminders in Chromium on a 360 px phone, in Chinese and in English: the volunteer's home says one thing about
expiring credits (the reminder sent about the soonest lot), big and plain; the record book lists the reminders still
worth saying; the reminders page lists every one. Nothing scrolls sideways and axe-core finds nothing serious (AAA
contrast, as on every volunteer page). Screenshots in test-artifacts/notices-*.png."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in, sqlite_only
from tests.browser.test_accessibility import describe, run_axe
from tests.notice_helpers import SYSTEM, lot
from timebank.centers.services import list_centers
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.notices.services import send_expiry_notices
from timebank.volunteers.services import get_volunteer

pytestmark = sqlite_only

DAY = timedelta(days=1)
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
FONT_SIZE = "element => parseFloat(getComputedStyle(element).fontSize)"
ZONE = ZoneInfo("Asia/Shanghai")


def written(moment, language: str) -> str:
    day = moment.astimezone(ZONE).date()
    return f"{day.year}年{day.month}月{day.day}日" if language == "zh" else \
        f"{day.strftime('%B')} {day.day}, {day.year}"


WORDS = {
    "zh": {"soon": "您有 12.50 时间币将于 {date} 到期，只剩几天了，请尽快在兑换活动中使用。",
           "later": "您有 3.00 时间币将于 {date} 到期，请在兑换活动中使用。",
           "more": "记录本里还有 1 条到期提醒。", "all": "我的全部到期提醒", "title": "我的到期提醒"},
    "en": {"soon": "You have 12.50 credits that expire on {date}, only a few days from now. Please use them soon at "
                   "an exchange drive.",
           "later": "You have 3.00 credits that expire on {date}. Please use them at an exchange drive.",
           "more": "More reminders about expiring credits are in your record book (1).", "all": "All my reminders",
           "title": "My reminders"},
}


@pytest.fixture
def reminded(live_server, city):
    """王秀英 holds 12.50 expiring in 5 days, 3.00 in 20 days and 8.00 in 400 days; the job ran this morning."""
    db = get_db(live_server.app)
    now = utcnow().replace(microsecond=0)
    center = list_centers(db, actor=SYSTEM, search="JK01").items[0]
    volunteer = get_volunteer(db, actor=SYSTEM, volunteer_id=city.volunteer.volunteer_id)
    expiries = {"soon": now + 5 * DAY, "later": now + 20 * DAY}
    lot(db, volunteer, center, 1250, expires_at=expiries["soon"], now=now - 725 * DAY)
    lot(db, volunteer, center, 300, expires_at=expiries["later"], now=now - 710 * DAY)
    lot(db, volunteer, center, 800, expires_at=now + 400 * DAY, now=now - 330 * DAY)
    assert send_expiry_notices(db, now=now - timedelta(hours=1)) == 2
    return type("Reminded", (), dict(city=city, expiries=expiries))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_volunteer_reads_their_reminders_on_a_phone(browser, live_server, reminded, axe_source, language):
    words = WORDS[language]
    soon = words["soon"].format(date=written(reminded.expiries["soon"], language))
    later = words["later"].format(date=written(reminded.expiries["later"], language))
    context = browser.new_context(viewport={"width": 360, "height": 740})
    context.add_cookies([{"name": "tb_lang", "value": language, "url": live_server.url}])
    try:
        page = context.new_page()
        sign_in(page, live_server, reminded.city.volunteer)

        # Home: one message about expiring credits, the reminder about the soonest lot, in large bold type.
        message = page.locator(".balance .notice")
        expect(message).to_have_count(1)
        expect(message.locator(".notice-text")).to_have_text(soon)
        expect(page.locator(".home-expiring")).to_have_count(0)
        expect(page.locator(".home-notice-more")).to_have_text(words["more"])
        assert message.locator(".notice-text").evaluate(FONT_SIZE) >= 21
        assert page.evaluate(SIDEWAYS) <= 0, "the home page scrolls sideways at 360 px"
        assert not (found := run_axe(page, axe_source, enhanced_contrast=True)), describe(found)
        page.screenshot(path=str(ARTIFACTS / f"notices-home-{language}-360.png"), full_page=True)

        # The record book: both reminders still worth saying, soonest first, and a way to all of them.
        page.locator(".balance a.button").click()
        page.wait_for_load_state()
        reminders = page.locator(".book-notices .notice-text")
        expect(reminders).to_have_text([soon, later])
        assert page.evaluate(SIDEWAYS) <= 0, "the record book scrolls sideways at 360 px"
        assert not (found := run_axe(page, axe_source, enhanced_contrast=True)), describe(found)
        page.locator(".book-notices").screenshot(path=str(ARTIFACTS / f"notices-book-{language}-360.png"))

        page.get_by_role("link", name=words["all"]).click()
        page.wait_for_load_state()
        expect(page.locator("h1")).to_have_text(words["title"])
        expect(page.locator(".notice-list .notice")).to_have_count(2)
        assert page.evaluate(SIDEWAYS) <= 0, "the reminders page scrolls sideways at 360 px"
        assert not (found := run_axe(page, axe_source, enhanced_contrast=True)), describe(found)
        page.screenshot(path=str(ARTIFACTS / f"notices-list-{language}-360.png"), full_page=True)
    finally:
        context.close()


def test_the_largest_text_size_still_fits_a_phone(browser, live_server, reminded):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        sign_in(page, live_server, reminded.city.volunteer)
        page.locator(".toolbar button.size-150").click()  # the switch on the page, as an older reader uses it
        page.wait_for_load_state()
        expect(page.locator("html")).to_have_class("text-150")
        assert page.locator(".notice-text").evaluate(FONT_SIZE) >= 32
        assert page.evaluate(SIDEWAYS) <= 0, "the reminder at 150% text scrolls sideways at 360 px"
        # Nor does the sentence (its date kept on one line) stick out of its box.
        assert page.locator(".notice-text").evaluate("p => p.scrollWidth - p.clientWidth") <= 0
        box = page.locator(".notice").bounding_box()
        for words in page.locator(".notice-text .no-break").all():
            where = words.bounding_box()
            assert where["x"] + where["width"] <= box["x"] + box["width"], (box, where)
        page.screenshot(path=str(ARTIFACTS / "notices-home-zh-360-text150.png"), full_page=True)
    finally:
        context.close()
