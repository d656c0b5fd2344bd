"""Backups and restores of the configured database.

SQLite: SQLite's online backup (``sqlite3.Connection.backup``), a consistent copy taken page by page while the
service keeps running, checked with ``PRAGMA integrity_check``. PostgreSQL: ``pg_dump --format=custom`` of the
database, which is itself a consistent snapshot taken without stopping anyone. A restore goes into an empty database
only (a new file, or a freshly created PostgreSQL database), so it can never mix a backup into live data; the
operator then points ``TIMEBANK_DATABASE_URL`` at it.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from timebank import migrate


class BackupFailed(Exception):
    """What went wrong, in a sentence for the operator."""


@dataclass(frozen=True)
class Copy:
    path: Path
    size: int
    revision: str | None


def backup(url: str, destination: Path) -> Copy:
    """Copy the database at ``url`` into ``destination`` (which must not exist yet)."""
    if destination.exists():
        raise BackupFailed(f"{destination} already exists; choose a new file name")
    destination.parent.mkdir(parents=True, exist_ok=True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        source = _sqlite_path(url)
        if not source.exists():
            raise BackupFailed(f"there is no database at {source}")
        partial = destination.with_name(destination.name + ".partial")
        try:
            with sqlite3.connect(source) as live, sqlite3.connect(partial) as copy:
                live.backup(copy, pages=1024)  # a step at a time: writers wait for a step, never for the copy
                _check_integrity(copy, partial)
            partial.replace(destination)
        finally:
            partial.unlink(missing_ok=True)
        revision = _revision(f"sqlite:///{destination}")
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(destination), _libpq(url)], "pg_dump")
        revision = _revision(url)
    return Copy(destination, destination.stat().st_size, revision)


def restore(source: Path, url: str) -> Copy:
    """Restore the backup ``source`` into the empty database at ``url``."""
    if not source.is_file():
        raise BackupFailed(f"there is no backup at {source}")
    if make_url(url).get_backend_name() == "sqlite":
        target = _sqlite_path(url)
        if target.exists() and target.stat().st_size > 0:
            raise BackupFailed(f"{target} already exists: restore into a new, empty database (a new file)")
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(source) as backup_copy, sqlite3.connect(target) as restored:
            _check_integrity(backup_copy, source)
            backup_copy.backup(restored)
    else:
        engine = create_engine(url, poolclass=NullPool)
        try:
            if inspect(engine).get_table_names():
                raise BackupFailed("the database has tables already: restore into a new, empty database")
        finally:
            engine.dispose()
        _run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", _libpq(url), str(source)], "pg_restore")
    return Copy(source, source.stat().st_size, _revision(url))


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupFailed("an in-memory database cannot be backed up")
    return Path(database)


def _check_integrity(connection: sqlite3.Connection, path: Path) -> None:
    verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        raise BackupFailed(f"{path} failed SQLite's integrity check: {verdict}")


def _revision(url: str) -> str | None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        return migrate.current_revision(engine)
    finally:
        engine.dispose()


def _libpq(url: str) -> str:
    """The URL as pg_dump and pg_restore read it (without SQLAlchemy's ``+psycopg`` driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str], tool: str) -> None:
    if shutil.which(tool) is None:
        raise BackupFailed(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
    if done.returncode != 0:
        raise BackupFailed(f"{tool} failed: {done.stderr.strip()[-500:]}")
