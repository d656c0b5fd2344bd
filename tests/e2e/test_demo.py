"""``timebank demo``: a believable demo city, and running it twice changes nothing."""
from __future__ import annotations

import re

import pytest

from timebank.auth.access import Principal
from timebank.auth.services import authenticate
from timebank.centers.services import list_centers
from timebank.db import get_db
from timebank.hours.queries import list_records
from timebank.receipts.services import check_receipt
from timebank.ledger.check import check_ledger
from timebank.service_types.services import list_service_types
from timebank.users.services import list_users
from timebank.volunteers.services import list_volunteers

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

SYSTEM = Principal.system("test")
HAN = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def census(db) -> dict:
    return {
        "centers": list_centers(db, actor=SYSTEM).total,
        "volunteers": list_volunteers(db, actor=SYSTEM).total,
        "users": list_users(db, actor=SYSTEM).total,
        "service types": len(list_service_types(db, actor=SYSTEM)),
        "service records": list_records(db, actor=SYSTEM).total,
    }


def records_by_status(db) -> dict:
    return {status: list_records(db, actor=SYSTEM, status=status).total
            for status in ("pending", "approved", "rejected", "reversed")}


def test_demo_seeds_a_zhenjiang_city_and_a_second_run_adds_nothing(app):
    db = get_db(app)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    seeded = census(db)
    assert seeded == {"centers": 6, "volunteers": 100, "users": 10, "service types": 6, "service records": 300}
    statuses = records_by_status(db)
    assert statuses["reversed"] == 1 and statuses["pending"] > 0 and statuses["approved"] > 200
    [approved] = list_records(db, actor=SYSTEM, status="approved", per_page=1).items
    assert check_receipt(db, code=approved.receipt_short_code).valid
    [reversed_] = list_records(db, actor=SYSTEM, status="reversed").items
    assert check_receipt(db, code=reversed_.receipt_short_code).verdict.status == "reversed"

    centers = list_centers(db, actor=SYSTEM).items
    assert {c.district for c in centers} == {"京口区", "润州区", "丹徒区", "镇江新区"}
    volunteers = list_volunteers(db, actor=SYSTEM, per_page=100).items
    assert all(HAN.match(v.name) for v in volunteers)
    assert len({v.name for v in volunteers}) == 100
    assert {v.home_center for v in volunteers} == {c.code for c in centers}

    password = re.search(r"sign in with the password: (\S+)", first.output).group(1)
    staff = authenticate(db, username="staff-jk01", password=password, address="127.0.0.1")
    jk01 = next(c for c in centers if c.code == "JK01")
    assert (staff.role, staff.visible_center_ids()) == ("staff", {jk01.id})
    volunteer = authenticate(db, username="13951100001", password=password, address="127.0.0.1")
    assert volunteer.volunteer_id == list_volunteers(db, actor=SYSTEM, search="13951100001").items[0].id
    assert "first admin: admin, one-time password" in first.output

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert census(db) == seeded and records_by_status(db) == statuses
    assert "volunteers: 0 created, 100 already there" in second.output
    assert "one-time password" not in second.output
    assert check_ledger(db) == []
