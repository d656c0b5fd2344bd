"""The ``timebank`` console script: the app's Flask CLI. Feature modules add their own command groups."""
import click
from flask.cli import FlaskGroup, with_appcontext

from timebank import migrate
from timebank.db import get_db
from timebank.users.services import ensure_first_admin


@click.command("init", help="Create or upgrade the database to the latest migration and open the system accounts.")
@with_appcontext
def init_command():
    from flask import current_app

    from timebank.ledger.standalone import ensure_system_accounts

    url = current_app.config["DATABASE_URL"]
    migrate.upgrade(url)
    ensure_system_accounts(get_db())
    click.echo(f"database ready at revision {migrate.head_revision()}: {_safe(url)}")
    _first_admin()


def _first_admin() -> None:

    password = ensure_first_admin(get_db())
    if password:
        click.echo(f"created the first admin: username admin, one-time password {password}")
        click.echo("sign in with it now; you will be asked to choose a new password")


def exit_with_error(error) -> None:
    """Print a domain error (and its fields) the way every command does, and exit with status 1."""
    click.echo(f"error: {error.message}", err=True)
    for name, messages in (error.fields or {}).items():
        for message in messages if isinstance(messages, list) else [messages]:
            click.echo(f"  {name}: {message}", err=True)
    raise SystemExit(1)


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def init_app(app) -> None:
    app.cli.add_command(init_command)


def main() -> None:
    from timebank import create_app

    FlaskGroup(create_app=create_app, name="timebank", help="The time bank's commands.")(prog_name="timebank")
