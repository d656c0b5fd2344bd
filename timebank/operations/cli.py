"""``timebank backup FILE`` and ``timebank restore FILE``."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from timebank.operations.backup import BackupFailed, backup, restore


@click.command("backup", help="Copy the database into FILE while the service runs: SQLite's online backup, checked "
                              "with its integrity check; on PostgreSQL, pg_dump's custom format. FILE must not "
                              "exist yet.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path):
    try:
        copy = backup(current_app.config["DATABASE_URL"], file)
    except BackupFailed as failed:
        raise click.ClickException(str(failed)) from None
    click.echo(f"backed up to {copy.path} ({copy.size:,} bytes, at migration {copy.revision})")


@click.command("restore", help="Restore the backup FILE (made by 'timebank backup') into the configured database, "
                               "which must be new and empty (a new SQLite file, or a freshly created PostgreSQL "
                               "database). Run 'timebank init' afterwards to upgrade it when the backup is older.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path):
    try:
        copy = restore(file, current_app.config["DATABASE_URL"])
    except BackupFailed as failed:
        raise click.ClickException(str(failed)) from None
    click.echo(f"restored {copy.path} ({copy.size:,} bytes) at migration {copy.revision}")
