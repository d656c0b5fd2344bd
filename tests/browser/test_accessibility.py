"""Every page scanned with axe-core in Chromium: no serious or critical violation, in Chinese and in English.

Volunteer pages (and the sign-in page, which volunteers use) are also held to WCAG AAA contrast (7:1).
"""
from __future__ import annotations

import json

import pytest

from tests.browser.conftest import sign_in, sqlite_only
from tests.browser.pages import by_role, ids_of, open_page, visits

pytestmark = sqlite_only

BLOCKING = ("serious", "critical")


def run_axe(page, axe_source: str, *, enhanced_contrast: bool) -> list[dict]:
    # The CSP forbids inline scripts, so axe is evaluated through the DevTools protocol rather than a <script> tag.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    options = {"resultTypes": ["violations"]}
    if enhanced_contrast:
        options["rules"] = {"color-contrast-enhanced": {"enabled": True}}
    results = page.evaluate("async (options) => await window.axe.run(document, options)", options)
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    return json.dumps([{"rule": v["id"], "impact": v["impact"], "help": v["help"],
                        "where": [n["target"] for n in v["nodes"]][:5]} for v in violations], ensure_ascii=False, indent=1)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_page_passes_an_axe_scan(browser, live_server, city, axe_source, language):
    problems = {}
    for role, role_visits in by_role(visits(city, ids_of(live_server.app))).items():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            context.add_cookies([{"name": "tb_lang", "value": language, "url": live_server.url}])
            page = context.new_page()
            if role:
                sign_in(page, live_server, getattr(city, role))
            for visit in role_visits:
                open_page(page, live_server, visit)
                found = run_axe(page, axe_source, enhanced_contrast=visit.volunteer_page)
                if found:
                    problems[visit.name] = describe(found)
        finally:
            context.close()
    assert not problems, "\n".join(f"{name}: {text}" for name, text in problems.items())
