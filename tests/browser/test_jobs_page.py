"""The admin's page of the scheduled jobs in Chromium: reached from the menu, each job with its schedule in words, the
runs paged (45 of them: three pages) and filtered, a job run by its button and the run shown at the top; scanned
with axe-core in Chinese at 1280 px and in English on a 360 px phone (no sideways scrolling), screenshots kept in
test-artifacts/jobs-*.png."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in, sqlite_only
from tests.browser.test_accessibility import describe, run_axe
from tests.jobs_helpers import expired_lot_ids, mint_lots, seed_runs
from timebank.clock import utcnow
from timebank.db import get_db

pytestmark = [sqlite_only, pytest.mark.usefixtures("fast_password_hashing")]
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def history(live_server, city):
    """45 runs of void-stale-holds (every fifth failed) and two lots due for expiry."""
    db = get_db(live_server.app)
    now = utcnow()
    seed_runs(db, 45, now=now - timedelta(minutes=1))
    return mint_lots(db, expiring=[now - timedelta(days=1), now - timedelta(hours=2)],
                     minted_at=now - timedelta(days=800))


def test_the_admin_pages_through_the_runs_and_runs_a_job_by_its_button(page, live_server, city, history, axe_source):
    sign_in(page, live_server, city.admin)
    page.get_by_role("link", name="定时任务", exact=True).first.click()
    expect(page.locator("h1")).to_have_text("定时任务")
    expect(page.locator("p.hint span[translate=no]")).to_have_text("Asia/Shanghai")  # the zone, left as written
    jobs, runs = page.locator("table.list").nth(0), page.locator("table.list").nth(1)
    expect(jobs.locator("tbody tr")).to_have_count(4)
    expect(jobs.locator("tbody tr").nth(0)).to_contain_text("时间币到期清理")
    expect(jobs.locator("tbody tr").nth(0)).to_contain_text("每天 00:10")
    expect(jobs.locator("tbody tr").nth(1)).to_contain_text("每 5 分钟")
    expect(jobs.locator("tbody tr").nth(3)).to_contain_text("每月 1 日 03:00")
    expect(jobs.locator("tbody tr").nth(0)).to_contain_text("从未运行")
    expect(runs.locator("caption")).to_have_text("共 45 次运行")
    expect(runs.locator("tbody tr")).to_have_count(20)
    assert not (found := run_axe(page, axe_source, enhanced_contrast=False)), describe(found)
    page.screenshot(path=str(ARTIFACTS / "jobs-zh-1280.png"), full_page=True)

    page.get_by_role("link", name="下一页").click()
    expect(page.locator(".pager p")).to_have_text("第 2 页，共 3 页")
    page.get_by_role("link", name="下一页").click()
    expect(page.locator(".pager p")).to_have_text("第 3 页，共 3 页")
    expect(runs.locator("tbody tr")).to_have_count(5)
    page.get_by_label("结果").select_option("failed")
    page.get_by_role("button", name="搜索").click()
    expect(runs.locator("caption")).to_have_text("共 9 次运行")
    expect(runs.locator("tbody tr").first).to_contain_text("失败")
    expect(runs.locator("tbody tr").first).to_contain_text("OperationalError: the database was unreachable")

    page.get_by_role("button", name="立即运行 时间币到期清理").click()
    expect(page.locator(".flash.success")).to_have_text("时间币到期清理 已运行完毕：到期的时间币批次：2。")
    assert expired_lot_ids(get_db(live_server.app)) == set(history)
    expect(runs.locator("caption")).to_have_text("共 46 次运行")
    newest = runs.locator("tbody tr").first
    for words in ("时间币到期清理", "成功", "到期的时间币批次：2", f"管理页面 ({city.admin.username})"):
        expect(newest).to_contain_text(words)
    expect(jobs.locator("tbody tr").nth(0)).to_contain_text("成功")
    assert not (found := run_axe(page, axe_source, enhanced_contrast=False)), describe(found)


def test_the_jobs_page_in_english_on_a_phone(browser, live_server, city, history, axe_source):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    context.add_cookies([{"name": "tb_lang", "value": "en", "url": live_server.url}])
    try:
        page = context.new_page()
        sign_in(page, live_server, city.admin)
        page.goto(live_server.at("/jobs/?outcome=failed"))
        expect(page.locator("h1")).to_have_text("Scheduled jobs")
        expect(page.locator("table.list").nth(0)).to_contain_text("Void reservations not picked up")
        expect(page.locator("table.list").nth(0)).to_contain_text("Every 5 minutes")
        expect(page.locator("table.list").nth(1).locator("caption")).to_have_text("9 runs")
        page.get_by_role("button", name="Run now Rotate the signing keys").click()
        expect(page.locator(".flash.success")).to_have_text("Rotate the signing keys ran: Keys created: 1; "
                                                            "Keys retired: 0.")
        assert page.evaluate(SIDEWAYS) <= 1
        assert not (found := run_axe(page, axe_source, enhanced_contrast=False)), describe(found)
        page.screenshot(path=str(ARTIFACTS / "jobs-en-360.png"), full_page=True)
    finally:
        context.close()
