"""The test suite's own PostgreSQL databases: one a test is done with is emptied and given to the next test, which must
find exactly what a fresh clone of the template holds (tests/conftest.py, ``_PgDatabases``)."""
from __future__ import annotations

from sqlmodel import SQLModel

from tests.conftest import _pg_url
from timebank.auth.access import Principal
from timebank.centers.services import create_center
from timebank.db import Database
from timebank.volunteers.services import create_volunteer


def contents(name: str) -> dict:
    """Every table's rows and every sequence's position in the database ``name``."""
    db = Database(_pg_url(name))
    try:
        def read(s):
            rows = {table.name: sorted(map(tuple, s.execute(table.select()).all()), key=repr)
                    for table in SQLModel.metadata.sorted_tables}
            sequences = s.connection().exec_driver_sql(
                "SELECT sequencename, last_value FROM pg_sequences ORDER BY 1").all()
            return {"rows": rows, "sequences": [tuple(row) for row in sequences]}
        return db.transaction(read, readonly=True)
    finally:
        db.dispose()


def test_a_database_given_back_holds_exactly_the_templates_rows_for_the_next_test(pg_databases):
    fresh = contents(pg_databases.template)
    name = pg_databases.take()
    db = Database(_pg_url(name))
    system = Principal.system("test")
    create_center(db, actor=system, code="JK01", name="大市口街道养老服务中心", district="京口区")
    create_volunteer(db, actor=system, name="王秀英", phone="13805291234", home_center="JK01")
    db.transaction(lambda s: s.connection().exec_driver_sql("CREATE TABLE made_by_a_test (id INTEGER PRIMARY KEY)"))
    used = contents(name)
    assert used != fresh  # the test wrote rows (a center, its sinks, a volunteer, audit entries) and used sequences
    pg_databases.give_back(name)  # while ``db`` still holds connections to it, as a test's leftovers may

    again = pg_databases.take()
    try:
        assert again == name
        assert contents(again) == fresh
        tables = Database(_pg_url(again))
        try:
            assert "made_by_a_test" not in tables.transaction(lambda s: s.connection().exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").scalars().all(), readonly=True)
        finally:
            tables.dispose()
    finally:
        pg_databases.give_back(again)
        db.dispose()
