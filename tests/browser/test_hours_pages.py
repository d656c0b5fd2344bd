"""Service records in real Chromium: staff log a record through the form and approve it; the record's page then shows
the receipt's QR, which (decoded from a screenshot with zxing-cpp, as a phone camera reads it) opens the public
receipt page saying valid. Then every hours page at 360 and 1280 px, in Chinese and English, screenshotted for
looking at (test-artifacts/hours-*.png) and checked not to scroll sideways."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from timebank.auth.access import Principal
from timebank.db import get_db
from timebank.hours import services
from timebank.service_types.services import create_service_type

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

SYSTEM = Principal.system("test")
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def visit_type(live_server, city):
    create_service_type(get_db(live_server.app), actor=SYSTEM, code="visit", name_zh="上门探访",
                        name_en="Home visit", credits_per_hour=150)


def decode_qr(png: bytes) -> str:
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "no QR code found in the screenshot"
    return found[0].text


def test_staff_log_and_approve_a_record_and_its_receipt_qr_verifies(page, live_server, city, visit_type):
    sign_in(page, live_server, city.staff)
    page.get_by_role("link", name="服务记录").first.click()
    page.get_by_role("link", name="登记服务").click()
    page.locator("#f-volunteer_id").select_option(label="王秀英 · 手机尾号 1234")
    page.locator("#f-service_type").select_option("visit")
    day = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=1)).date().isoformat()
    page.locator("#f-date").fill(day)
    page.locator("#f-start").fill("09:00")
    page.locator("#f-end").fill("11:30")
    page.locator("#f-note").fill("陪张奶奶去医院")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.locator(".record-state")).to_contain_text("待审核")
    expect(page.locator(".record-facts")).to_contain_text("2 小时 30 分钟")
    page.get_by_role("button", name="通过", exact=True).click()
    expect(page.locator(".flash.success")).to_contain_text("3.75")
    expect(page.locator(".record-state")).to_contain_text("已通过")
    qr = page.locator("img.receipt-qr")
    expect(qr).to_be_visible()
    page.wait_for_function("() => document.querySelector('img.receipt-qr').naturalWidth > 0")
    text = decode_qr(qr.screenshot())
    assert text.startswith("HTTP://127.0.0.1:") and "/R/" in text, text
    receipt = page.context.browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    try:
        phone = receipt.new_page()
        response = phone.goto(live_server.at(urlsplit(text).path))
        assert response.status == 200
        expect(phone.locator(".verdict-word")).to_have_text("有效")
        expect(phone.locator(".receipt-facts")).to_contain_text("3.75")
    finally:
        receipt.close()


def _records(app, city) -> dict:
    """A pending record, an approved one (with its receipt) and a group of three, for the screenshots."""
    db = get_db(app)
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    pending = services.log_record(db, actor=SYSTEM, volunteer_id=city.volunteer.volunteer_id, center="JK01",
                                  service_type="visit", started_at=start, ended_at=start + timedelta(hours=2),
                                  note="陪老人聊天")
    approved = services.log_record(db, actor=SYSTEM, volunteer_id=city.volunteer.volunteer_id, center="JK01",
                                   service_type="visit", started_at=start - timedelta(hours=5),
                                   ended_at=start - timedelta(hours=3, minutes=30))
    services.approve_records(db, actor=SYSTEM, record_ids=[approved.id], validity_days=730)
    return {"pending": pending.id, "approved": approved.id}


# Chinese on a phone and English on a desk: the crawler covers Chinese at both widths.
@pytest.mark.parametrize("language, width", [("zh", 360), ("en", 1280)])
def test_every_hours_page_fits_the_screen_and_is_kept_as_a_screenshot(browser, live_server, city, visit_type,
                                                                       language, width):
    records = _records(live_server.app, city)
    shots = [("staff", "list", "/records/?status=pending"),
             ("staff", "all", "/records/?status="),
             ("staff", "new", "/records/new"),
             ("staff", "group", "/records/new/group"),
             ("staff", "pending", f"/records/{records['pending']}"),
             ("staff", "approved", f"/records/{records['approved']}"),
             ("volunteer", "rating", f"/records/{records['pending']}")]
    for role, name, path in shots:
        context = browser.new_context(viewport={"width": width, "height": 800 if width < 800 else 900})
        context.add_cookies([{"name": "tb_lang", "value": language, "url": live_server.url}])
        try:
            page = context.new_page()
            sign_in(page, live_server, getattr(city, role))
            response = page.goto(live_server.at(path))
            assert response.status == 200, (name, response.status)
            if name == "new":  # refused: how the messages stand beside the fields
                page.locator("#f-start").fill("11:00")
                page.locator("#f-end").fill("10:00")
                page.locator("main form.panel button[type=submit]").click()
                expect(page.locator("#f-end-error")).to_be_visible()
            assert page.evaluate(SIDEWAYS) <= 1, f"{name} scrolls sideways at {width} px"
            page.screenshot(path=str(ARTIFACTS / f"hours-{name}-{language}-{width}.png"), full_page=True)
        finally:
            context.close()
