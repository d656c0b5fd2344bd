"""The service requests' pages in Chromium at 360 px and 1280 px, in Chinese and English: a volunteer's phone shows
their center's open requests with a big "I'll do it" button and claims with it; staff post a request through the
form, assign the volunteer and complete it with the times. Screenshots go to test-artifacts/ (requests-*.png)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in, sqlite_only
from timebank.auth.access import Principal
from timebank.centers.services import list_centers
from timebank.db import get_db
from timebank.hours.queries import list_records
from timebank.service_requests import services
from timebank.service_types.services import create_service_type

pytestmark = [sqlite_only, pytest.mark.usefixtures("fast_password_hashing")]

ZONE = ZoneInfo("Asia/Shanghai")
SYSTEM = Principal.system("test")
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
WORDS = {"zh": {"claim": "我来领办", "mine": "我领办的", "complete": "确认完成", "post": "发布点单"},
         "en": {"claim": "I'll do it", "mine": "What I claimed", "complete": "Complete the request",
                "post": "Post the request"}}


@pytest.fixture
def requests(live_server, city):
    db = get_db(live_server.app)
    create_service_type(db, actor=SYSTEM, code="visit", name_zh="上门探访", name_en="Home visit", credits_per_hour=100)
    center = list_centers(db, actor=SYSTEM, search="JK01").items[0]
    staff = Principal(user_id=None, username="staff", role="staff", center_id=center.id)
    today = datetime.now(ZONE).replace(hour=9, minute=0, second=0, microsecond=0)
    # "open" is today's in the center's time zone and not yet over, whenever the suite runs (even at 23:50): it
    # started half an hour ago, or at midnight when that is later.
    now = datetime.now(ZONE).replace(second=0, microsecond=0)
    soon = max(now - timedelta(minutes=30), now.replace(hour=0, minute=0))

    def post(start, *, place="大市口街道活动室二楼", needed=1):
        return services.post_request(db, actor=staff, center="JK01", service_type="visit", resident="3号楼 张奶奶",
                                     starts_at=start, ends_at=start + timedelta(hours=1, minutes=30), place=place,
                                     note="请带上血压计，老人耳朵不太好，说话慢一点", volunteers_needed=needed)

    return {"open": post(soon, needed=2), "later": post(soon + timedelta(hours=3), place="老人家中"),
            "yesterday": post(today - timedelta(days=1), place="中心餐厅"), "db": db}


def open_as(browser, live_server, login, *, width: int, language: str):
    context = browser.new_context(viewport={"width": width, "height": 800 if width < 800 else 900}, locale="zh-CN")
    context.add_cookies([{"name": "tb_lang", "value": language, "url": live_server.url}])
    page = context.new_page()
    sign_in(page, live_server, login)
    return context, page


# Chinese on a phone and English on a desk: the crawler covers Chinese at both widths.
@pytest.mark.parametrize("language, width", [("zh", 360), ("en", 1280)])
def test_a_volunteer_claims_an_open_request_with_the_big_button(browser, live_server, city, requests, language,
                                                                width):
    context, page = open_as(browser, live_server, city.volunteer, width=width, language=language)
    try:
        page.goto(live_server.at("/"))
        page.locator(".main-nav a[href='/service-requests/']").click()
        page.wait_for_url("**/service-requests/")
        buttons = page.locator("button.claim-button")
        expect(buttons).to_have_count(2)
        box = buttons.first.bounding_box()
        assert box["height"] >= 60 and float(buttons.first.evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)")) >= 24
        assert "张奶奶" not in page.locator("main").inner_text()  # not theirs to see before they claim
        assert page.evaluate(SIDEWAYS) <= 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"requests-volunteer-{language}-{width}.png"), full_page=True)
        buttons.first.click()
        page.wait_for_load_state()
        assert "张奶奶" in page.locator("main").inner_text()
        assert page.locator(".flash.success").count() >= 1
        page.goto(live_server.at("/service-requests/"))
        assert WORDS[language]["mine"] in page.locator("main").inner_text()
        assert page.locator("button.claim-button").count() == 1
        assert page.evaluate(SIDEWAYS) <= 1
        page.screenshot(path=str(ARTIFACTS / f"requests-volunteer-claimed-{language}-{width}.png"), full_page=True)
    finally:
        context.close()


# Chinese on a phone and English on a desk: the crawler covers Chinese at both widths.
@pytest.mark.parametrize("language, width", [("zh", 360), ("en", 1280)])
def test_staff_see_the_day_post_assign_and_complete(browser, live_server, city, requests, language, width):
    context, page = open_as(browser, live_server, city.staff, width=width, language=language)
    try:
        page.goto(live_server.at("/"))
        page.locator(".main-nav a[href='/service-requests/']").click()
        today = datetime.now(ZONE).date()
        expected = sum(1 for key in ("open", "later", "yesterday") if requests[key].starts_at.astimezone(ZONE).date() ==
                       today)  # late in the evening "later" is tomorrow's; "yesterday" never is
        assert page.locator("table.list tbody tr").count() == expected >= 1
        assert page.evaluate(SIDEWAYS) <= 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"requests-staff-day-{language}-{width}.png"), full_page=True)

        page.goto(live_server.at("/service-requests/new"))
        start = datetime.now(ZONE).replace(second=0, microsecond=0) + timedelta(days=1)
        page.locator("#f-service_type").select_option("visit")
        page.locator("#f-resident").fill("5号楼 李爷爷")
        page.locator("#f-starts_at").fill(start.strftime("%Y-%m-%dT%H:%M"))
        page.locator("#f-ends_at").fill((start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
        page.locator("#f-place").fill("老人家中")
        page.screenshot(path=str(ARTIFACTS / f"requests-staff-new-{language}-{width}.png"), full_page=True)
        page.get_by_role("button", name=WORDS[language]["post"]).click()
        page.wait_for_load_state()
        assert "李爷爷" in page.locator("main").inner_text()
        assert page.evaluate(SIDEWAYS) <= 1

        past = requests["yesterday"]
        page.goto(live_server.at(f"/service-requests/{past.id}"))
        page.locator("#f-volunteer_id").select_option(str(city.volunteer.volunteer_id))
        page.locator(".inline-form button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator(f"#f-volunteer_ids input[value='{city.volunteer.volunteer_id}']").is_checked()
        page.screenshot(path=str(ARTIFACTS / f"requests-staff-request-{language}-{width}.png"), full_page=True)
        assert page.evaluate(SIDEWAYS) <= 1
        page.get_by_role("button", name=WORDS[language]["complete"]).click()
        page.wait_for_load_state()
        [record] = list_records(requests["db"], actor=SYSTEM).items
        assert (record.request_id, record.status, record.minutes) == (past.id, "pending", 90)
        page.screenshot(path=str(ARTIFACTS / f"requests-staff-completed-{language}-{width}.png"), full_page=True)
    finally:
        context.close()
