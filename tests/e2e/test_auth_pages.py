"""Signing in to and out of the pages: the server ends a session (a copied cookie stops working), a password change
keeps only this browser signed in, and a throttled sign-in says so on its own, not as a mistake in the form."""
from __future__ import annotations

import re

import pytest

from tests.auth_helpers import PASSWORD, fast_hashing, make_app, make_user
from timebank.db import get_db
from timebank.web.i18n import LANGUAGE_COOKIE

WRONG = "Not-the-password 1"
OFFICE = "203.0.113.40"  # a center's one address: its staff share the Wi-Fi


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_hashing(monkeypatch)


@pytest.fixture
def app(database_url):
    application = make_app(database_url)
    yield application
    get_db(application).dispose()


def sign_in(client, username, password=PASSWORD, address=OFFICE):
    return client.post("/sign-in", data={"username": username, "password": password, "next": "/"},
                       environ_base={"REMOTE_ADDR": address})


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie was set"
    return cookie.value


def browser_with(app, cookie: str):
    """Another browser holding a copy of the cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def signed_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200 and "/sign-in" not in response.headers.get("Location", "")


def test_a_copied_cookie_stops_working_once_its_session_signs_out(app):
    """Issue 6, bug 17: a copied session cookie kept working after ``POST /sign-out``."""
    person = make_user(get_db(app), "staff")
    client = app.test_client()
    assert sign_in(client, person.username).status_code == 302
    copied = session_cookie(client)
    assert signed_in(browser_with(app, copied))

    assert client.post("/sign-out").status_code == 302
    assert not signed_in(client)
    response = browser_with(app, copied).get("/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_signing_out_in_one_browser_leaves_the_others_signed_in(app):
    person = make_user(get_db(app), "staff")
    desk, office = app.test_client(), app.test_client()
    sign_in(desk, person.username)
    sign_in(office, person.username)
    desk.post("/sign-out")
    assert not signed_in(desk)
    assert signed_in(office)


def test_a_password_change_keeps_this_browser_signed_in_and_ends_every_other_session(app):
    person = make_user(get_db(app), "staff")
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, person.username)
    sign_in(elsewhere, person.username)
    old_cookie = session_cookie(here)
    response = here.post("/password", data={"current_password": PASSWORD, "new_password": "Lotus-pond 2024",
                                            "confirm_password": "Lotus-pond 2024"})
    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(elsewhere)
    assert not signed_in(browser_with(app, old_cookie))


def test_the_first_sign_in_goes_on_where_the_person_was_going_once_the_password_is_changed(app):
    """A volunteer's first scan of the poster: sign in with the one-time password, choose one's own, and land on the
    scanned page (the check-in), not on the home page that would lose it."""
    person = make_user(get_db(app), "staff", must_change_password=True)
    client = app.test_client()
    response = client.post("/sign-in", data={"username": person.username, "password": PASSWORD,
                                             "next": "/records/?status=pending"}, environ_base={"REMOTE_ADDR": OFFICE})
    assert response.status_code == 302 and response.headers["Location"].startswith("/password?next=")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/records/?status=pending"' in page
    changed = client.post("/password", data={"current_password": PASSWORD, "new_password": "Lotus-pond 2024",
                                             "confirm_password": "Lotus-pond 2024", "next": "/records/?status=pending"})
    assert changed.status_code == 302 and changed.headers["Location"] == "/records/?status=pending"
    elsewhere = client.post("/password", data={"current_password": "Lotus-pond 2024", "new_password": "Lotus-pond 2025",
                                               "confirm_password": "Lotus-pond 2025", "next": "https://evil.example/"})
    assert elsewhere.headers["Location"] == "/"  # never another site


def test_a_deactivated_users_session_ends_on_the_next_request(app):
    from timebank.auth.models import User

    person = make_user(get_db(app), "staff")
    client = app.test_client()
    sign_in(client, person.username)
    assert signed_in(client)

    def deactivate(s):
        s.get(User, person.user_id).active = False

    get_db(app).transaction(deactivate)
    assert not signed_in(client)


def test_wrong_passwords_for_a_made_up_user_do_not_lock_the_center_out(app):
    """Issue 6, bug 3: six wrong passwords for a made-up user, then the admin's right password from the same address
    was answered 429."""
    admin = make_user(get_db(app), "admin")
    guesser = app.test_client()
    statuses = [sign_in(guesser, "made-up-user", WRONG).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    response = sign_in(app.test_client(), admin.username)
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_throttled_sign_in_says_so_on_its_own_and_not_as_a_mistake_in_the_form(app):
    person = make_user(get_db(app), "staff")
    client = app.test_client()
    for _ in range(5):
        response = sign_in(client, person.username, WRONG)
        assert response.status_code == 401
        assert "errors-summary" in response.get_data(as_text=True)  # a wrong password is a mistake in the form
    response = sign_in(client, person.username)
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert 14 * 60 <= int(response.headers["Retry-After"]) <= 15 * 60
    notice = re.search(r'<p class="flash error" id="sign-in-wait" role="alert">(.*?)</p>', page, re.S)
    assert notice is not None, page
    assert "15" in notice.group(1) and "分钟" in notice.group(1)  # the page is Chinese by default
    assert "errors-summary" not in page  # not under "please correct the following"
    assert "请改正" not in page and "Please correct" not in page


def test_the_throttled_notice_is_english_on_an_english_page(app):
    person = make_user(get_db(app), "staff")
    client = app.test_client()
    client.set_cookie(LANGUAGE_COOKIE, "en")
    for _ in range(5):
        sign_in(client, person.username, WRONG)
    page = sign_in(client, person.username).get_data(as_text=True)
    assert "Too many failed sign-ins. Try again in 15 minutes." in page
