"""Nobody locks the city out, and staff look after their own volunteers' sign-ins (issue 6, bugs 2, 9 and 11).

- An admin cannot deactivate their own account (service, API and page); the last active admin can never be
  deactivated or demoted; ``timebank users activate|deactivate NAME`` fixes the rest from the command line.
- Center staff create a sign-in for their center's volunteer and reset its password (shown once, after a redirect),
  never for another center's volunteer or for a user who is not a volunteer.
"""
from __future__ import annotations

import re

import pytest

from tests.auth_helpers import bearer, make_app, make_center, make_user, make_volunteer, mint_token, mint_session_key
from timebank.auth import services as auth
from timebank.auth.access import Forbidden, Principal
from timebank.db import get_db
from timebank.errors import DomainError, NotFound
from timebank.users import services as users

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

SYSTEM = Principal.system("test")
SECRET = re.compile(r'id="one-time-password">([^<]+)<')


@pytest.fixture
def app(database_url):
    app = make_app(database_url)  # the CSRF token is another test's business (tests/e2e/test_csrf_sweep.py)
    yield app
    get_db(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def principal(db, person) -> Principal:
    return auth.load_principal(db, person.user_id)


def page_client(app, person):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(get_db(app), person)
        session["_fresh"] = True
    return client


# ------------------------------------------------------------------------------------------------ bug 2: lock-out

def test_an_admin_cannot_deactivate_themselves_in_the_service(app):
    db = get_db(app)
    me, other = make_user(db, "admin"), make_user(db, "admin")
    with pytest.raises(DomainError) as refused:
        users.set_user_active(db, actor=principal(db, me), user_id=me.user_id, active=False)
    assert refused.value.code == "own_account"
    assert users.get_user(db, actor=SYSTEM, user_id=me.user_id).active
    # another admin may, while one active admin remains
    assert not users.set_user_active(db, actor=principal(db, other), user_id=me.user_id, active=False).active


def test_the_last_active_admin_can_be_neither_deactivated_nor_demoted(app):
    db = get_db(app)
    only = make_user(db, "admin")
    for change in ({"active": False}, {"role": "supervisor"}):
        with pytest.raises(DomainError) as refused:
            users.update_user(db, actor=SYSTEM, user_id=only.user_id, **change)
        assert refused.value.code == "last_admin"
    assert users.get_user(db, actor=SYSTEM, user_id=only.user_id).role == "admin"


def test_the_api_refuses_self_deactivation(app, client):
    db = get_db(app)
    me, _other = make_user(db, "admin"), make_user(db, "admin")
    response = client.patch(f"/api/v1/users/{me.user_id}", json={"active": False},
                            headers=bearer(mint_token(db, me)))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "own_account"


def test_the_users_page_offers_no_self_deactivation_and_refuses_a_forged_one(app):
    db = get_db(app)
    me, other = make_user(db, "admin"), make_user(db, "admin")
    client = page_client(app, me)
    listing = client.get("/users/").get_data(as_text=True)
    assert f'action="/users/{other.user_id}/active"' in listing
    assert f'action="/users/{me.user_id}/active"' not in listing
    response = client.post(f"/users/{me.user_id}/active", data={"active": "false", "next": "/users/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/users/")
    assert users.get_user(db, actor=SYSTEM, user_id=me.user_id).active
    assert "不能停用自己的账号" in client.get("/users/").get_data(as_text=True)


def test_users_activate_and_deactivate_commands(app):
    db = get_db(app)
    make_user(db, "admin", username="boss")
    make_user(db, "staff", username="chen.li")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "deactivate", "chen.li"])
    assert result.exit_code == 0, result.output
    assert "chen.li is deactivated" in result.output
    assert auth.load_principal(db, users.list_users(db, actor=SYSTEM, search="chen.li").items[0].id) is None
    result = runner.invoke(args=["users", "activate", "CHEN.LI"])
    assert result.exit_code == 0 and "chen.li is active" in result.output
    refused = runner.invoke(args=["users", "deactivate", "boss"])  # the last active admin
    assert refused.exit_code != 0
    missing = runner.invoke(args=["users", "activate", "nobody"])
    assert missing.exit_code != 0


def test_a_locked_out_admin_is_reactivated_from_the_command_line(app):
    db = get_db(app)
    first, second = make_user(db, "admin", username="first"), make_user(db, "admin", username="second")
    users.set_user_active(db, actor=principal(db, second), user_id=first.user_id, active=False)
    result = app.test_cli_runner().invoke(args=["users", "activate", "first"])
    assert result.exit_code == 0, result.output
    assert auth.load_principal(db, first.user_id) is not None


