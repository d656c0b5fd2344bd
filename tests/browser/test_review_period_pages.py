"""A supervision period in Chromium: a supervisor evaluates a center on its page (the sample, the score form), an
admin closes the period with its button, and the public page of the center shows the published result to anyone,
at 360 px, without sideways scrolling, with no volunteer's name, and with nothing serious for axe-core."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in, sign_out, sqlite_only
from tests.browser.test_accessibility import describe, run_axe
from tests.review_helpers import seed_review_city
from timebank.clock import utcnow
from timebank.db import get_db

pytestmark = [sqlite_only, pytest.mark.usefixtures("fast_password_hashing")]
SHOTS = ARTIFACTS / "supervision_periods"


def test_a_supervisor_evaluates_an_admin_closes_and_the_public_page_shows_it(browser, page, live_server, city,
                                                                              axe_source):
    seeded = seed_review_city(get_db(live_server.app), now=utcnow(), zone=live_server.app.config["TIMEZONE"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server, city.supervisor)
    page.get_by_role("link", name="过程评价", exact=True).click()
    page.get_by_role("link", name="大市口街道养老服务中心").first.click()
    expect(page.locator("main table.list tbody tr")).to_have_count(10)
    for aspect, score in (("punctuality", "5"), ("service_quality", "4"), ("record_keeping", "4"),
                          ("satisfaction", "5")):
        page.locator(f"#f-{aspect}").select_option(score)
    page.locator("#f-comment").fill("记录规范，回访及时")
    page.get_by_role("button", name="保存我的评价").click()
    expect(page.locator("body")).to_contain_text("您对中心 JK01 的评价已保存")
    assert not (found := run_axe(page, axe_source, enhanced_contrast=False)), describe(found)
    page.screenshot(path=str(SHOTS / "supervisor-center-1280-zh.png"), full_page=True)
    sign_out(page)

    sign_in(page, live_server, city.admin)
    page.get_by_role("link", name="过程评价", exact=True).click()
    page.locator("main table.list a").first.click()
    page.get_by_role("button", name="结束本周期并公示").click()
    expect(page.locator("body")).to_contain_text("本周期已结束，结果已公示")

    phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    try:
        public = phone.new_page()
        for name, path in (("public-city", "/public/"), ("public-center", "/public/centers/JK01")):
            assert public.goto(live_server.at(path)).status == 200
            main = public.locator("main")
            expect(main).to_contain_text("督导员 1")
            expect(main).to_contain_text("记录规范，回访及时")
            expect(main).to_contain_text("7")  # volunteers active
            html = public.content()
            assert not [n for n in seeded.names if n in html]
            assert public.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") \
                <= 1, f"{path} scrolls sideways at 360 px"
            assert not (found := run_axe(public, axe_source, enhanced_contrast=False)), describe(found)
            public.screenshot(path=str(SHOTS / f"{name}-360-zh.png"), full_page=True)
        public.locator("form button[name=language][value=en]").click()
        expect(public.locator("h1")).to_have_text("大市口街道养老服务中心")
        expect(public.locator("main")).to_contain_text("Supervisor 1")
        public.screenshot(path=str(SHOTS / "public-center-360-en.png"), full_page=True)
    finally:
        phone.close()
