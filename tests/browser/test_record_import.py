"""The record-book import as a center's staff do it, in Chromium at 360 px and 1280 px, in Chinese and English:
download the template, fill in the paper book, check it (every bad line with its number, column and reason), correct
it, confirm. Screenshots go to test-artifacts/ (record-import-<step>-<language>-<width>.png)."""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in, sqlite_only
from timebank.auth.access import Principal
from timebank.db import get_db
from timebank.service_types.services import create_service_type

pytestmark = sqlite_only
DAY = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=2)).date().isoformat()
HEADER = "志愿者手机号,志愿者姓名,服务类型,日期,开始时间,结束时间,备注\n"
WORDS = {
    # 15:00 to 14:00 is read as ending the next day (as on the staff's form), which is too long: said so.
    "zh": {"check": "检查文件", "file": "CSV 或 XLSX 文件",
           "bad": "结束时间早于开始时间，按次日 14:00 结束计算，超过了一条服务记录最长 12 小时的限制。", "column": "结束时间",
           "confirm": "导入 2 条服务记录", "done": "新建 2 条服务记录", "template": "XLSX 模板"},
    "en": {"check": "Check the file", "file": "CSV or XLSX file",
           "bad": "The end time is earlier than the start, so the service is taken to end the next day at 14:00: that "
                  "is longer than the 12 hours a service record may last.",
           "column": "End time", "confirm": "Import 2 service records", "done": "2 service records waiting",
           "template": "XLSX template"},
}


@pytest.fixture
def book(app, city):
    create_service_type(get_db(app), actor=Principal.system("test"), code="visit", name_zh="上门探访",
                        name_en="Home visit", credits_per_hour=150)
    return city


def open_page(browser, live_server, login, *, width: int, language: str):
    context = browser.new_context(viewport={"width": width, "height": 800 if width < 800 else 900},
                                  accept_downloads=True)
    context.add_cookies([{"name": "tb_lang", "value": language, "url": live_server.url}])
    page = context.new_page()
    sign_in(page, live_server, login)
    page.goto(live_server.at("/hours/import/"))
    return context, page


def check(page, words, name: str, data: bytes) -> None:
    page.get_by_label(words["file"]).set_input_files(files=[{"name": name, "buffer": data, "mimeType": "text/csv"}])
    page.get_by_role("button", name=words["check"]).click()
    page.wait_for_load_state()


def sideways(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


# Chinese on a phone and English on a desk: the crawler covers Chinese at both widths.
@pytest.mark.parametrize("language, width", [("zh", 360), ("en", 1280)])
def test_staff_check_a_book_correct_it_and_import_it(browser, live_server, book, language, width):
    words = WORDS[language]
    context, page = open_page(browser, live_server, book.staff, width=width, language=language)
    try:
        assert sideways(page) <= 0
        page.screenshot(path=str(ARTIFACTS / f"record-import-form-{language}-{width}.png"), full_page=True)
        bad = HEADER + f"13805291234,王秀英,visit,{DAY},09:00,11:00,\n13805291234,王秀英,上门探访,{DAY},15:00,14:00,\n"
        check(page, words, "记录本.csv", bad.encode("gbk"))
        row = page.locator("table.list tbody tr")
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(0)).to_have_text("3")
        expect(row.locator("td").nth(1)).to_have_text(words["column"])
        expect(row.locator("td").nth(2)).to_have_text(words["bad"])
        assert sideways(page) <= 0
        page.screenshot(path=str(ARTIFACTS / f"record-import-errors-{language}-{width}.png"), full_page=True)

        good = bad.replace("15:00,14:00", "14:00,15:00")
        check(page, words, "记录本.csv", good.encode("gbk"))
        page.screenshot(path=str(ARTIFACTS / f"record-import-checked-{language}-{width}.png"), full_page=True)
        page.get_by_role("button", name=words["confirm"]).click()
        page.wait_for_load_state()
        expect(page.get_by_role("status")).to_contain_text(words["done"])
        page.screenshot(path=str(ARTIFACTS / f"record-import-done-{language}-{width}.png"), full_page=True)
    finally:
        context.close()


def test_the_xlsx_template_has_chinese_headers_and_imports_once_filled(browser, live_server, book):
    words = WORDS["zh"]
    context, page = open_page(browser, live_server, book.staff, width=1280, language="zh")
    try:
        with page.expect_download() as download:
            page.get_by_role("link", name=words["template"]).click()
        workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()))
        sheet = workbook.worksheets[0]
        assert [c.value for c in sheet[1]] == ["志愿者手机号", "志愿者姓名", "服务类型", "日期", "开始时间", "结束时间", "备注"]
        sheet.append(["13805291234", "王秀英", "上门探访", DAY, "8:30", "10:00", "读报"])
        out = io.BytesIO()
        workbook.save(out)
        page.get_by_label(words["file"]).set_input_files(files=[{
            "name": "记录本.xlsx", "buffer": out.getvalue(),
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
        page.get_by_role("button", name=words["check"]).click()
        page.get_by_role("button", name="导入 1 条服务记录").click()
        expect(page.get_by_role("status")).to_contain_text("新建 1 条服务记录")
    finally:
        context.close()
