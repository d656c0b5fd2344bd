"""Fixtures shared by every test folder.

``database`` is parametrized over SQLite and PostgreSQL: every storage test runs on both. Each test gets its own
throwaway database (a SQLite file in tmp_path; a PostgreSQL database cloned from a template built once per run).
With CI=true a missing PostgreSQL fails the test; elsewhere it is skipped with the reason.
"""
from __future__ import annotations

import os
import uuid

import pytest
from sqlmodel import SQLModel

import timebank.models  # noqa: F401
from timebank.db import Database
from timebank.ledger.postings import ensure_system_accounts

PG_ADMIN_URL = os.environ.get("TIMEBANK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def _pg_admin():
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def pg_template():
    """A PostgreSQL database with the schema, built once; each test clones it (CREATE DATABASE … TEMPLATE)."""
    try:
        admin = _pg_admin()
    except Exception as error:  # noqa: BLE001
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and is not reachable: {error}")
        pytest.skip(f"PostgreSQL not reachable: {error}")
    name = f"tb_tmpl_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    db = Database(_pg_url(name))
    SQLModel.metadata.create_all(db.engine)
    ensure_system_accounts(db)
    db.dispose()
    yield name
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def pg_url(pg_template):
    name = f"tb_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield _pg_url(name)
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'timebank.db'}"
    db = Database(url)
    SQLModel.metadata.create_all(db.engine)
    ensure_system_accounts(db)
    db.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    """The URL of a fresh database with the schema and the system accounts, on each backend in turn."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def db(database_url):
    # At most 20 connections per test: PostgreSQL allows 100 in all, and threads beyond the pool wait their turn.
    database = Database(database_url, pool_size=20)
    yield database
    database.dispose()
