"""Service records through their services, on SQLite and PostgreSQL: logging and its rules, overlap under
concurrency, approval into credits with a receipt, rejection, reversal, ratings."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from flask_babel import Babel

from timebank.auth.access import Forbidden, Principal
from timebank.centers.services import create_center
from timebank.errors import ValidationFailed
from timebank.hours import queries, services
from timebank.hours.queries import RecordNotFound
from timebank.ledger import standalone
from timebank.ledger.accounts import REDEMPTION_SINK, account_id_for
from timebank.ledger.check import check_ledger
from timebank.ledger.postings import Cause
from timebank.receipts.services import check_receipt
from timebank.service_types.services import create_service_type, update_service_type
from timebank.volunteers.services import create_volunteer, get_volunteer, set_volunteer_active

SYSTEM = Principal.system("test")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
VALIDITY = 730


@pytest.fixture(autouse=True)
def babel_context():
    """Messages and times are rendered lazily; give them an app to render in."""
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


@pytest.fixture
def city(db):
    jk = create_center(db, actor=SYSTEM, code="JK01", name="京口区大市口中心", district="京口区")
    rz = create_center(db, actor=SYSTEM, code="RZ01", name="润州区中心", district="润州区")
    visit = create_service_type(db, actor=SYSTEM, code="visit", name_zh="上门探访", credits_per_hour=150)
    wang = create_volunteer(db, actor=SYSTEM, name="王小英", phone="13800000001", home_center="JK01")
    li = create_volunteer(db, actor=SYSTEM, name="李四", phone="13800000002", home_center="JK01")
    zhao = create_volunteer(db, actor=SYSTEM, name="赵六", phone="13800000003", home_center="RZ01")
    return type("City", (), dict(jk=jk, rz=rz, visit=visit, wang=wang, li=li, zhao=zhao,
                                 staff_jk=Principal(user_id=None, username="staff-jk", role="staff",
                                                    center_id=jk.id),
                                 staff_rz=Principal(user_id=None, username="staff-rz", role="staff",
                                                    center_id=rz.id)))


def log(db, city, volunteer, start_hours_ago: float, hours: float, *, actor=None, center="JK01"):
    started = NOW - timedelta(hours=start_hours_ago)
    return services.log_record(db, actor=actor or city.staff_jk, volunteer_id=volunteer.id, center=center,
                               service_type="visit", started_at=started, ended_at=started + timedelta(hours=hours),
                               now=NOW)


def balance(db, volunteer):
    account_id = get_volunteer(db, actor=SYSTEM, volunteer_id=volunteer.id).account_id
    return standalone.get_balance(db, account_id)


def test_a_logged_record_is_pending_with_its_minutes(db, city):
    record = log(db, city, city.wang, 5, 1.5)
    assert (record.status, record.minutes, record.source, record.center) == ("pending", 90, "staff", "JK01")
    assert record.credits is None and record.receipt_token is None


@pytest.mark.parametrize("start_ago, hours, field", [(5, -1, "ended_at"), (5, 0, "ended_at"), (20, 12.5, "ended_at"),
                                                     (1, 3, "ended_at")])
def test_a_bad_period_is_refused_by_field(db, city, start_ago, hours, field):
    with pytest.raises(ValidationFailed) as refused:
        log(db, city, city.wang, start_ago, hours)
    assert field in refused.value.fields
    assert queries.list_records(db, actor=SYSTEM).total == 0


def test_a_record_of_exactly_twelve_hours_is_accepted(db, city):
    assert log(db, city, city.wang, 13, 12).minutes == 720


def test_overlap_with_the_same_volunteers_record_at_any_center_is_refused(db, city):
    log(db, city, city.zhao, 5, 2, actor=city.staff_rz, center="RZ01")
    with pytest.raises(services.Overlap) as refused:
        staff_zhao_at_jk = Principal(user_id=None, username="admin", role="admin")
        log(db, city, city.zhao, 4, 2, actor=staff_zhao_at_jk)
    assert refused.value.code == "overlap" and "赵六" in str(refused.value)
    # touching ends do not overlap, and another volunteer is free
    assert log(db, city, city.zhao, 3, 1, actor=city.staff_rz, center="RZ01").status == "pending"
    assert log(db, city, city.wang, 4, 2).status == "pending"


def test_a_rejected_record_no_longer_holds_the_time(db, city):
    first = log(db, city, city.wang, 5, 2)
    services.reject_record(db, actor=city.staff_jk, record_id=first.id, reason="时间记错了", now=NOW)
    assert log(db, city, city.wang, 5, 2).status == "pending"


def test_two_staff_entering_overlapping_records_at_once_leave_exactly_one(db, city):
    outcomes, barrier = [], threading.Barrier(4)

    def enter(offset_minutes: int):
        barrier.wait()
        try:
            started = NOW - timedelta(hours=6) + timedelta(minutes=offset_minutes)
            services.log_record(db, actor=city.staff_jk, volunteer_id=city.wang.id, center="JK01",
                                service_type="visit", started_at=started, ended_at=started + timedelta(hours=2),
                                now=NOW)
            outcomes.append("created")
        except services.Overlap:
            outcomes.append("overlap")

    threads = [threading.Thread(target=enter, args=(m,)) for m in (0, 10, 20, 30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created", "overlap", "overlap", "overlap"]
    assert queries.list_records(db, actor=SYSTEM, volunteer_id=city.wang.id).total == 1


def test_an_activity_creates_a_record_per_volunteer_or_none(db, city):
    started = NOW - timedelta(hours=4)
    records = services.log_activity(db, actor=city.staff_jk, center="JK01", service_type="visit",
                                    started_at=started, ended_at=started + timedelta(hours=2),
                                    volunteer_ids=[city.wang.id, city.li.id], note="合唱课", now=NOW)
    assert [r.volunteer_id for r in records] == [city.wang.id, city.li.id]
    assert {r.activity_id for r in records} == {records[0].id} and {r.source for r in records} == {"activity"}
    set_volunteer_active(db, actor=SYSTEM, volunteer_id=city.li.id, active=False)
    other_start = NOW - timedelta(hours=8)
    with pytest.raises(ValidationFailed) as refused:
        services.log_activity(db, actor=city.staff_jk, center="JK01", service_type="visit", started_at=other_start,
                              ended_at=other_start + timedelta(hours=2), volunteer_ids=[city.wang.id, city.li.id],
                              now=NOW)
    assert "volunteer_ids" in refused.value.fields
    assert queries.list_records(db, actor=SYSTEM).total == 2


def test_staff_log_only_their_own_centers_volunteers(db, city):
    with pytest.raises(ValidationFailed) as refused:
        log(db, city, city.zhao, 5, 1)
    assert "volunteer_id" in refused.value.fields
    with pytest.raises(ValidationFailed):
        log(db, city, city.wang, 5, 1, center="RZ01")


def test_an_inactive_service_type_is_refused(db, city):
    update_service_type(db, actor=SYSTEM, service_type_id=city.visit.id, active=False)
    with pytest.raises(ValidationFailed) as refused:
        log(db, city, city.wang, 5, 1)
    assert "service_type" in refused.value.fields


def test_approval_mints_the_rounded_down_credits_into_a_lot_and_issues_a_valid_receipt(db, city):
    record = log(db, city, city.wang, 5, 1 + 7 / 60)  # 67 minutes × 1.50 an hour = 1.675 → 1.67
    [approved] = services.approve_records(db, actor=city.staff_jk, record_ids=[record.id], validity_days=VALIDITY,
                                          now=NOW)
    assert (approved.status, approved.credits) == ("approved", 167)
    assert balance(db, city.wang).available == 167
    account_id = get_volunteer(db, actor=SYSTEM, volunteer_id=city.wang.id).account_id
    [lot] = standalone.live_lots(db, account_id)
    assert (lot.remaining, lot.expires_at) == (167, NOW + timedelta(days=VALIDITY))
    check = check_receipt(db, code=approved.receipt_short_code, now=NOW)
    assert check.valid and check.verdict.receipt.amount == 167 and check.volunteer == "王*英"
    assert check_ledger(db) == []


def test_approving_twice_mints_once(db, city):
    record = log(db, city, city.wang, 5, 2)
    for _ in range(2):
        [approved] = services.approve_records(db, actor=city.staff_jk, record_ids=[record.id],
                                              validity_days=VALIDITY, now=NOW)
    assert approved.credits == 300 and balance(db, city.wang).available == 300


def test_concurrent_approvals_of_one_record_mint_once(db, city):
    record = log(db, city, city.wang, 5, 2)
    barrier, errors = threading.Barrier(3), []

    def approve():
        barrier.wait()
        try:
            services.approve_records(db, actor=city.staff_jk, record_ids=[record.id], validity_days=VALIDITY,
                                     now=NOW)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=approve) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and balance(db, city.wang).available == 300
    assert check_ledger(db) == []


def test_a_batch_approval_is_all_or_nothing(db, city):
    good = log(db, city, city.wang, 5, 2)
    bad = log(db, city, city.li, 5, 2)
    services.reject_record(db, actor=city.staff_jk, record_id=bad.id, reason="重复登记", now=NOW)
    with pytest.raises(services.NotPending):
        services.approve_records(db, actor=city.staff_jk, record_ids=[good.id, bad.id], validity_days=VALIDITY,
                                 now=NOW)
    assert queries.get_record(db, actor=SYSTEM, record_id=good.id).status == "pending"
    assert balance(db, city.wang).available == 0


def test_staff_of_another_center_cannot_see_or_decide_a_record(db, city):
    record = log(db, city, city.wang, 5, 2)
    with pytest.raises(RecordNotFound):
        services.approve_records(db, actor=city.staff_rz, record_ids=[record.id], validity_days=VALIDITY, now=NOW)
    with pytest.raises(RecordNotFound):
        queries.get_record(db, actor=city.staff_rz, record_id=record.id)
    volunteer = Principal(user_id=None, username="v", role="volunteer", volunteer_id=city.wang.id)
    with pytest.raises(Forbidden):
        services.approve_records(db, actor=volunteer, record_ids=[record.id], validity_days=VALIDITY, now=NOW)
    assert queries.get_record(db, actor=volunteer, record_id=record.id).id == record.id


def test_reversal_takes_the_credits_back_and_the_receipt_verifies_reversed(db, city):
    record = log(db, city, city.wang, 5, 2)
    [approved] = services.approve_records(db, actor=city.staff_jk, record_ids=[record.id], validity_days=VALIDITY,
                                          now=NOW)
    reversed_ = services.reverse_record(db, actor=city.staff_jk, record_id=record.id, reason="志愿者当天请假",
                                        now=NOW + timedelta(hours=1))
    assert (reversed_.status, reversed_.reverse_reason) == ("reversed", "志愿者当天请假")
    assert balance(db, city.wang).balance == 0
    assert check_receipt(db, code=approved.receipt_short_code, now=NOW).verdict.status == "reversed"
    with pytest.raises(services.AlreadyReversed) as again:
        services.reverse_record(db, actor=city.staff_jk, record_id=record.id, reason="again", now=NOW)
    assert again.value.code == "already_reversed"
    assert check_ledger(db) == []


def test_reversal_is_refused_naming_what_is_missing_when_credits_are_reserved(db, city):
    record = log(db, city, city.wang, 5, 2)
    services.approve_records(db, actor=city.staff_jk, record_ids=[record.id], validity_days=VALIDITY, now=NOW)
    account_id = get_volunteer(db, actor=SYSTEM, volunteer_id=city.wang.id).account_id
    sink = standalone.run(db, lambda s: account_id_for(s, REDEMPTION_SINK))
    standalone.place_hold(db, account_id=account_id, to_account_id=sink, amount=120, timeout=timedelta(days=3),
                          key="hold-1", cause=Cause.user(1, "test", 1))
    with pytest.raises(services.ReversalShortfall) as refused:
        services.reverse_record(db, actor=city.staff_jk, record_id=record.id, reason="录错", now=NOW)
    assert refused.value.code == "insufficient_credits" and "1.20" in str(refused.value)
    assert queries.get_record(db, actor=SYSTEM, record_id=record.id).status == "approved"


def test_a_record_flagged_missing_check_out_cannot_be_approved_until_its_end_is_set(db, city):
    started = NOW - timedelta(hours=14)
    [record_id] = standalone.run(db, lambda s: services.insert_records(s, actor=SYSTEM, records=[services.NewRecord(
        volunteer_id=city.wang.id, center_id=city.jk.id, service_type_id=city.visit.id, started_at=started,
        ended_at=started + timedelta(hours=12), source="check_in", missing_check_out=True)], now=NOW))
    with pytest.raises(services.CheckOutMissing):
        services.approve_records(db, actor=city.staff_jk, record_ids=[record_id], validity_days=VALIDITY, now=NOW)


def test_the_resident_rates_a_service_once(db, city):
    record = log(db, city, city.wang, 5, 2)
    volunteer = Principal(user_id=None, username="v", role="volunteer", volunteer_id=city.wang.id)
    rated = services.confirm_record(db, actor=volunteer, record_id=record.id, rating=5, comment="很耐心", now=NOW)
    assert (rated.rating, rated.rating_comment) == (5, "很耐心")
    with pytest.raises(ValidationFailed):
        services.confirm_record(db, actor=city.staff_jk, record_id=record.id, rating=4, now=NOW)
    with pytest.raises(ValidationFailed) as refused:
        services.confirm_record(db, actor=city.staff_jk, record_id=record.id, rating=6, now=NOW)
    assert "rating" in refused.value.fields
