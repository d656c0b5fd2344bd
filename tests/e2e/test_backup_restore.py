"""``timebank backup FILE`` and ``timebank restore FILE``: a copy taken while the service runs holds exactly what
was there when it was taken, restores into a new database that is ready to serve and whose ledger checks clean, and
neither command ever overwrites anything."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, func, inspect, select, table
from sqlalchemy.pool import NullPool

from tests.conftest import _pg_admin, _pg_admin_or_skip, _pg_url
from tests.drive_helpers import SYSTEM, make_city, volunteer_with
from timebank import create_app
from timebank.db import get_db
from timebank.drives.desk import redeem_voucher
from timebank.drives.reservations import reserve
from timebank.ledger.check import check_ledger
from timebank.migrate import head_revision

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture(params=["sqlite", "postgresql"])
def two_databases(request, tmp_path):
    """The URL of a new database for the service and of a second, empty one to restore into, on one backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'live.db'}", f"sqlite:///{tmp_path / 'restored' / 'timebank.db'}"
        return
    names = [f"tb_backup_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with _pg_admin_or_skip() as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    yield tuple(_pg_url(name) for name in names)
    with _pg_admin() as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def counts(url: str) -> dict[str, int]:
    """Every table's number of rows."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return {name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
                    for name in sorted(inspect(connection).get_table_names())}
    finally:
        engine.dispose()


def test_a_backup_taken_while_serving_restores_into_a_new_database_that_is_ready(two_databases, tmp_path):
    live_url, restored_url = two_databases
    live = create_app({"DATABASE_URL": live_url, "TESTING": True, "SECRET_KEY": "test"})
    command = live.test_cli_runner()
    assert command.invoke(args=["init"]).exit_code == 0
    db = get_db(live)
    city = make_city(db)
    volunteer = volunteer_with(db, city.jk, 100_00)
    picked_up = reserve(db, actor=city.volunteer_actor(volunteer.id), drive_id=city.drive.id, center="JK01",
                        lines=[{"sku": "RICE-5KG", "quantity": 2}])
    redeem_voucher(db, actor=city.staff(city.jk), text=picked_up.voucher_short_code)
    waiting = reserve(db, actor=SYSTEM, drive_id=city.drive.id, center="JK01", volunteer_id=volunteer.id,
                      lines=[{"sku": "OIL-5L", "quantity": 1}])
    before = counts(live_url)
    assert before["reservation"] == 2 and before["transfer"] > 0 and before["receipt"] >= 2

    backup_file = tmp_path / "backups" / "timebank-2026-12-01.backup"
    made = command.invoke(args=["backup", str(backup_file)])
    assert made.exit_code == 0, made.output
    assert f"backed up to {backup_file}" in made.output and f"at migration {head_revision()}" in made.output
    # The service goes on after the copy: none of this is in the backup.
    reserve(db, actor=SYSTEM, drive_id=city.drive.id, center="JK01", volunteer_id=volunteer.id,
            lines=[{"sku": "RICE-5KG", "quantity": 1}])
    assert counts(live_url)["reservation"] == 3

    again = command.invoke(args=["backup", str(backup_file)])
    assert again.exit_code == 1 and "already exists" in again.output
    into_live = command.invoke(args=["restore", str(backup_file)])
    assert into_live.exit_code == 1 and "restore into a new, empty database" in into_live.output
    assert counts(live_url)["reservation"] == 3  # refused, and nothing touched

    restored = create_app({"DATABASE_URL": restored_url, "TESTING": True, "SECRET_KEY": "test"})
    done = restored.test_cli_runner().invoke(args=["restore", str(backup_file)])
    assert done.exit_code == 0, done.output
    assert f"at migration {head_revision()}" in done.output
    assert counts(restored_url) == before
    restored_db = get_db(restored)
    try:
        assert check_ledger(restored_db) == []
        assert restored.test_client().get("/readyz").get_json()["status"] == "ready"
        # The restored bank goes on where the backup left it: the waiting voucher is handed over there.
        handed = redeem_voucher(restored_db, actor=city.staff(city.jk), text=waiting.voucher_short_code)
        assert handed.status == "fulfilled"
    finally:
        restored_db.dispose()
        db.dispose()
