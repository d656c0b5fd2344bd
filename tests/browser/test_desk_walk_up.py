"""A walk-up at the pickup desk in Chromium, on both databases: JK01's staff serve a volunteer of RZ02 (credits are
spent at any center, 通存通兑). Part of the phone number finds nobody of another center; the whole number, typed
as people type it, shows the volunteer's name, home center and the credits they can spend before anything is handed
over; too much for those credits is refused in plain words with the volunteer still chosen; then the goods are
handed over and the credits taken. At 1280 px in Chinese and 800 px in English, kept as screenshots
(test-artifacts/desk-walk-up-*.png); axe-core finds nothing serious and nothing scrolls sideways."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_accessibility import describe, run_axe
from tests.drive_helpers import balance, stock_of, top_up
from timebank.auth.access import Principal
from timebank.catalog.services import create_item
from timebank.centers.services import list_centers
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.drives.planning import create_drive
from timebank.receipts.rules import mask_name
from timebank.volunteers.services import list_volunteers

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

SYSTEM = Principal.system("test")
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
WORDS = {
    "zh": {"nobody": "其他中心的志愿者，请输入完整的手机号", "home": "金山街道养老服务中心（RZ02）",
           "credits": "20.00 时间币", "poor": "时间币不够", "hand_over": "请交给", "rice": "大米 5公斤",
           "button": "预约并当场发放", "search": "搜索"},
    "en": {"nobody": "For a volunteer of another center, type the whole phone number", "home":
           "金山街道养老服务中心 (RZ02)", "credits": "20.00 credits", "poor": "Not enough credits",
           "hand_over": "Hand over to", "rice": "Rice, 5 kg", "button": "Reserve and hand over", "search": "Search"},
}


@pytest.fixture
def walker(live_server, city):
    """A drive handing rice (12.50) and oil (30.00) over at JK01 now, and 钱国 of RZ02 holding 20.00 credits."""
    db = get_db(live_server.app)
    now = utcnow().replace(microsecond=0)
    create_item(db, actor=SYSTEM, sku="RICE-5KG", name_zh="大米 5公斤", name_en="Rice, 5 kg", unit="袋", price=12_50)
    create_item(db, actor=SYSTEM, sku="OIL-5L", name_zh="食用油 5升", name_en="Cooking oil, 5 l", unit="桶",
                price=30_00)
    drive = create_drive(db, actor=SYSTEM, name="2026 年第四季度兑换活动", centers=["JK01"],
                         opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7),
                         pickup_until=now + timedelta(days=14), now=now, items=[
                             {"sku": sku, "center": "JK01", "stock": 10, "limit_per_volunteer": None}
                             for sku in ("RICE-5KG", "OIL-5L")])
    [volunteer] = list_volunteers(db, actor=SYSTEM, search="13700000001").items  # 钱国, home RZ02
    top_up(db, volunteer.id, list_centers(db, actor=SYSTEM, search="RZ02").items[0], 20_00)
    return type("Walker", (), dict(db=db, drive=drive, volunteer=volunteer))


@pytest.mark.parametrize("language, width", [("zh", 1280), ("en", 800)])
def test_staff_serve_a_walk_up_of_another_center_found_by_the_whole_phone_number(browser, live_server, city, walker,
                                                                               axe_source, language, width):
    words, volunteer = WORDS[language], walker.volunteer
    context = browser.new_context(viewport={"width": width, "height": 1000}, locale="zh-CN")
    context.add_cookies([{"name": "tb_lang", "value": language, "url": live_server.url}])
    try:
        page = context.new_page()
        sign_in(page, live_server, city.staff)
        page.goto(live_server.at("/desk/"))
        search = page.locator("#f-search")

        search.fill(volunteer.phone[-7:])  # part of another center's number: nobody is offered
        page.get_by_role("button", name=words["search"], exact=True).click()
        expect(page.locator("#walk-up")).to_contain_text(words["nobody"])
        expect(page.locator("#f-volunteer_id")).to_have_count(0)

        search.fill(f"{volunteer.phone[:3]} {volunteer.phone[3:7]} {volunteer.phone[7:]}")
        page.get_by_role("button", name=words["search"], exact=True).click()
        who = page.locator("#walk-up-who")
        expect(who).to_contain_text(volunteer.name)
        expect(who).to_contain_text(words["home"])
        expect(who).to_contain_text(words["credits"])
        expect(page.locator("#f-volunteer_id")).to_have_value(str(volunteer.id))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"desk-walk-up-found-{language}-{width}.png"), full_page=True)
        found = run_axe(page, axe_source, enhanced_contrast=False)
        assert not found, describe(found)
        assert page.evaluate(SIDEWAYS) <= 0

        page.locator("input[name='qty-OIL-5L']").fill("1")  # 30.00 of 20.00
        page.get_by_role("button", name=words["button"]).click()
        expect(page.locator("#desk-answer .desk-answer.is-refused")).to_contain_text(words["poor"])
        expect(who).to_contain_text(volunteer.name)  # still the one chosen: no second search
        assert stock_of(walker.db, walker.drive.id, "JK01", "OIL-5L") == (10, 0, 0)

        page.locator("input[name='qty-OIL-5L']").fill("")
        page.locator("input[name='qty-RICE-5KG']").fill("1")
        page.get_by_role("button", name=words["button"]).click()
        green = page.locator("#desk-answer .desk-answer.is-ok")
        expect(green).to_contain_text(words["hand_over"])
        expect(green).to_contain_text(mask_name(volunteer.name))
        expect(green).to_contain_text(words["rice"])
        assert balance(walker.db, volunteer.id).available == 20_00 - 12_50
        assert stock_of(walker.db, walker.drive.id, "JK01", "RICE-5KG") == (10, 0, 1)
        page.screenshot(path=str(ARTIFACTS / f"desk-walk-up-handed-over-{language}-{width}.png"), full_page=True)
        assert page.evaluate(SIDEWAYS) <= 0
    finally:
        context.close()
