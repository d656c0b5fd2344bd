"""``timebank users …``: create users, reset a password, activate or deactivate them, list them.

Commands act as the system."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from timebank.auth.access import ROLES, Principal
from timebank.cli import exit_with_error
from timebank.db import get_db
from timebank.errors import DomainError, NotFound, ValidationFailed
from timebank.users import services
from timebank.volunteers import services as volunteers
from timebank.volunteers.rules import normalize_phone


@click.group("users", help="Manage the people who sign in.")
def users_cli():
    pass


@users_cli.command("create", help="Create a user. Without --password-stdin a one-time password is generated and "
                                  "printed; it must be changed at first sign-in.")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--center", metavar="CODE", help="staff: the code of their center")
@click.option("--supervises", "supervised", metavar="CODE", multiple=True,
              help="supervisor: a center they review (repeat for several)")
@click.option("--volunteer-phone", metavar="PHONE", help="volunteer: the phone number of their volunteer profile")
@click.option("--display-name", default="", help="the name shown in the pages")
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of standard input")
@with_appcontext
def create_user_command(username, role, center, supervised, volunteer_phone, display_name, password_stdin):
    db = get_db()
    actor = Principal.system("cli")
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        volunteer_id = _volunteer_id(db, actor, volunteer_phone) if volunteer_phone else None
        user = services.create_user(db, actor=actor, username=username, password=password, role=role,
                                    center=center, supervised_centers=supervised, volunteer_id=volunteer_id,
                                    display_name=display_name, must_change_password=False)
    except DomainError as error:
        exit_with_error(error)
    where = f" at {user.center}" if user.center else ""
    if user.supervised_centers:
        where = f" reviewing {', '.join(user.supervised_centers)}"
    click.echo(f"created {user.role} {user.username}{where}")
    if user.one_time_password:
        click.echo(f"one-time password: {user.one_time_password}  (to be changed at first sign-in)")


@users_cli.command("reset-password", help="Give a user a new one-time password and end their sessions.")
@click.argument("username")
@with_appcontext
def reset_password_command(username):
    db = get_db()
    actor = Principal.system("cli")
    try:
        user = _user_named(db, actor, username)
        user = services.reset_password(db, actor=actor, user_id=user.id)
    except DomainError as error:
        exit_with_error(error)
    click.echo(f"one-time password for {user.username}: {user.one_time_password}  (to be changed at first sign-in)")


@users_cli.command("activate", help="Let a deactivated user sign in again (for example an admin who was locked out).")
@click.argument("username")
@with_appcontext
def activate_command(username):
    _set_active(username, True)


@users_cli.command("deactivate", help="Stop a user from signing in and end their sessions. The last active admin "
                                      "cannot be deactivated.")
@click.argument("username")
@with_appcontext
def deactivate_command(username):
    _set_active(username, False)


def _set_active(username: str, active: bool) -> None:
    db = get_db()
    actor = Principal.system("cli")
    try:
        user = services.set_user_active(db, actor=actor, user_id=_user_named(db, actor, username).id, active=active)
    except DomainError as error:
        exit_with_error(error)
    click.echo(f"{user.username} is {'active' if user.active else 'deactivated'}")


@users_cli.command("list", help="List the users.")
@click.option("--role", type=click.Choice(ROLES))
@with_appcontext
def list_users_command(role):
    db = get_db()
    actor = Principal.system("cli")
    page_number = 1
    while True:
        page = services.list_users(db, actor=actor, role=role, page=page_number, per_page=200)
        for user in page.items:
            scope = user.center or ",".join(user.supervised_centers) or (
                f"volunteer {user.volunteer_id}" if user.volunteer_id else "")
            state = "" if user.active else "  (inactive)"
            click.echo(f"{user.username:<24} {user.role:<11} {scope}{state}")
        if page_number >= page.pages:
            break
        page_number += 1


def _volunteer_id(db, actor, phone: str) -> int:
    try:
        phone = normalize_phone(phone)
    except ValueError as error:
        raise ValidationFailed(str(error), fields={"volunteer_phone": [str(error)]}) from None
    matches = [v for v in volunteers.list_volunteers(db, actor=actor, search=phone).items if v.phone == phone]
    if not matches:
        raise ValidationFailed(f"no volunteer with phone {phone}", fields={"volunteer_phone": ["no such volunteer"]})
    return matches[0].id


def _user_named(db, actor, username: str):
    wanted = username.strip().lower()
    for user in services.list_users(db, actor=actor, search=wanted, per_page=200).items:
        if user.username == wanted:
            return user
    raise NotFound(f"no user {wanted}")
