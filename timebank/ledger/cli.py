"""``timebank ledger …``"""
import click
from flask.cli import with_appcontext

from timebank.db import get_db
from timebank.ledger.check import check_ledger


@click.group("ledger", help="Inspect the ledger.")
def ledger_cli():
    pass


@ledger_cli.command("check", help="Verify every ledger invariant (SPEC §4); exit 1 naming each violation.")
@with_appcontext
def check_command():
    violations = check_ledger(get_db())
    for violation in violations:
        click.echo(f"VIOLATION {violation}", err=True)
    if violations:
        click.echo(f"ledger check: {len(violations)} violation(s)", err=True)
        raise SystemExit(1)
    click.echo("ledger check: ok, every invariant holds")
