"""``timebank demo``: a believable demo city, and running it twice changes nothing."""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from timebank.auth.access import Principal
from timebank.auth.services import authenticate
from timebank.centers.services import list_centers
from timebank.check_ins.models import CheckIn
from timebank.catalog.services import page_of_items
from timebank.db import get_db
from timebank.drives.queries import list_drives
from timebank.drives.reservation_queries import list_reservations
from timebank.receipts.codec import Kind
from timebank.demo import seed_demo
from timebank.hours.queries import list_records
from timebank.receipts.services import check_receipt
from timebank.ledger.check import check_ledger
from timebank.service_requests.queries import list_requests
from timebank.service_types.services import list_service_types
from timebank.users.services import list_users
from timebank.volunteers.services import list_volunteers

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

SYSTEM = Principal.system("test")
HAN = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
HAN_TEXT = re.compile(r"[\u4e00-\u9fff]{2}")


def census(db) -> dict:
    return {
        "centers": list_centers(db, actor=SYSTEM).total,
        "volunteers": list_volunteers(db, actor=SYSTEM).total,
        "users": list_users(db, actor=SYSTEM).total,
        "service types": len(list_service_types(db, actor=SYSTEM)),
        "service records": list_records(db, actor=SYSTEM).total,
        "service requests": list_requests(db, actor=SYSTEM).total,
        "check-ins": db.read_one(select(func.count()).select_from(CheckIn.__table__))[0],
        "catalog items": page_of_items(db, actor=SYSTEM).total,
        "drives": list_drives(db, actor=SYSTEM).total,
        "reservations": list_reservations(db, actor=SYSTEM).total,
    }


def every(list_page, db, **filters) -> list:
    found, page = [], 1
    while True:
        batch = list_page(db, actor=SYSTEM, page=page, per_page=200, **filters)
        found.extend(batch.items)
        if page >= batch.pages:
            return found
        page += 1


def records_by_status(db) -> dict:
    return {status: list_records(db, actor=SYSTEM, status=status).total
            for status in ("pending", "approved", "rejected", "reversed")}


def test_demo_seeds_a_zhenjiang_city_and_a_second_run_adds_nothing(app):
    db = get_db(app)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    seeded = census(db)
    records = every(list_records, db)
    requests = every(list_requests, db)
    by_source = Counter(r.source for r in records)
    completed = [r for r in requests if r.status == "completed"]
    assert by_source == {"staff": 300, "check_in": 13, "request": sum(len(r.volunteers) for r in completed)}
    assert seeded == {"centers": 6, "volunteers": 100, "users": 10, "service types": 6,
                      "service records": len(records), "service requests": 42, "check-ins": 13,
                      "catalog items": 8, "drives": 1, "reservations": 24}
    assert "service requests: 42 created, 0 already there" in first.output
    assert "check-ins: 13 created, 0 already there" in first.output
    assert "evaluations: 2 created, 0 already there" in first.output
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

    _requests_and_check_ins_are_a_living_month(db, records, requests, volunteer)
    _an_open_drive_with_reservations(db, volunteer)

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert census(db) == seeded and records_by_status(db) == statuses
    assert "volunteers: 0 created, 100 already there" in second.output
    assert "service requests: 0 created, 42 already there" in second.output
    assert "check-ins: 0 created, 13 already there" in second.output
    assert "drives: 0 created, 1 already there" in second.output
    assert "evaluations: 0 created, 2 already there" in second.output
    assert "one-time password" not in second.output

    # A run on a later day finds the demo month where it was, rather than adding a new month beside it.
    seed_demo(db, password=password, now=datetime.now(timezone.utc) + timedelta(days=1))
    assert census(db) == seeded and records_by_status(db) == statuses
    assert check_ledger(db) == []


def _requests_and_check_ins_are_a_living_month(db, records, requests, volunteer) -> None:
    """Requests done in the past month became records (approved, the last days' pending), the coming days' are open
    to claim, one was cancelled; check-ins left records, one flagged as never checked out; nothing overlaps."""
    now = datetime.now(timezone.utc)
    assert Counter(r.status for r in requests) == {"completed": 24, "open": 15, "claimed": 2, "cancelled": 1}
    assert all(r.ends_at < now for r in requests if r.status == "completed")
    assert all(r.starts_at > now for r in requests if r.status != "completed")
    [cancelled] = [r for r in requests if r.status == "cancelled"]
    assert HAN_TEXT.search(cancelled.cancel_reason)
    assert all(HAN_TEXT.search(r.resident) and HAN_TEXT.search(r.place) and HAN_TEXT.search(r.note)
               and not re.search(r"[A-Za-z]", r.resident + r.place + r.note) for r in requests)

    from_requests = [r for r in records if r.source == "request"]
    assert {r.request_id for r in from_requests} == {r.id for r in requests if r.status == "completed"}
    assert {"approved", "pending"} <= {r.status for r in from_requests}
    assert any(r.rating for r in from_requests)
    approved = next(r for r in from_requests if r.status == "approved")
    assert check_receipt(db, code=approved.receipt_short_code).valid

    from_check_ins = [r for r in records if r.source == "check_in"]
    assert {"approved", "pending"} <= {r.status for r in from_check_ins}
    [flagged] = [r for r in from_check_ins if r.missing_check_out]
    assert flagged.status == "pending" and flagged.minutes == 12 * 60

    # The demo volunteer who signs in served a request and checked in, holds one of the coming days' requests and
    # sees others at their center still open to claim.
    theirs = [r for r in records if r.volunteer_id == volunteer.volunteer_id]
    assert {"staff", "request", "check_in"} <= {r.source for r in theirs}
    seen = list_requests(db, actor=volunteer, per_page=50).items
    assert any(r.claimed_by_me and r.starts_at > now for r in seen)
    assert any(not r.claimed_by_me and r.places_left and r.starts_at > now for r in seen)

    for volunteer_id in {r.volunteer_id for r in records}:
        times = sorted((r.started_at, r.ended_at) for r in records
                       if r.volunteer_id == volunteer_id and r.status in ("pending", "approved"))
        assert all(end <= next_start for (_, end), (next_start, _) in zip(times, times[1:])), volunteer_id


def _an_open_drive_with_reservations(db, volunteer) -> None:
    """The quarter's drive is open at every center with daily goods in stock; volunteers paid for their reservations
    with the month's credits: most wait at the desk, four were handed over, one was cancelled, and the demo volunteer
    who signs in holds one with a voucher that verifies."""
    items = page_of_items(db, actor=SYSTEM, per_page=50).items
    assert {"洗衣粉", "食用油", "大米", "鸡蛋"} <= {re.sub(r"（.*", "", i.name_zh) for i in items}
    [drive] = list_drives(db, actor=SYSTEM).items
    assert drive.status == "open" and len(drive.centers) == 6
    assert re.fullmatch(r"\d{4}年第[一二三四]季度时间币兑换", drive.name)
    reservations = list_reservations(db, actor=SYSTEM, per_page=50).items
    assert Counter(r.status for r in reservations) == {"held": 19, "fulfilled": 4, "cancelled": 1}
    assert len({r.center for r in reservations}) == 6
    assert all(r.total == sum(line.unit_price * line.quantity for line in r.lines) for r in reservations)
    [theirs] = list_reservations(db, actor=volunteer).items
    assert theirs.status == "held"
    assert check_receipt(db, code=theirs.voucher_short_code, kind=Kind.VOUCHER).valid
    picked_up = next(r for r in reservations if r.status == "fulfilled")
    assert check_receipt(db, code=picked_up.voucher_short_code).verdict.status == "redeemed"
