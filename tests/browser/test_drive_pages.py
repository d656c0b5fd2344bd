"""The drives' pages in real Chromium: a volunteer on a 360 px phone in Chinese (and at 1280 px in English) picks
goods in the basket, sees the running total, reserves, and gets the voucher, whose QR (decoded from a screenshot with
zxing-cpp, as a phone camera reads it) opens the public receipt page saying valid; the admin's dashboard refreshes
its figures by itself; every drive page kept as a screenshot (test-artifacts/drive-*.png) and checked not to scroll
sideways."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_hours_pages import decode_qr
from tests.drive_helpers import top_up
from timebank.auth.access import Principal
from timebank.catalog.services import create_item
from timebank.centers.services import list_centers
from timebank.db import get_db
from timebank.drives.planning import create_drive
from timebank.drives.queries import drive_stock
from timebank.drives.reservations import reserve

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

SYSTEM = Principal.system("test")
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
WORDS = {
    "zh": {"choose": "选择物品", "reserve": "预约这些物品", "total": "合计：25.00 时间币", "valid": "有效",
           "reserved": "预约成功", "to_collect": "待领取"},
    "en": {"choose": "Choose goods", "reserve": "Reserve these goods", "total": "Total: 25.00 credits",
           "valid": "Valid", "reserved": "Reserved!", "to_collect": "To collect"},
}


@pytest.fixture
def drive(live_server, city):
    """Rice (12.50, at most 3), oil (30.00) and eggs (8.00, at most 2) at JK01 and RZ02, open since an hour ago; the
    volunteer 王秀英 (home JK01) holds 40.00 credits."""
    db = get_db(live_server.app)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    goods = (("RICE-5KG", "大米 5公斤", "Rice, 5 kg", "袋", 12_50, 3), ("OIL-5L", "食用油 5升", "Cooking oil, 5 l", "桶",
                                                                     30_00, None),
             ("EGG-10", "鸡蛋 10个", "Eggs, 10", "盒", 8_00, 2))
    for sku, zh, en, unit, price, _limit in goods:
        create_item(db, actor=SYSTEM, sku=sku, name_zh=zh, name_en=en, unit=unit, price=price)
    made = create_drive(db, actor=SYSTEM, name="2026 年第四季度兑换活动", centers=["JK01", "RZ02"],
                        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7),
                        pickup_until=now + timedelta(days=14), now=now,
                        items=[{"sku": sku, "center": center, "stock": stock, "limit_per_volunteer": limit}
                               for sku, _zh, _en, _unit, _price, limit in goods
                               for center, stock in (("JK01", 20), ("RZ02", 5))])
    top_up(db, city.volunteer.volunteer_id, list_centers(db, actor=SYSTEM, search="JK01").items[0], 40_00)
    return made


def rice_at_jk01(app, drive_id: int):
    [entry] = [e for e in drive_stock(get_db(app), actor=SYSTEM, drive_id=drive_id, center="JK01")
               if e.sku == "RICE-5KG"]
    return entry.stock, entry.held, entry.sold


@pytest.mark.parametrize("language, width", [("zh", 360), ("en", 1280)])
def test_a_volunteer_reserves_and_the_voucher_qr_opens_the_receipt_saying_valid(browser, live_server, city, drive,
                                                                               language, width):
    words = WORDS[language]
    context = browser.new_context(viewport={"width": width, "height": 800 if width < 800 else 900},
                                  is_mobile=width < 800, has_touch=width < 800)
    context.add_cookies([{"name": "tb_lang", "value": language, "url": live_server.url}])
    try:
        page = context.new_page()
        sign_in(page, live_server, city.volunteer)
        page.get_by_role("link", name=words["choose"]).first.click()
        expect(page.locator("#available")).to_have_text("40.00")
        page.screenshot(path=str(ARTIFACTS / f"drive-goods-{language}-{width}.png"), full_page=True)
        page.locator("#qty-RICE-5KG").select_option("2")
        expect(page.locator("#basket-total")).to_have_text(words["total"])  # the running total, by the script
        assert page.evaluate(SIDEWAYS) <= 1
        page.get_by_role("button", name=words["reserve"]).click()
        expect(page.locator(".flash.success")).to_contain_text(words["reserved"])
        expect(page.locator(".voucher .reservation-status")).to_have_text(words["to_collect"])
        assert rice_at_jk01(live_server.app, drive.id) == (20, 2, 0)
        qr = page.locator("img.voucher-qr")
        expect(qr).to_be_visible()
        page.wait_for_function("() => document.querySelector('img.voucher-qr').naturalWidth > 0")
        assert qr.bounding_box()["width"] >= min(width * 0.7, 280)  # large: most of a phone's width
        assert page.evaluate(SIDEWAYS) <= 1
        page.screenshot(path=str(ARTIFACTS / f"drive-voucher-{language}-{width}.png"), full_page=True)
        text = decode_qr(qr.screenshot())
        assert text.startswith("HTTP://127.0.0.1:") and "/R/" in text, text
        phone = browser.new_context(viewport={"width": 360, "height": 740})
        try:
            phone.add_cookies([{"name": "tb_lang", "value": language, "url": live_server.url}])
            receipt = phone.new_page()
            assert receipt.goto(live_server.at(urlsplit(text).path)).status == 200
            expect(receipt.locator(".verdict-word")).to_have_text(words["valid"])
            expect(receipt.locator(".receipt-facts")).to_contain_text("25.00")
        finally:
            phone.close()
    finally:
        context.close()


def test_a_double_tap_on_reserve_reserves_once(browser, live_server, city, drive):
    context = browser.new_context(viewport={"width": 360, "height": 800}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        sign_in(page, live_server, city.volunteer)
        page.goto(live_server.at(f"/exchange/drives/{drive.id}"))
        page.locator("#qty-RICE-5KG").select_option("1")
        # Two sends of the same form, as an impatient second tap does before the first answer arrives.
        page.evaluate("""() => {
          const form = document.querySelector('form.basket');
          const data = new URLSearchParams(new FormData(form));
          return Promise.all([1, 2].map(() => fetch(form.action, {method: 'POST', body: data, redirect: 'manual'})));
        }""")
        assert rice_at_jk01(live_server.app, drive.id) == (20, 1, 0)
        page.goto(live_server.at("/exchange/reservations"))
        expect(page.locator(".exchange-card")).to_have_count(1)
    finally:
        context.close()


def test_the_dashboard_refreshes_its_figures_by_itself(browser, live_server, city, drive):
    live_server.app.config["DRIVE_REFRESH_SECONDS"] = 1
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, live_server, city.admin)
        page.goto(live_server.at(f"/drives/{drive.id}?center=JK01"))
        rice = page.locator("#drive-figures table.figures").first.locator("tr", has_text="RICE-5KG")
        expect(rice.locator("td.num").nth(1)).to_have_text("0")
        reserve(get_db(live_server.app), actor=Principal(user_id=None, username="v", role="volunteer",
                                                         volunteer_id=city.volunteer.volunteer_id),
                drive_id=drive.id, center="JK01", lines=[{"sku": "RICE-5KG", "quantity": 3}])
        expect(rice.locator("td.num").nth(1)).to_have_text("3")  # held, without a reload
        expect(rice.locator("td.num").nth(3)).to_have_text("22")  # left of 25 in the city
        page.screenshot(path=str(ARTIFACTS / "drive-dashboard-zh-1280.png"), full_page=True)
    finally:
        context.close()


# Chinese on a phone and English on a desk, as the other features' screenshots.
@pytest.mark.parametrize("language, width", [("zh", 360), ("en", 1280)])
def test_every_drive_page_fits_the_screen_and_is_kept_as_a_screenshot(browser, live_server, city, drive, language,
                                                                      width):
    held = reserve(get_db(live_server.app), actor=Principal(user_id=None, username="v", role="volunteer",
                                                            volunteer_id=city.volunteer.volunteer_id),
                   drive_id=drive.id, center="JK01", lines=[{"sku": "RICE-5KG", "quantity": 1},
                                                            {"sku": "EGG-10", "quantity": 1}])
    shots = [("volunteer", "home", "/"),
             ("volunteer", "exchange", "/exchange/"),
             ("volunteer", "refused", f"/exchange/drives/{drive.id}"),
             ("volunteer", "cancel", f"/exchange/reservations/{held.id}/cancel"),
             ("volunteer", "reservations", "/exchange/reservations"),
             ("volunteer", "record-book", "/record-book"),
             ("admin", "catalog", "/catalog/"),
             ("admin", "new", "/drives/new"),
             ("admin", "edit", f"/drives/{drive.id}/edit"),
             ("admin", "stock", f"/drives/{drive.id}/stock?center=JK01"),
             ("admin", "list", "/drives/"),
             ("staff", "pick-list", f"/drives/{drive.id}/pick-list")]
    for role, name, path in shots:
        context = browser.new_context(viewport={"width": width, "height": 800 if width < 800 else 900})
        context.add_cookies([{"name": "tb_lang", "value": language, "url": live_server.url}])
        try:
            page = context.new_page()
            sign_in(page, live_server, getattr(city, role))
            response = page.goto(live_server.at(path))
            assert response.status == 200, (name, response.status)
            if name == "refused":  # past the limit (a form kept open while another reservation was made)
                page.evaluate("() => { const s = document.querySelector('#qty-RICE-5KG');"
                              " s.add(new Option('3', '3')); s.value = '3'; }")
                page.locator("form.basket button[type=submit]").click()
                expect(page.locator("#qty-RICE-5KG-error")).to_be_visible()
                expect(page.locator(".errors-summary")).to_be_visible()
            assert page.evaluate(SIDEWAYS) <= 1, f"{name} scrolls sideways at {width} px"
            page.screenshot(path=str(ARTIFACTS / f"drive-{name}-{language}-{width}.png"), full_page=True)
        finally:
            context.close()


LINES_OF_SHORT_CODE = """() => {
  const code = document.querySelector('.voucher-code'), style = getComputedStyle(code);
  const line = style.lineHeight === 'normal' ? 1.2 * parseFloat(style.fontSize) : parseFloat(style.lineHeight);
  return code.getBoundingClientRect().height / line;
}"""


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_record_book_and_the_voucher_fit_a_phone_at_the_largest_text_size(browser, live_server, city, drive,
                                                                           language):
    """A held reservation's line ("0.01 reserved" in English) once made the record book 1 px wider than a 360 px
    phone at the largest text size; there the voucher's QR shrank to 236 px and its short code broke in two."""
    held = reserve(get_db(live_server.app), actor=Principal(user_id=None, username="v", role="volunteer",
                                                            volunteer_id=city.volunteer.volunteer_id),
                   drive_id=drive.id, center="JK01", lines=[{"sku": "EGG-10", "quantity": 1}])
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    context.add_cookies([{"name": "tb_lang", "value": language, "url": live_server.url},
                         {"name": "tb_text", "value": "150", "url": live_server.url}])
    try:
        page = context.new_page()
        sign_in(page, live_server, city.volunteer)
        page.goto(live_server.at("/record-book"))
        expect(page.locator("li.entry.kind-pending")).to_have_count(1)
        assert page.evaluate(SIDEWAYS) == 0
        page.goto(live_server.at(f"/exchange/reservations/{held.id}"))
        page.wait_for_function("() => document.querySelector('img.voucher-qr').naturalWidth > 0")
        assert page.locator("img.voucher-qr").bounding_box()["width"] >= 0.75 * 360
        lines_of_code = page.evaluate(LINES_OF_SHORT_CODE)
        assert lines_of_code < 1.5, f"the short code takes {lines_of_code:.1f} lines"
        assert page.evaluate(SIDEWAYS) == 0
    finally:
        context.close()
