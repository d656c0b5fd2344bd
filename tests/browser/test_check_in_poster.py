"""The check-in poster and the camera's result page in Chromium: staff open the poster on the tablet, a screenshot of
it is decoded with zxing-cpp, and the volunteer's phone opening the decoded URL is checked in (after signing in),
taps which service they are doing today, then is checked out an hour later (the server's clock injected) with a
record of that service. The poster keeps its last code through a network blink, says it is
stale, and takes the QR away once it would be refused. Screenshots go to test-artifacts/ (check-in-*.png)."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in, sqlite_only
from tests.browser.test_accessibility import describe, run_axe
from timebank.auth.access import Principal
from timebank.db import get_db
from timebank.service_types.services import create_service_type

pytestmark = [sqlite_only, pytest.mark.usefixtures("fast_password_hashing")]


class Clock:
    def __init__(self):
        self.now = datetime.now(timezone.utc)

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr("timebank.check_ins.services.utcnow", fake)
    monkeypatch.setattr("timebank.check_ins.views.utcnow", fake)
    return fake


@pytest.fixture
def visit_type(live_server, city):
    """Two kinds of service: the guess for a first visit is the first by code (escort), the volunteer taps visit."""
    for code, name_zh, name_en in (("escort", "陪护", "Companion care"), ("visit", "上门探访", "Home visit")):
        create_service_type(get_db(live_server.app), actor=Principal.system("test"), code=code, name_zh=name_zh,
                            name_en=name_en, credits_per_hour=100)


def poster_text(browser, live_server, city, name: str) -> str:
    """Open the poster as staff on a tablet, screenshot it and decode its QR the way a camera would."""
    import zxingcpp
    from PIL import Image

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        page = context.new_page()
        sign_in(page, live_server, city.staff)
        page.goto(live_server.at("/check-ins/"))
        page.locator("main a.button.primary").click()
        page.wait_for_load_state()
        page.locator("#poster-qr").evaluate("img => img.decode()")
        ARTIFACTS.mkdir(exist_ok=True)
        shot = page.screenshot(path=str(ARTIFACTS / f"check-in-poster-{name}.png"))
    finally:
        context.close()
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    return found.text


WORDS = {"zh": {"checked_in": "签到成功", "checked_out": "签退成功", "asked": "今天做的是哪项服务？", "saved": "已保存",
                "visit": "上门探访"},
         "en": {"checked_in": "Checked in", "checked_out": "Checked out", "asked": "Which service are you doing today?",
                "saved": "Service saved", "visit": "Home visit"}}


@pytest.mark.parametrize("width, language", [(360, "zh"), (1280, "en")])
def test_a_volunteer_opening_the_posters_qr_is_checked_in_then_out(browser, live_server, city, visit_type, clock,
                                                                   axe_source, width, language):
    words = WORDS[language]
    checked_in, checked_out = words["checked_in"], words["checked_out"]
    text = poster_text(browser, live_server, city, "arrive")
    assert "/C/" in text and text == text.upper()
    phone = browser.new_context(viewport={"width": width, "height": 800})
    phone.add_cookies([{"name": "tb_lang", "value": language, "url": live_server.url}])
    try:
        page = phone.new_page()
        page.goto(text)
        assert "/sign-in" in page.url  # not signed in yet: sign in, then back to the code
        page.locator("#f-username").fill(city.volunteer.username)
        page.locator("#f-password").fill(city.volunteer.password)
        page.locator("form.panel button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator(".check-in-result.is-done h1").inner_text() == checked_in
        assert "大市口" in page.locator(".check-in-facts").inner_text()
        assert page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1
        page.screenshot(path=str(ARTIFACTS / f"check-in-in-{language}-{width}.png"), full_page=True)

        # Which service today? The guess is ticked; the volunteer taps another, big enough for a finger, and saves.
        question = page.locator(".service-choice")
        assert question.locator("legend").inner_text() == words["asked"]
        assert page.locator("input[name=service_type][value=escort]").is_checked()
        assert not (found := run_axe(page, axe_source, enhanced_contrast=True)), describe(found)
        choice = question.locator("label.rating-choice", has_text=words["visit"])
        assert choice.bounding_box()["height"] >= 44
        choice.click()
        assert page.locator("input[name=service_type][value=visit]").is_checked()
        question.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator(".check-in-result.is-done h1").inner_text() == words["saved"]
        assert words["visit"] in page.locator(".check-in-facts").inner_text()
        assert page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1
        page.screenshot(path=str(ARTIFACTS / f"check-in-service-{language}-{width}.png"), full_page=True)
        page.locator(".service-choice summary").click()  # chose wrong? the choice unfolds again, the saved one ticked
        assert page.locator("input[name=service_type][value=visit]").is_checked()
        assert not (found := run_axe(page, axe_source, enhanced_contrast=True)), describe(found)

        clock.now += timedelta(hours=1, minutes=30)
        page.goto(poster_text(browser, live_server, city, "leave"))
        assert page.locator(".check-in-result.is-done h1").inner_text() == checked_out
        facts = page.locator(".check-in-facts").inner_text()
        assert "1" in facts and words["visit"] in facts
        assert not (found := run_axe(page, axe_source, enhanced_contrast=True)), describe(found)
        page.screenshot(path=str(ARTIFACTS / f"check-in-out-{language}-{width}.png"), full_page=True)

        page.locator("main .actions a.button").first.click()  # the record the check-out left
        page.wait_for_load_state()
        assert "/records/" in page.url
        assert words["visit"] in page.locator(".record-facts").inner_text()
        page.screenshot(path=str(ARTIFACTS / f"check-in-record-{language}-{width}.png"), full_page=True)

        page.goto(text)  # the first code, now long expired: refused in plain words
        assert page.locator(".check-in-result.is-refused").is_visible()
        assert "2" in page.locator(".check-in-reason").inner_text()
        page.screenshot(path=str(ARTIFACTS / f"check-in-refused-{language}-{width}.png"), full_page=True)
    finally:
        phone.close()


def test_the_poster_says_when_its_code_is_stale_and_hides_it_once_it_would_be_refused(browser, live_server, city):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        page = context.new_page()
        sign_in(page, live_server, city.staff)
        context.clock.install()
        page.goto(live_server.at("/check-ins/poster/JK01"))
        page.locator("#poster-qr").evaluate("img => img.decode()")
        assert page.locator("body").get_attribute("data-state") == "fresh"
        context.route("**/code.json", lambda route: route.abort())  # the network blinks
        page.clock.run_for(40_000)
        assert page.locator("body").get_attribute("data-state") == "stale"
        assert page.locator("#poster-qr").is_visible()
        assert "网络中断" in page.locator("#poster-status").inner_text()
        page.screenshot(path=str(ARTIFACTS / "check-in-poster-stale.png"))
        page.clock.run_for(120_000)
        assert page.locator("body").get_attribute("data-state") == "expired"
        assert not page.locator("#poster-qr").is_visible() and page.locator("#poster-expired").is_visible()
        page.screenshot(path=str(ARTIFACTS / "check-in-poster-expired.png"))
        context.unroute("**/code.json")
        page.clock.run_for(10_000)  # the network is back: a fresh code, shown once its image has loaded
        expect(page.locator("body")).to_have_attribute("data-state", "fresh")
        expect(page.locator("#poster-qr")).to_be_visible()
    finally:
        context.close()
