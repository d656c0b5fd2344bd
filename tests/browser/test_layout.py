"""Made for older eyes and cheap phones, measured in Chromium: text sizes, touch targets, narrow screens and zoom,
the text-size switch; and a screenshot of the volunteer home on a 360×740 phone kept in test-artifacts/."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, ROOT, sign_in, sign_out, sqlite_only
from tests.browser.pages import by_role, ids_of, open_page, visits


# Visible text smaller than the minimum: every element with text of its own, outside visually-hidden helpers.
SMALL_TEXT = """(minimum) => {
  const found = [];
  for (const element of document.body.querySelectorAll('*')) {
    if (element.closest('.visually-hidden, script, style, option')) continue;
    const ownText = [...element.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!ownText) continue;
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const size = parseFloat(getComputedStyle(element).fontSize);
    if (size < minimum - 0.01) found.push(`${element.tagName.toLowerCase()}.${element.className}: ${size}px "${element.textContent.trim().slice(0, 30)}"`);
  }
  return found;
}"""

# Controls smaller than the minimum target; a checkbox or radio counts with the label wrapped around it.
SMALL_TARGETS = """(minimum) => {
  const found = [];
  for (let element of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]')) {
    if ((element.type === 'checkbox' || element.type === 'radio') && element.closest('label')) element = element.closest('label');
    const style = getComputedStyle(element);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const box = element.getBoundingClientRect();
    if (box.width < minimum - 0.5 || box.height < minimum - 0.5)
      found.push(`${element.tagName.toLowerCase()} "${(element.textContent || element.name || '').trim().slice(0, 30)}": ${Math.round(box.width)}×${Math.round(box.height)}`);
  }
  return found;
}"""

SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def measure_every_page(browser, live_server, city, *, viewport, check, text_size=None, scale=1):
    """Run ``check(page, visit)`` on every page at ``viewport``; return the problems found per page."""
    problems = {}
    for role, role_visits in by_role(visits(city, ids_of(live_server.app))).items():
        context = browser.new_context(viewport=viewport, device_scale_factor=scale)
        try:
            if text_size:
                context.add_cookies([{"name": "tb_text", "value": str(text_size), "url": live_server.url}])
            page = context.new_page()
            if role:
                sign_in(page, live_server, getattr(city, role))
            for visit in role_visits:
                open_page(page, live_server, visit)
                found = check(page, visit)
                if found:
                    problems[visit.name] = found
        finally:
            context.close()
    return problems


@sqlite_only
def test_text_and_touch_targets_are_large_enough_on_a_phone(browser, live_server, city):
    def check(page, visit):
        text, target = (18, 60) if visit.volunteer_page else (16, 44)
        return page.evaluate(SMALL_TEXT, text) + page.evaluate(SMALL_TARGETS, target)

    problems = measure_every_page(browser, live_server, city, viewport={"width": 360, "height": 740}, check=check)
    assert not problems, problems


@sqlite_only
def test_volunteer_body_text_is_18px_and_staff_body_text_16px(page, live_server, city):
    sign_in(page, live_server, city.volunteer)
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "18px"
    sign_out(page)
    sign_in(page, live_server, city.staff)
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "16px"


@sqlite_only
@pytest.mark.parametrize("width, text_size, scale", [
    (320, None, 1),   # the narrowest phone
    (320, 150, 1),    # the narrowest phone with the largest text
    (640, None, 2),   # a 1280 px wide screen zoomed to 200%
])
def test_no_page_scrolls_sideways(browser, live_server, city, width, text_size, scale):
    problems = measure_every_page(
        browser, live_server, city, viewport={"width": width, "height": 700}, text_size=text_size, scale=scale,
        check=lambda page, visit: page.evaluate(SIDEWAYS_SCROLL) or None)
    assert not problems, f"pages wider than the screen (extra px): {problems}"


@sqlite_only
def test_the_text_size_switch_enlarges_everything_and_is_remembered(page, live_server, city):
    sign_in(page, live_server, city.volunteer)
    page.get_by_role("button", name="特大").click()
    expect(page.locator("html")).to_have_class("text-150")
    expect(page.get_by_role("button", name="特大")).to_have_attribute("aria-pressed", "true")
    page.wait_for_load_state("load")  # the new page's stylesheet applied, not only its markup parsed
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "27px"  # 18 px × 150%
    height = page.evaluate("() => document.querySelector('form.sign-out button').getBoundingClientRect().height")
    assert height >= 90  # 60 px × 150%

    page.reload()
    expect(page.locator("html")).to_have_class("text-150")
    sign_out(page)
    expect(page.locator("html")).to_have_class("text-150")  # the device keeps it, signed in or not

    page.get_by_role("button", name="标准").click()
    expect(page.locator("html")).to_have_class("text-100")


def test_no_control_appears_only_on_hover():
    stylesheet = (ROOT / "timebank" / "web" / "static" / "css" / "app.css").read_text(encoding="utf-8")
    assert ":hover" not in stylesheet


@sqlite_only
def test_screenshot_of_the_volunteer_home_on_a_phone(browser, live_server, city):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        sign_in(page, live_server, city.volunteer)
        expect(page.get_by_role("heading", level=1)).to_have_text("王秀英，您好")
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "volunteer-home-360x740.png"
        page.screenshot(path=str(shot))
        page.screenshot(path=str(ARTIFACTS / "volunteer-home-360-full.png"), full_page=True)
        assert Path(shot).stat().st_size > 10_000
        assert page.evaluate(SIDEWAYS_SCROLL) == 0
    finally:
        context.close()
