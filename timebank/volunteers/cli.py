"""``timebank volunteers import FILE``: the volunteer import from a shell, as the system."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from timebank.auth.access import Principal
from timebank.cli import exit_with_error
from timebank.db import get_db
from timebank.errors import DomainError
from timebank.volunteers.csv_import import MAX_IMPORT_BYTES, import_volunteers


@click.group("volunteers", help="Manage volunteers.")
def volunteers_cli():
    pass


@volunteers_cli.command("import", help="Import volunteers from a CSV or XLSX file (all or nothing, at most 5 MB). "
                                       "Columns: 姓名/name, 手机号/phone, 服务中心/center, [身份证后四位/id_card_tail], "
                                       "[出生年份/birth_year]; any other column is ignored.")
@click.argument("path", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="check every line and report, creating nothing")
@with_appcontext
def import_volunteers_command(path, dry_run):
    try:
        report = import_volunteers(get_db(), actor=Principal.system("cli"),
                                   csv_text=path.read(MAX_IMPORT_BYTES + 1), dry_run=dry_run)
    except DomainError as error:
        exit_with_error(error)
    for warning in report.warnings:
        click.echo(f"line {warning.line}: {warning.reason}", err=True)
    for error in report.errors:
        click.echo(f"line {error.line}: {error.reason}", err=True)
    verb = "would create" if report.dry_run else "created"
    click.echo(f"{report.total_lines} lines ({report.encoding}): {report.valid} good, {len(report.errors)} errors; "
               f"{verb} {report.created}, {report.skipped_existing} already registered")
    if report.errors:
        if not report.dry_run:
            click.echo("nothing was imported: correct the lines above and import the file again", err=True)
        raise SystemExit(1)
