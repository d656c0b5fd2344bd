"""``timebank users …`` and the first admin that ``timebank init`` creates, through Flask's CLI runner."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from timebank import create_app
from timebank.auth import passwords
from timebank.auth.access import Principal
from timebank.auth.models import User
from timebank.centers.services import create_center
from timebank.db import get_db
from timebank.users.services import get_user, list_users
from timebank.volunteers.services import create_volunteer

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

SYSTEM = Principal.system("test")
ONE_TIME = re.compile(r"one-time password:? (\S+)")


def stored_user(app, username: str) -> User:
    return get_db(app).transaction(lambda s: s.scalars(select(User).where(User.username == username)).one(),
                                   readonly=True)


@pytest.fixture
def runner(app):
    create_center(get_db(app), actor=SYSTEM, code="JK01", name="京口区中心", district="京口区")
    return app.test_cli_runner()


def test_users_create_prints_a_one_time_password_that_must_be_changed(app, runner):
    result = runner.invoke(args=["users", "create", "Chen-Li", "--role", "staff", "--center", "jk01",
                                 "--display-name", "陈丽"])
    assert result.exit_code == 0, result.output
    assert "created staff chen-li at JK01" in result.output
    password = ONE_TIME.search(result.output).group(1)
    user = stored_user(app, "chen-li")
    assert (user.role, user.display_name, user.must_change_password) == ("staff", "陈丽", True)
    assert passwords.verify_password(user.password_hash, password)


def test_users_create_takes_a_password_from_stdin(app, runner):
    result = runner.invoke(args=["users", "create", "gu-jianhua", "--role", "supervisor", "--supervises", "JK01",
                                 "--password-stdin"], input="quiet-river-stone-42\n")
    assert result.exit_code == 0, result.output
    assert "one-time password" not in result.output
    user = stored_user(app, "gu-jianhua")
    assert user.must_change_password is False
    assert passwords.verify_password(user.password_hash, "quiet-river-stone-42")
    assert get_user(get_db(app), actor=SYSTEM, user_id=user.id).supervised_centers == ("JK01",)


def test_users_create_links_a_volunteer_by_phone(app, runner):
    volunteer = create_volunteer(get_db(app), actor=SYSTEM, name="王秀英", phone="13805291234",
                                          home_center="JK01")
    result = runner.invoke(args=["users", "create", "13805291234", "--role", "volunteer",
                                 "--volunteer-phone", "138 0529 1234"])
    assert result.exit_code == 0, result.output
    assert stored_user(app, "13805291234").volunteer_id == volunteer.id


@pytest.mark.parametrize("args, stdin, says", [
    (["--role", "staff", "--center", "NOPE"], None, "There is no center with code NOPE."),
    (["--role", "staff"], None, "Staff need a center."),
    (["--role", "admin", "--password-stdin"], "password\n", "too common"),
    (["--role", "volunteer", "--volunteer-phone", "13900000000"], None, "no volunteer with phone 13900000000"),
])
def test_users_create_refuses_with_the_reason_and_a_failing_exit_code(app, runner, args, stdin, says):
    result = runner.invoke(args=["users", "create", "someone", *args], input=stdin)
    assert result.exit_code == 1
    assert says in result.output
    assert list_users(get_db(app), actor=SYSTEM).total == 0


def test_users_reset_password_and_list(app, runner):
    runner.invoke(args=["users", "create", "chen-li", "--role", "staff", "--center", "JK01", "--password-stdin"],
                  input="quiet-river-stone-42\n")
    result = runner.invoke(args=["users", "reset-password", "chen-li"])
    assert result.exit_code == 0, result.output
    password = re.search(r"one-time password for chen-li: (\S+)", result.output).group(1)
    user = stored_user(app, "chen-li")
    assert user.must_change_password and passwords.verify_password(user.password_hash, password)
    listed = runner.invoke(args=["users", "list"])
    assert re.search(r"chen-li\s+staff\s+JK01", listed.output)


def test_init_creates_the_first_admin_once_and_prints_the_one_time_password(empty_database_url):
    app = create_app({"DATABASE_URL": empty_database_url, "TESTING": True, "SECRET_KEY": "test"})
    try:
        runner = app.test_cli_runner()
        first = runner.invoke(args=["init"])
        assert first.exit_code == 0, first.output
        password = re.search(r"username admin, one-time password (\S+)", first.output).group(1)
        admin = stored_user(app, "admin")
        assert (admin.role, admin.must_change_password) == ("admin", True)
        assert passwords.verify_password(admin.password_hash, password)

        again = runner.invoke(args=["init"])
        assert again.exit_code == 0, again.output
        assert "one-time password" not in again.output
        assert list_users(get_db(app), actor=SYSTEM, role="admin").total == 1
    finally:
        get_db(app).dispose()
