"""The supervisor's pages in Chromium: rating a record once through its form, and the anomalies and rating pages
at 1280 px and 360 px, in Chinese and English, with screenshots kept in test-artifacts/supervision/."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in, sqlite_only
from tests.browser.pages import ids_of

pytestmark = [sqlite_only, pytest.mark.usefixtures("fast_password_hashing")]
SHOTS = ARTIFACTS / "supervision"
VIEWPORTS = {"1280": {"width": 1280, "height": 900}, "360": {"width": 360, "height": 740}}


def test_a_supervisor_rates_a_record_once_in_the_browser(page, live_server, city):
    record_id = ids_of(live_server.app)["anomalies"]["approved"]
    sign_in(page, live_server, city.supervisor)
    page.get_by_role("link", name="服务记录评分", exact=True).click()
    page.locator(f'a[href="/record-reviews/{record_id}"]').click()
    page.locator("#f-rating").select_option("4")
    page.locator("#f-comment").fill("准时到达，老人很满意")
    page.get_by_role("button", name="提交评分").click()
    expect(page.locator("body")).to_contain_text(f"已保存您对服务记录 {record_id} 的评分")
    page.goto(live_server.at(f"/record-reviews/{record_id}"))
    expect(page.locator("body")).to_contain_text("4 分 – 较好")
    expect(page.locator("#f-rating")).to_have_count(0)


def test_the_anomalies_page_links_each_record_in_words(page, live_server, city):
    ids = ids_of(live_server.app)["anomalies"]
    sign_in(page, live_server, city.staff)
    page.get_by_role("link", name="异常情况").click()
    for words in ("单日超过8小时", "补录过晚", "自己登记自己审核", "同时在两个中心", "未签退"):
        expect(page.locator("main table")).to_contain_text(words)
    page.locator(f'a[href="/anomalies/records/{ids["unclosed"]}"]').first.click()
    expect(page.locator("h1")).to_have_text(f"服务记录 {ids['unclosed']}")
    expect(page.locator("main")).to_contain_text("未签退")


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_screenshots_of_the_supervisors_pages(browser, live_server, city, language):
    ids = ids_of(live_server.app)["anomalies"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, viewport in VIEWPORTS.items():
        context = browser.new_context(viewport=viewport, locale=language)
        try:
            # this device's language choice, as the language switch leaves it
            context.add_cookies([{"name": "tb_lang", "value": "en" if language == "en" else "zh",
                                  "url": live_server.url}])
            page = context.new_page()
            sign_in(page, live_server, city.supervisor)
            for name, path in (("anomalies", "/anomalies/"), ("reviews", "/record-reviews/"),
                               ("rating", f"/record-reviews/{ids['approved']}"),
                               ("record", f"/anomalies/records/{ids['two_centers'][0]}")):
                response = page.goto(live_server.at(path))
                assert response.status == 200, path
                assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") \
                    <= 1, f"{path} scrolls sideways at {width} px"
                if language == "en":
                    assert not re.search(r"[\u4e00-\u9fff]{2,}", page.locator("h1").inner_text()), path
                page.screenshot(path=str(SHOTS / f"{name}-{width}-{language}.png"), full_page=True)
        finally:
            context.close()
