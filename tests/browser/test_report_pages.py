"""The report pages in Chromium: an admin's at 1280 px, a staff member's at 360 px (the table scrolls in its own box,
never the page), each with its chart drawn and no complaint from the Content-Security-Policy, axe-core finding
nothing serious, and screenshots kept in test-artifacts/reports/."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in, sqlite_only
from tests.browser.test_accessibility import describe, run_axe
from tests.report_helpers import seed_reports
from timebank.db import get_db

pytestmark = [sqlite_only, pytest.mark.usefixtures("fast_password_hashing")]
SHOTS = ARTIFACTS / "reports"


def test_admin_and_staff_read_the_reports_at_1280_and_360_px(browser, live_server, make_user, axe_source):
    seed_reports(get_db(live_server.app))
    admin = make_user("admin")
    staff = make_user("staff", center="RZ01")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for login, width, height in ((admin, 1280, 900), (staff, 360, 740)):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        try:
            page = context.new_page()
            complaints = []
            page.on("console", lambda message: complaints.append(message.text)
                    if "Content Security Policy" in message.text else None)
            sign_in(page, live_server, login)
            page.get_by_role("link", name="统计报表", exact=True).click()
            expect(page.locator("h1")).to_have_text("统计报表")
            for name, title in (("hours", "服务时长与时间币"), ("liability", "时间币存量（待兑付）"),
                                ("drive", "兑换领取情况")):
                page.goto(live_server.at(f"/reports/{name}"))
                expect(page.locator("h1")).to_have_text(title)
                expect(page.locator("figure.chart svg")).to_be_visible()
                expect(page.locator(".report-table tfoot")).to_contain_text("合计")
                if login is staff:
                    expect(page.locator(".report-table tbody")).not_to_contain_text("JK01")
                assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") \
                    <= 1, f"/reports/{name} scrolls sideways at {width} px"
                assert not (found := run_axe(page, axe_source, enhanced_contrast=True)), describe(found)
                page.screenshot(path=str(SHOTS / f"{name}-{login.role}-{width}.png"), full_page=True)
            assert complaints == []
        finally:
            context.close()
