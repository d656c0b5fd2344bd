"""Fixtures of the receipts' integration tests: a database that can sign, and a center, another center and a
volunteer to issue receipts for (see receipt_helpers.py)."""
from __future__ import annotations

import pytest

from tests.integration.receipt_helpers import SECRET, SYSTEM, People
from timebank.centers.services import create_center
from timebank.db import Database
from timebank.volunteers.services import create_volunteer


@pytest.fixture
def rdb(database_url):
    """The test database, opened with the application's secret (it unseals the signing keys)."""
    database = Database(database_url, pool_size=20, secret_key=SECRET)
    yield database
    database.dispose()


@pytest.fixture
def people(rdb) -> People:
    center = create_center(rdb, actor=SYSTEM, code="JK01", name="京口区养老服务中心", district="京口区")
    other = create_center(rdb, actor=SYSTEM, code="RZ02", name="润州区养老服务中心", district="润州区")
    volunteer = create_volunteer(rdb, actor=SYSTEM, name="王小英", phone="13800000001", home_center="JK01")
    return People(center.id, other.id, volunteer.id)
