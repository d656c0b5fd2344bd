"""The schema changes only through Alembic: an empty database upgraded to head is exactly what the models describe."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import timebank.models  # noqa: F401  (every table on SQLModel.metadata)
from timebank import create_app, migrate
from timebank.db import Database
from tests.ledger_helpers import CAUSE
from timebank.centers.models import Center
from timebank.clock import utcnow
from timebank.ledger import standalone
from timebank.ledger.accounts import EXPIRY_SINK, REDEMPTION_SINK, account_id_for, open_account, redemption_sink_for
from timebank.ledger.check import check_ledger
from timebank.ledger.models import Account
from timebank.ledger.standalone import ensure_system_accounts


@contextmanager
def engine_for(url: str):
    engine = create_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def schema_diff(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def table_names(engine) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(engine).get_table_names())


def test_an_empty_database_upgraded_to_head_has_exactly_the_models_schema(empty_database_url):
    with engine_for(empty_database_url) as engine:
        assert migrate.current_revision(engine) is None
        assert table_names(engine) == set()

        migrate.upgrade(empty_database_url)

        assert schema_diff(engine) == []
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert table_names(engine) == set(SQLModel.metadata.tables) | {"alembic_version"}


def test_the_schema_comparison_notices_a_database_that_drifted_from_the_models(empty_database_url):
    """Guards the test above: were the comparison blind, an empty diff would prove nothing."""
    migrate.upgrade(empty_database_url)
    with engine_for(empty_database_url) as engine:
        with engine.begin() as connection:
            connection.execute(text("DROP INDEX ix_lot_due"))
            connection.execute(text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
        diff = schema_diff(engine)
    kinds = {(entry[0], getattr(entry[1], "name", None)) for entry in diff}
    assert ("add_index", "ix_lot_due") in kinds
    assert ("remove_table", "stray") in kinds


def test_upgrading_a_database_already_at_head_changes_nothing(empty_database_url):
    migrate.upgrade(empty_database_url)
    migrate.upgrade(empty_database_url)
    with engine_for(empty_database_url) as engine:
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert schema_diff(engine) == []


def run_init(url: str):
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test"})
    try:
        return app.test_cli_runner().invoke(args=["init"])
    finally:
        app.extensions["timebank.db"].dispose()


def system_account_codes(url: str) -> list[str]:
    database = Database(url, pool_size=1)
    try:
        return database.transaction(lambda s: s.execute(select(Account.code).order_by(Account.code)).scalars().all(),
                                    readonly=True)
    finally:
        database.dispose()


def test_timebank_init_creates_the_schema_and_the_system_accounts_and_is_harmless_twice(empty_database_url):
    first = run_init(empty_database_url)
    assert first.exit_code == 0, first.output
    assert f"database ready at revision {migrate.head_revision()}" in first.output
    assert system_account_codes(empty_database_url) == sorted([EXPIRY_SINK, REDEMPTION_SINK])

    second = run_init(empty_database_url)
    assert second.exit_code == 0, second.output
    assert system_account_codes(empty_database_url) == sorted([EXPIRY_SINK, REDEMPTION_SINK])
    with engine_for(empty_database_url) as engine:
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert schema_diff(engine) == []
    database = Database(empty_database_url, pool_size=1)
    try:
        assert check_ledger(database) == []
    finally:
        database.dispose()



def test_upgrading_past_0012_gives_every_existing_center_its_own_sinks_and_keeps_the_old_books(empty_database_url):
    """0012 on a database with centers and an old expiry in the city-wide sink: each center gets its redemption and
    expiry sink, its issuance account names it, the old expiry stays valid, and a second sink per center is refused
    while volunteer accounts still share a center."""
    migrate.upgrade(empty_database_url, "0010")
    database = Database(empty_database_url, pool_size=1)
    try:
        ensure_system_accounts(database)
        now = utcnow()
        volunteer = standalone.open_account(database, code="volunteer:old", kind="volunteer")
        centers = {}
        for code in ("JK01", "RZ02"):
            issuer = standalone.open_account(database, code=f"issuance:{code}", kind="issuance")  # no center_id yet
            centers[code] = (database.transaction(lambda s, issuer=issuer, code=code: s.execute(
                insert(Center.__table__).values(code=code, name=f"{code} 中心", district="京口区", active=True,
                                                issuance_account_id=issuer, created_at=now)
                .returning(Center.__table__.c.id)).scalar_one()), issuer)
        lot = standalone.mint(database, account_id=volunteer, issuer_account_id=centers["JK01"][1], amount=100,
                              expires_at=now - timedelta(days=1), key="old-mint", cause=CAUSE)
        old = standalone.expire_lot(database, lot_id=lot.lot_id, cause=CAUSE)  # before the upgrade, by the clock
        assert old.credit_account_id == database.transaction(lambda s: account_id_for(s, EXPIRY_SINK))
    finally:
        database.dispose()

    migrate.upgrade(empty_database_url)

    database = Database(empty_database_url, pool_size=1)
    try:
        for code, (center_id, issuer) in centers.items():
            rows = database.transaction(lambda s, center_id=center_id: s.execute(
                select(Account.code, Account.kind).where(Account.center_id == center_id).order_by(Account.code)
            ).all(), readonly=True)
            assert [tuple(row) for row in rows] == [(f"expiry:{code}", "expiry"), (f"issuance:{code}", "issuance"),
                                                    (f"redemption:{code}", "redemption")]
            sink = database.transaction(lambda s, center_id=center_id: redemption_sink_for(s, center_id))
            assert sink == database.transaction(lambda s, code=code: account_id_for(s, f"redemption:{code}"))
        assert check_ledger(database) == []  # the expiry credited to sink:expiry before 0012 is still sound
        jk = centers["JK01"][0]
        with pytest.raises(IntegrityError):
            database.transaction(lambda s: open_account(s, code="redemption:JK01-2", kind="redemption", center_id=jk),
                                 attempts=1)
        for n in range(2):
            standalone.open_account(database, code=f"volunteer:jk-{n}", kind="volunteer", center_id=jk)
        with engine_for(empty_database_url) as engine:
            assert schema_diff(engine) == []
    finally:
        database.dispose()
