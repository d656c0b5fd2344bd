"""A list longer than a page (issue 6, bug 1): the pager works, keeps the filters, and odd page numbers never fail."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import EXTRA_VOLUNTEERS, sign_in, sqlite_only


def test_the_admin_pages_through_the_volunteers_keeping_the_filter(page, live_server, city):
    sign_in(page, live_server, city.admin)
    page.goto(live_server.at("/volunteers/"))
    expect(page.locator("table.list caption")).to_have_text(f"共 {EXTRA_VOLUNTEERS + 1} 名志愿者")
    expect(page.locator("table.list tbody tr")).to_have_count(20)
    page.get_by_role("link", name="下一页").click()
    expect(page.locator(".pager p")).to_have_text("第 2 页，共 2 页")
    expect(page.locator("table.list tbody tr")).to_have_count(EXTRA_VOLUNTEERS + 1 - 20)
    page.get_by_role("link", name="上一页").click()
    expect(page.locator(".pager p")).to_have_text("第 1 页，共 2 页")

    page.get_by_label("所属中心").select_option("RZ02")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name="下一页").click()
    assert "center=RZ02" in page.url and "page=2" in page.url
    expect(page.get_by_label("所属中心")).to_have_value("RZ02")


@sqlite_only
def test_hand_edited_page_numbers_show_a_list(page, live_server, city):
    sign_in(page, live_server, city.admin)
    for query in ("page=0", "page=2", "page=99", "page=abc", "per_page=abc", "per_page=0", "page=-1&per_page=9999"):
        for path in ("/volunteers/", "/centers/", "/users/", "/service-types/", "/audit/"):
            response = page.goto(live_server.at(f"{path}?{query}"))
            assert response.status == 200, f"{path}?{query}: {response.status}"
    page.goto(live_server.at("/volunteers/?page=99"))
    page.get_by_role("link", name="回到第一页").click()
    expect(page.locator("table.list tbody tr")).to_have_count(20)
