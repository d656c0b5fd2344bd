"""The per-request principal lookup (one autocommit statement, no pool pre-ping) survives PostgreSQL dropping the
pooled connections: the lookup runs again on a fresh connection, and a unit of work after an idle spell gets a pinged
one (timebank.db._ping_when_idle)."""
from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.exc import DBAPIError

from tests.auth_helpers import make_user, mint_token
from timebank import db as db_module
from timebank.auth import services
from timebank.db import Database


@pytest.fixture
def pg_db(pg_url):
    database = Database(pg_url, pool_size=2)
    yield database
    database.dispose()


def drop_every_connection(database: Database) -> int:
    """What a server restart does to the pool: every backend of this database is terminated."""
    name = database.url.database
    with psycopg.connect(f"host={database.url.host} port={database.url.port or 5432} user={database.url.username} "
                         "dbname=postgres", autocommit=True) as admin:
        return len(admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                                 "AND pid <> pg_backend_pid()", (name,)).fetchall())


def test_a_token_lookup_on_a_dropped_connection_runs_again_on_a_fresh_one(pg_db, monkeypatch):
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 3600.0)  # no ping: the lookup meets the dead one
    person = make_user(pg_db, "staff")
    token = mint_token(pg_db, person)
    assert services.principal_for_token(pg_db, token).user_id == person.user_id
    assert drop_every_connection(pg_db) >= 1
    assert services.principal_for_token(pg_db, token).user_id == person.user_id


def test_a_unit_of_work_after_an_idle_spell_gets_a_live_connection(pg_db, monkeypatch):
    person = make_user(pg_db, "staff")
    assert drop_every_connection(pg_db) >= 1
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)  # every pooled connection counts as idle
    assert services.load_principal(pg_db, person.user_id).user_id == person.user_id
    assert drop_every_connection(pg_db) >= 1
    assert pg_db.transaction(lambda s: s.connection().exec_driver_sql("SELECT 1").scalar()) == 1


def test_without_the_idle_ping_a_dropped_connection_fails_the_unit_of_work(pg_db, monkeypatch):
    """The ping above is what saves the unit of work (this is what would happen without it)."""
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 3600.0)
    pg_db.transaction(lambda s: s.connection().exec_driver_sql("SELECT 1").scalar())
    assert drop_every_connection(pg_db) >= 1
    with pytest.raises(DBAPIError):
        pg_db.transaction(lambda s: s.connection().exec_driver_sql("SELECT 1").scalar())
