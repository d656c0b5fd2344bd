"""The desk's native path: where the browser has ``BarcodeDetector`` (Chrome on Android and macOS, Safari), the desk
uses it and never downloads its own decoder; where it has one without QR codes, it falls back to the app's jsQR.

Chromium on Linux has no ``BarcodeDetector``, so these tests give the page one before its scripts run: a stand-in
that answers what zxing-cpp reads from the very photo the desk hands it (it checks it was handed an image of the
photo's size), as the native detector would. The decoding itself is proved with real pixels by test_desk_page.py;
what is proved here is the desk's choice of decoder and what it does with the answer."""
from __future__ import annotations

import io
import json

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import sqlite_only
from tests.browser.test_desk_page import WORDS, day, no_reload, open_desk, voucher_png  # noqa: F401  (day: fixture)
from tests.drive_helpers import stock_of
from timebank.receipts.rules import display_short_code

pytestmark = [sqlite_only, pytest.mark.usefixtures("fast_password_hashing")]

STAND_IN = """
(() => {
  const expected = %(expected)s;
  window.detectorCalls = [];
  class BarcodeDetector {
    static getSupportedFormats() { return Promise.resolve(%(formats)s); }
    constructor(options) { window.detectorFormats = options && options.formats; }
    detect(source) {
      window.detectorCalls.push([source.constructor.name, source.width, source.height]);
      const same = source.width === expected.width && source.height === expected.height;
      return Promise.resolve(same ? [{format: "qr_code", rawValue: expected.text}] : []);
    }
  }
  window.BarcodeDetector = BarcodeDetector;
})();
"""


def photo_of(live_server, token: str, folder):
    png = voucher_png(live_server, token)
    path = folder / "voucher.png"
    path.write_bytes(png)
    image = Image.open(io.BytesIO(png))
    [found] = zxingcpp.read_barcodes(image)
    return path, {"width": image.width, "height": image.height, "text": found.text}


def open_with_detector(browser, live_server, city, formats: list[str], expected: dict):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_init_script(STAND_IN % {"expected": json.dumps(expected), "formats": json.dumps(formats)})
    page = context.new_page()
    served = []
    page.on("request", lambda request: served.append(request.url))
    open_desk(page, live_server, city)
    return context, page, served


def test_a_browser_with_a_native_qr_detector_uses_it_and_never_loads_the_apps_decoder(browser, live_server, city,
                                                                                      day, tmp_path):
    voucher = day.voucher(lines=(("RICE-5KG", 1),))
    photo, expected = photo_of(live_server, voucher.voucher_token, tmp_path)
    context, page, served = open_with_detector(browser, live_server, city, ["ean_13", "qr_code"], expected)
    try:
        page.locator("#desk-photo").set_input_files(str(photo))
        green = page.locator("#desk-answer .desk-answer.is-ok")
        expect(green).to_contain_text(WORDS["zh"]["rice"])
        expect(green).to_contain_text(display_short_code(voucher.voucher_short_code))
        assert page.locator("#desk").get_attribute("data-decoder") == "native"
        assert page.evaluate("() => window.detectorFormats") == ["qr_code"]
        assert page.evaluate("() => window.detectorCalls") == [["ImageBitmap", expected["width"],
                                                                 expected["height"]]]
        assert not any("jsQR" in url for url in served)
        assert day.status(voucher.id) == "fulfilled"
        assert stock_of(day.db, day.drive.id, "JK01", "RICE-5KG") == (30, 0, 1)

        # The same photo again: the detector reads it again and the desk refuses it, saying when and where.
        page.locator("#desk-photo").set_input_files(str(photo))
        red = page.locator("#desk-answer .desk-answer.is-refused")
        expect(red).to_contain_text(WORDS["zh"]["again"])
        expect(red).to_contain_text(WORDS["zh"]["center"])
        assert len(page.evaluate("() => window.detectorCalls")) == 2
        assert no_reload(page)
    finally:
        context.close()


def test_a_native_detector_without_qr_codes_falls_back_to_the_apps_own_decoder(browser, live_server, city, day,
                                                                               tmp_path):
    voucher = day.voucher(lines=(("OIL-5L", 1),))
    photo, expected = photo_of(live_server, voucher.voucher_token, tmp_path)
    context, page, served = open_with_detector(browser, live_server, city, ["ean_13", "code_128"], expected)
    try:
        page.locator("#desk-photo").set_input_files(str(photo))
        green = page.locator("#desk-answer .desk-answer.is-ok")
        expect(green).to_contain_text(display_short_code(voucher.voucher_short_code))
        assert page.locator("#desk").get_attribute("data-decoder") == "jsqr"
        assert page.evaluate("() => window.detectorCalls") == []  # never asked: it reads no QR codes
        assert any(url.endswith("/desk/assets/vendor/jsQR.js") for url in served)
        assert day.status(voucher.id) == "fulfilled"
    finally:
        context.close()
