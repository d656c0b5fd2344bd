"""``timebank init`` and the helpers every command shares. The console script itself is ``timebank.main``."""
import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from timebank import migrate
from timebank.db import get_db
from timebank.ledger.standalone import ensure_system_accounts
from timebank.receipts.keys import SigningKeyUnavailable, ensure_signing_key
from timebank.users.services import ensure_first_admin


@click.command("init", help="Create or upgrade the database to the latest migration, open the system accounts and create "
                    "a receipt signing key if there is none.")
@with_appcontext
def init_command():
    url = current_app.config["DATABASE_URL"]
    migrate.upgrade(url)
    ensure_system_accounts(get_db())
    click.echo(f"database ready at revision {migrate.head_revision()}: {_safe(url)}")
    try:
        click.echo(f"receipts are signed with key {ensure_signing_key(get_db())}")
    except SigningKeyUnavailable:
        # The secret changed (or was lost): the database is still good, and receipts already issued still verify.
        click.echo("warning: the receipt signing key cannot be opened with this TIMEBANK_SECRET_KEY; no receipt can "
                   "be issued until 'timebank receipts rotate-keys --replace-unopenable' makes a new key (issued receipts still verify)",
                   err=True)
    _first_admin()


def _first_admin() -> None:

    password = ensure_first_admin(get_db())
    if password:
        click.echo(f"created the first admin: username admin, one-time password {password}")
        click.echo("sign in with it now; you will be asked to choose a new password")


def exit_with_error(error) -> None:
    """Print a domain error (and its fields) the way every command does, and exit with status 1."""
    click.echo(f"error: {error.text()}", err=True)  # text(): the sentence with its parameters filled in
    for name, messages in error.rendered_fields().items():
        for message in messages if isinstance(messages, list) else [messages]:
            click.echo(f"  {name}: {message}", err=True)
    raise SystemExit(1)


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def init_app(app) -> None:
    app.cli.add_command(init_command)
