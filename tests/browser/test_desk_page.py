"""The pickup desk in Chromium: staff type a voucher's short code (as a USB scanner types it, Enter included) and
see the big green answer with the masked name and the items, then the same voucher again refused saying when and
where, the focus back in the field every time and no page load in between; the camera reads a voucher's QR from a
fake video device fed with the voucher's own QR image (the same PNG a volunteer's phone shows) through the app's
jsQR (Chromium on Linux has no BarcodeDetector), redeems it, and refuses it when it comes into view again; a photo
goes through the same decoder; without script the plain form gives the same answer. axe-core finds nothing serious.
Screenshots at 1280, 800 and 360 px go to test-artifacts/ (desk-*.png)."""
from __future__ import annotations

import io
import urllib.request
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, sign_in, sqlite_only
from tests.browser.test_accessibility import describe, run_axe
from tests.drive_helpers import City, stock_of, top_up
from timebank.auth.access import Principal
from timebank.catalog.services import create_item
from timebank.centers.services import list_centers
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.drives.planning import create_drive
from timebank.drives.reservation_queries import get_reservation
from timebank.drives.reservations import reserve
from timebank.receipts.rules import display_short_code

pytestmark = [sqlite_only, pytest.mark.usefixtures("fast_password_hashing")]

SYSTEM = Principal.system("test")
WORDS = {
    "zh": {"hand_over": "请交给", "again": "已领取过", "center": "大市口街道养老服务中心", "rice": "大米 5公斤"},
    "en": {"hand_over": "Hand over to", "again": "Already picked up", "center": "大市口街道养老服务中心",
           "rice": "Rice, 5 kg"},
}


class DriveDay:
    def __init__(self, app, city):
        self.db = get_db(app)
        self.volunteer_id = city.volunteer.volunteer_id
        centers = {row.code: row for row in list_centers(self.db, actor=SYSTEM, per_page=10).items}
        self.jk = centers["JK01"]
        now = utcnow().replace(microsecond=0)
        create_item(self.db, actor=SYSTEM, sku="RICE-5KG", name_zh="大米 5公斤", name_en="Rice, 5 kg", unit="袋",
                    price=12_50)
        create_item(self.db, actor=SYSTEM, sku="OIL-5L", name_zh="食用油 5升", name_en="Cooking oil, 5 l", unit="桶",
                    price=30_00)
        self.drive = create_drive(self.db, actor=SYSTEM, name="2026 年第四季度兑换活动", centers=["JK01", "RZ02"],
                                  opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7),
                                  pickup_until=now + timedelta(days=14), now=now, items=[
                                      {"sku": sku, "center": center, "stock": 30, "limit_per_volunteer": None}
                                      for sku in ("RICE-5KG", "OIL-5L") for center in ("JK01", "RZ02")])
        top_up(self.db, self.volunteer_id, self.jk, 500_00)

    def voucher(self, lines=(("RICE-5KG", 2), ("OIL-5L", 1))):
        return reserve(self.db, actor=City.volunteer_actor(self.volunteer_id), drive_id=self.drive.id, center="JK01",
                       lines=[{"sku": sku, "quantity": quantity} for sku, quantity in lines])

    def status(self, reservation_id: int) -> str:
        return get_reservation(self.db, actor=City.volunteer_actor(self.volunteer_id),
                               reservation_id=reservation_id).status


@pytest.fixture
def day(live_server, city):
    return DriveDay(live_server.app, city)


def open_desk(page, live_server, city):
    sign_in(page, live_server, city.staff)
    page.goto(live_server.at("/desk/"))
    expect(page.locator("#desk")).to_have_attribute("data-ready", "true")
    page.evaluate("() => { window.deskPageMark = 'still the first page'; }")  # a page load would lose it


def no_reload(page) -> bool:
    return page.evaluate("() => window.deskPageMark") == "still the first page"


@pytest.mark.parametrize("width, height, language", [(1280, 900, "zh"), (800, 1100, "zh"), (360, 740, "en")])
def test_staff_type_a_short_code_and_the_second_time_it_is_refused(browser, live_server, city, day, axe_source,
                                                                   width, height, language):
    words = WORDS[language]
    held = day.voucher()
    code = display_short_code(held.voucher_short_code)
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    context.add_cookies([{"name": "tb_lang", "value": language, "url": live_server.url}])
    try:
        page = context.new_page()
        open_desk(page, live_server, city)
        field = page.locator("#desk-text")
        expect(field).to_be_focused()
        page.screenshot(path=str(ARTIFACTS / f"desk-waiting-{width}.png"), full_page=True)

        page.keyboard.type(code.lower().replace("-", ""))  # what a person types, or a scanner: then Enter
        page.keyboard.press("Enter")
        green = page.locator("#desk-answer .desk-answer.is-ok")
        expect(green).to_contain_text(words["hand_over"])
        expect(green).to_contain_text("王*英")
        expect(green).to_contain_text(words["rice"])
        expect(green).to_contain_text("× 2 袋")
        expect(green).to_contain_text(code)
        expect(field).to_be_focused()
        expect(field).to_have_value("")
        assert day.status(held.id) == "fulfilled"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"desk-handed-over-{language}-{width}.png"), full_page=True)
        found = run_axe(page, axe_source, enhanced_contrast=False)
        assert not found, describe(found)

        page.keyboard.type(code)
        page.keyboard.press("Enter")
        red = page.locator("#desk-answer .desk-answer.is-refused")
        expect(red).to_contain_text(words["again"])
        expect(red).to_contain_text(words["center"])
        expect(field).to_be_focused()
        history = page.locator("#desk-history-list li")
        expect(history).to_have_count(2)
        expect(history.nth(0)).to_have_class("desk-history-item is-refused")
        expect(history.nth(1)).to_have_class("desk-history-item is-ok")
        expect(history.nth(1)).to_contain_text("王*英")
        assert no_reload(page)
        assert stock_of(day.db, day.drive.id, "JK01", "RICE-5KG") == (30, 0, 2)  # handed over once
        page.screenshot(path=str(ARTIFACTS / f"desk-refused-{language}-{width}.png"), full_page=True)
        found = run_axe(page, axe_source, enhanced_contrast=False)
        assert not found, describe(found)
        width_overflow = page.evaluate("() => document.documentElement.scrollWidth - "
                                       "document.documentElement.clientWidth")
        assert width_overflow <= 0
    finally:
        context.close()


