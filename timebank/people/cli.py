"""``timebank users …``, ``timebank volunteers import``, ``timebank demo``: the people services from a shell.

Commands act as the system (``Principal.system``): whoever can run them can already read the database.
"""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from timebank.auth.access import ROLES, Principal
from timebank.db import get_db
from timebank.errors import DomainError
from timebank.people import services


def _fail(error: DomainError) -> None:
    click.echo(f"error: {error.message}", err=True)
    for name, messages in (error.fields or {}).items():
        for message in messages if isinstance(messages, list) else [messages]:
            click.echo(f"  {name}: {message}", err=True)
    raise SystemExit(1)


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
        _fail(error)
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
        _fail(error)
    click.echo(f"one-time password for {user.username}: {user.one_time_password}  (to be changed at first sign-in)")


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


@click.group("volunteers", help="Manage volunteers.")
def volunteers_cli():
    pass


@volunteers_cli.command("import", help="Import volunteers from a CSV file (all or nothing). Columns: "
                                       "姓名/name, 手机号/phone, 服务中心/center, [身份证后四位/id_card_tail], "
                                       "[出生年份/birth_year].")
@click.argument("path", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="check every line and report, creating nothing")
@with_appcontext
def import_volunteers_command(path, dry_run):
    try:
        report = services.import_volunteers(get_db(), actor=Principal.system("cli"), csv_text=path.read(),
                                            dry_run=dry_run)
    except DomainError as error:
        _fail(error)
    for error in report.errors:
        click.echo(f"line {error.line}: {error.reason}", err=True)
    verb = "would create" if report.dry_run else "created"
    click.echo(f"{report.total_lines} lines ({report.encoding}): {report.valid} good, {len(report.errors)} errors; "
               f"{verb} {report.created}, {report.skipped_existing} already registered")
    if report.errors:
        if not report.dry_run:
            click.echo("nothing was imported: correct the lines above and import the file again", err=True)
        raise SystemExit(1)


@click.command("demo", help="Seed a believable demo city (Zhenjiang): centers, staff, a supervisor, service types "
                            "and a hundred volunteers. Running it again adds only what is missing.")
@click.option("--password-stdin", is_flag=True, help="read the demo users' password from standard input "
                                                     "(default: a generated one, printed)")
@with_appcontext
def demo_command(password_stdin):
    from timebank.people.demo import seed_demo

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    try:
        city = seed_demo(get_db(), password=password)
    except DomainError as error:
        _fail(error)
    for kind in sorted(set(city.created) | set(city.existing)):
        click.echo(f"{kind}: {city.created.get(kind, 0)} created, {city.existing.get(kind, 0)} already there")
    if city.first_admin_password:
        click.echo(f"first admin: admin, one-time password {city.first_admin_password} (change it at first sign-in)")
    if city.created.get("users"):
        click.echo(f"new demo users sign in with the password: {city.password}")
        for username, role in city.logins:
            click.echo(f"  {username:<14} {role}")
    else:
        click.echo("demo users already existed and keep their passwords (`timebank users reset-password NAME`)")


def _volunteer_id(db, actor, phone: str) -> int:
    from timebank.errors import ValidationFailed
    from timebank.people.rules import normalize_phone

    try:
        phone = normalize_phone(phone)
    except ValueError as error:
        raise ValidationFailed(str(error), fields={"volunteer_phone": [str(error)]}) from None
    matches = [v for v in services.list_volunteers(db, actor=actor, search=phone).items if v.phone == phone]
    if not matches:
        raise ValidationFailed(f"no volunteer with phone {phone}", fields={"volunteer_phone": ["no such volunteer"]})
    return matches[0].id


def _user_named(db, actor, username: str):
    from timebank.errors import NotFound

    wanted = username.strip().lower()
    for user in services.list_users(db, actor=actor, search=wanted, per_page=200).items:
        if user.username == wanted:
            return user
    raise NotFound(f"no user {wanted}")


def init_app(app) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(volunteers_cli)
    app.cli.add_command(demo_command)
