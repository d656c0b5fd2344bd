"""Who may open which page, over real HTTP: sign-in redirects, the 403 page, CSRF on every form."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sqlite_only

pytestmark = sqlite_only

ADMIN_ONLY = ("/centers/", "/centers/new", "/users/", "/users/new")
MANAGERS = ("/volunteers/", "/volunteers/new", "/volunteers/import")


def test_anonymous_visitors_are_sent_to_sign_in_and_brought_back(page, live_server, city):
    for path in ("/", *ADMIN_ONLY, *MANAGERS, "/password"):
        page.goto(live_server.at(path))
        expect(page).to_have_url(re.compile(re.escape("/sign-in?next=" + path) + "$"))


@pytest.mark.parametrize("role, refused", [
    ("volunteer", ADMIN_ONLY + MANAGERS),
    ("supervisor", ADMIN_ONLY + MANAGERS),
    ("staff", ADMIN_ONLY),
])
def test_a_role_not_allowed_gets_the_forbidden_page(page, live_server, city, role, refused):
    sign_in(page, live_server, getattr(city, role))
    for path in refused:
        response = page.goto(live_server.at(path))
        assert response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text("无权访问")


def test_staff_do_not_see_another_centers_volunteer(page, live_server, city):
    from timebank.auth.access import Principal
    from timebank.db import get_db
    from timebank.volunteers.services import create_volunteer

    other = create_volunteer(get_db(live_server.app), actor=Principal.system("test"), name="周大妈",
                                      phone="13912345678", home_center="RZ02")
    sign_in(page, live_server, city.staff)
    assert page.goto(live_server.at(f"/volunteers/{other.id}/edit")).status == 404
    page.goto(live_server.at("/volunteers/"))
    expect(page.locator("table.list")).not_to_contain_text("周大妈")


def test_a_form_without_its_csrf_token_is_refused(page, live_server, city):
    sign_in(page, live_server, city.admin)
    response = page.request.post(live_server.at("/centers/new"),
                                 form={"code": "X1", "name": "伪造", "district": "京口区"})
    assert response.status == 400
    page.goto(live_server.at("/centers/"))
    expect(page.locator("table.list")).not_to_contain_text("伪造")


def test_every_response_carries_the_security_policy_and_no_inline_code(page, live_server, city):
    response = page.goto(live_server.at("/sign-in"))
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.locator("script:not([src]), style, [style]").count() == 0
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)
    sign_in(page, live_server, city.volunteer)
    assert violations == []