# -------------------------------------------------------------------------------- bug 9: volunteers' sign-ins

@pytest.fixture
def centers(app):
    db = get_db(app)
    own, other = make_center(db, "JK01"), make_center(db, "RZ02")
    return {"db": db, "own": own, "other": other, "staff": make_user(db, "staff", center_id=own),
            "volunteer": make_volunteer(db, own), "stranger": make_volunteer(db, other)}


def test_staff_create_a_sign_in_for_their_volunteer_and_it_works_once_changed(centers):
    db, staff = centers["db"], centers["staff"]
    login = users.create_volunteer_login(db, actor=principal(db, staff), volunteer_id=centers["volunteer"])
    assert (login.role, login.volunteer_id, login.must_change_password) == ("volunteer", centers["volunteer"], True)
    signed_in = auth.authenticate(db, username=login.username, password=login.one_time_password, address="1.2.3.4")
    assert signed_in.volunteer_id == centers["volunteer"] and signed_in.must_change_password
    assert users.volunteer_login(db, actor=principal(db, staff), volunteer_id=centers["volunteer"]).id == login.id


def test_staff_reset_their_volunteers_password_only(centers):
    db, staff = centers["db"], centers["staff"]
    own = users.create_volunteer_login(db, actor=SYSTEM, volunteer_id=centers["volunteer"])
    stranger = users.create_volunteer_login(db, actor=SYSTEM, volunteer_id=centers["stranger"])
    colleague = make_user(db, "staff", center_id=centers["own"])
    actor = principal(db, staff)

    reset = users.reset_password(db, actor=actor, user_id=own.id)
    assert reset.one_time_password and reset.one_time_password != own.one_time_password
    with pytest.raises(NotFound):
        users.reset_password(db, actor=actor, user_id=stranger.id)  # another center's volunteer: out of sight
    with pytest.raises(DomainError) as refused:
        users.reset_password(db, actor=actor, user_id=colleague.user_id)  # not a volunteer's sign-in
    assert refused.value.status == 403
    with pytest.raises(NotFound):
        users.create_volunteer_login(db, actor=actor, volunteer_id=centers["stranger"])
    for role in ("supervisor", "volunteer"):
        with pytest.raises(Forbidden):
            users.reset_password(db, actor=principal(db, make_user(db, role)), user_id=own.id)


def test_staff_give_a_sign_in_on_the_volunteer_page_and_see_the_password_once(app, centers):
    client = page_client(app, centers["staff"])
    page = client.get(f"/volunteers/{centers['volunteer']}/edit").get_data(as_text=True)
    assert f'action="/users/for-volunteer/{centers["volunteer"]}"' in page

    created = client.post(f"/users/for-volunteer/{centers['volunteer']}")
    assert created.status_code == 302  # redirect after POST: a reload sends nothing again
    shown = client.get(created.headers["Location"])
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    password = SECRET.search(shown.get_data(as_text=True)).group(1)
    again = client.get(created.headers["Location"]).get_data(as_text=True)
    assert password not in again and "只显示一次" in again

    login = users.volunteer_login(centers["db"], actor=SYSTEM, volunteer_id=centers["volunteer"])
    assert auth.authenticate(centers["db"], username=login.username, password=password, address="1.2.3.4")
    page = client.get(f"/volunteers/{centers['volunteer']}/edit").get_data(as_text=True)
    assert f'action="/users/{login.id}/password"' in page

    reset = client.post(f"/users/{login.id}/password")
    assert reset.status_code == 302
    assert SECRET.search(client.get(reset.headers["Location"]).get_data(as_text=True))
    assert client.get(f"/volunteers/{centers['stranger']}/edit").status_code == 404
    assert client.post(f"/users/for-volunteer/{centers['stranger']}").status_code == 404


def test_creating_a_user_redirects_and_shows_the_password_once(app):
    db = get_db(app)
    admin = make_user(db, "admin")
    make_center(db, "JK01")
    client = page_client(app, admin)
    response = client.post("/users/new", data={"username": "wang.li", "role": "staff", "center": "JK01"})
    assert response.status_code == 302 and "/users/new" not in response.headers["Location"]
    assert SECRET.search(client.get(response.headers["Location"]).get_data(as_text=True))


def test_demo_users_must_change_the_shared_password(app):
    from timebank.demo import seed_demo

    db = get_db(app)
    city = seed_demo(db, password="demo-lantern-2024")
    for username, _role in city.logins:
        signed_in = auth.authenticate(db, username=username, password="demo-lantern-2024", address="1.2.3.4")
        assert signed_in.must_change_password, username