def qr_video(png: bytes, path, *, width=640, height=480, fps=5, shown=8, hidden=10) -> None:
    """A Y4M video for Chromium's fake camera: the QR image held in front of the lens for ``shown`` frames, then
    ``hidden`` frames without it (the voucher taken away), looping. Luma from the image, neutral chroma."""
    from PIL import Image

    qr = Image.open(io.BytesIO(png)).convert("L")
    modules = qr.width // 8  # the app draws 8 px a module
    module = max(2, int(height * 0.85) // modules)
    qr = qr.resize((modules * module, modules * module), Image.NEAREST)
    holding = Image.new("L", (width, height), 230)
    holding.paste(qr, ((width - qr.width) // 2, (height - qr.height) // 2))
    empty = Image.new("L", (width, height), 230)
    chroma = bytes([128]) * ((width // 2) * (height // 2) * 2)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for index in range(shown + hidden):
            out.write(b"FRAME\n")
            out.write((holding if index < shown else empty).tobytes())
            out.write(chroma)


def voucher_png(live_server, token: str) -> bytes:
    with urllib.request.urlopen(live_server.at(f"/R/{token}/qr.png"), timeout=10) as response:
        return response.read()


def test_the_camera_reads_a_voucher_redeems_it_and_refuses_it_when_it_comes_back(browser, live_server, city, day,
                                                                                tmp_path):
    by_camera = day.voucher(lines=(("OIL-5L", 1),))
    by_photo = day.voucher(lines=(("RICE-5KG", 1),))
    png = voucher_png(live_server, by_camera.voucher_token)
    video = tmp_path / "voucher.y4m"
    qr_video(png, video)
    photo = tmp_path / "photo.png"
    photo.write_bytes(voucher_png(live_server, by_photo.voucher_token))

    camera = browser.browser_type.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = camera.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        context.grant_permissions(["camera"], origin=live_server.url)
        page = context.new_page()
        served = []
        page.on("response", lambda response: served.append((response.url, response.status)))
        open_desk(page, live_server, city)
        page.locator("#desk-camera-start").click()
        expect(page.locator("#desk")).to_have_attribute("data-camera", "on")

        green = page.locator("#desk-answer .desk-answer.is-ok")
        expect(green).to_contain_text("王*英", timeout=30_000)
        expect(green).to_contain_text("食用油 5升")
        expect(green).to_contain_text(display_short_code(by_camera.voucher_short_code))
        decoder = page.locator("#desk").get_attribute("data-decoder")
        native = page.evaluate("() => 'BarcodeDetector' in window")
        assert decoder == ("native" if native else "jsqr")
        if decoder == "jsqr":  # the decoder the app serves itself, from its own address
            assert any(url.endswith("/desk/assets/vendor/jsQR.js") and status == 200 for url, status in served)
        assert day.status(by_camera.id) == "fulfilled"
        page.screenshot(path=str(ARTIFACTS / "desk-camera-handed-over-1280.png"), full_page=True)

        # The voucher goes out of view and comes back: read again, and refused.
        red = page.locator("#desk-answer .desk-answer.is-refused")
        expect(red).to_contain_text("已领取过", timeout=30_000)
        expect(red).to_contain_text("大市口街道养老服务中心")
        page.screenshot(path=str(ARTIFACTS / "desk-camera-refused-1280.png"), full_page=True)
        page.locator("#desk-camera-stop").click()
        expect(page.locator("#desk-video")).to_be_hidden()
        assert stock_of(day.db, day.drive.id, "JK01", "OIL-5L") == (30, 0, 1)  # handed over once

        # A photo of a voucher goes through the same decoder.
        page.locator("#desk-photo").set_input_files(str(photo))
        expect(green).to_contain_text("大米 5公斤")
        expect(green).to_contain_text(display_short_code(by_photo.voucher_short_code))
        expect(page.locator("#desk-text")).to_be_focused()
        assert day.status(by_photo.id) == "fulfilled"
        assert no_reload(page)
        context.close()
    finally:
        camera.close()


def test_without_script_the_plain_form_gives_the_same_answer(browser, live_server, city, day):
    held = day.voucher(lines=(("RICE-5KG", 1),))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server, city.staff)
        page.goto(live_server.at("/desk/"))
        expect(page.locator("#desk-camera")).to_be_hidden()
        page.locator("#desk-text").fill(display_short_code(held.voucher_short_code))
        with page.expect_navigation():
            page.locator("#desk-scan-form button[type=submit]").click()
        expect(page.locator("#desk-answer .desk-answer.is-ok")).to_contain_text("请交给")
        expect(page.locator("#desk-answer .desk-answer.is-ok")).to_contain_text("王*英")
        page.locator("#desk-text").fill(display_short_code(held.voucher_short_code))
        with page.expect_navigation():
            page.locator("#desk-scan-form button[type=submit]").click()
        expect(page.locator("#desk-answer .desk-answer.is-refused")).to_contain_text("已领取过")
        page.screenshot(path=str(ARTIFACTS / "desk-no-script-refused-1280.png"), full_page=True)
    finally:
        context.close()
