"""The import as a center's staff do it, in a real browser: download the XLSX template, fill it in (with a 备注
column of their own), upload it, confirm (issue 6, bug 8)."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def test_staff_fill_in_the_xlsx_template_and_import_it(page, live_server, city):
    sign_in(page, live_server, city.staff)
    page.goto(live_server.at("/volunteers/import"))
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX 模板").click()
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]] == ["姓名", "手机号", "服务中心", "身份证后四位", "出生年份"]
    sheet["F1"] = "备注"
    for row, values in ((2, ["周建华", "13900005555", "JK01", "", 1952, "只在周末"]),
                        (3, ["吴美兰", "13900006666", "jk01", "123X", None, None])):  # typed as a person would
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value)
    filled = io.BytesIO()
    workbook.save(filled)

    page.get_by_label("CSV 或 XLSX 文件").set_input_files(files=[{
        "name": "志愿者.xlsx", "buffer": filled.getvalue(),
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    page.get_by_role("button", name="检查文件").click()
    expect(page.get_by_text("第 6 列（备注）不是导入所用的列，已忽略")).to_be_visible()
    summary = page.locator(".report-summary")
    expect(summary.locator("div", has_text="志愿者行数").locator("dd")).to_have_text("2")
    page.get_by_role("button", name="导入 2 名志愿者").click()

    expect(page.get_by_role("status")).to_contain_text("新登记 2 名志愿者")
    names = page.locator("table.list tbody tr td:first-child").all_inner_texts()
    assert {"周建华", "吴美兰"} <= set(names)


def test_a_photo_uploaded_by_mistake_is_answered_in_chinese(page, live_server, city):
    sign_in(page, live_server, city.staff)
    page.goto(live_server.at("/volunteers/import"))
    page.get_by_label("CSV 或 XLSX 文件").set_input_files(files=[{
        "name": "IMG_0001.png", "mimeType": "image/png",
        "buffer": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"}])
    page.get_by_role("button", name="检查文件").click()
    expect(page.locator("#f-file-error")).to_contain_text("这不是 CSV 或 XLSX 文件")
