"""Anomalies of service records (SPEC §3.3), on SQLite and PostgreSQL: each kind appears for data that has it and not
for data that does not, who sees which, paging. Records are made through the hours services; what the rules refuse
(two centers at once, a missing check-out) is inserted as imported or legacy data would be, straight into the table."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from flask_babel import Babel
from sqlalchemy import insert

from timebank.auth.access import Forbidden, Principal
from timebank.centers.services import create_center
from timebank.hours import services
from timebank.hours.models import ServiceRecord
from timebank.hours.supervision.anomalies import list_anomalies
from timebank.hours.supervision.rules import local_day
from timebank.service_types.services import create_service_type
from timebank.users.services import create_user
from timebank.volunteers.services import create_volunteer

SYSTEM = Principal.system("test")
# 10:00 in Zhenjiang (02:00 UTC), well after every record below
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
ZONE = "Asia/Shanghai"


@pytest.fixture(autouse=True)
def babel_context():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


class City:
    def __init__(self, db):
        self.db = db
        self.jk = create_center(db, actor=SYSTEM, code="JK01", name="京口区大市口中心", district="京口区")
        self.rz = create_center(db, actor=SYSTEM, code="RZ01", name="润州区中心", district="润州区")
        create_service_type(db, actor=SYSTEM, code="visit", name_zh="上门探访", credits_per_hour=100)
        self.wang = create_volunteer(db, actor=SYSTEM, name="王小英", phone="13800000001", home_center="JK01")
        self.li = create_volunteer(db, actor=SYSTEM, name="李四", phone="13800000002", home_center="JK01")
        staff = create_user(db, actor=SYSTEM, username="staff-jk", password="quiet-river-stone-42", role="staff",
                            center="JK01")
        other = create_user(db, actor=SYSTEM, username="staff-jk-2", password="quiet-river-stone-42",
                            role="staff", center="JK01")
        self.staff_jk = Principal(user_id=staff.id, username="staff-jk", role="staff", center_id=self.jk.id)
        self.other_staff_jk = Principal(user_id=other.id, username="staff-jk-2", role="staff", center_id=self.jk.id)
        self.staff_rz = Principal(user_id=None, username="staff-rz", role="staff", center_id=self.rz.id)
        self.admin = Principal(user_id=None, username="admin", role="admin")
        self.supervisor_rz = Principal(user_id=None, username="sup", role="supervisor",
                                       supervised_center_ids=frozenset({self.rz.id}))

    def log(self, volunteer, start: datetime, hours: float, *, actor=None, center="JK01", now=NOW):
        return services.log_record(self.db, actor=actor or self.staff_jk, volunteer_id=volunteer.id,
                                   center=center, service_type="visit", started_at=start,
                                   ended_at=start + timedelta(hours=hours), now=now)

    def approve(self, record, actor):
        return services.approve_records(self.db, actor=actor, record_ids=[record.id], validity_days=730, now=NOW)

    def insert(self, volunteer, center, start: datetime, hours: float, **values):
        """A row the rules would refuse, as an old import left it."""
        row = dict(center_id=center.id, volunteer_id=volunteer.id, service_type_id=1, started_at=start,
                   ended_at=start + timedelta(hours=hours), minutes=int(hours * 60), status="pending",
                   source="import", entered_at=start + timedelta(hours=hours), missing_check_out=False)
        row.update(values)
        with self.db.engine.begin() as connection:
            return connection.execute(insert(ServiceRecord.__table__).values(**row)
                                      .returning(ServiceRecord.__table__.c.id)).scalar_one()

    def anomalies(self, actor=None, **filters):
        return list_anomalies(self.db, actor=actor or self.admin, zone=ZONE, now=NOW, **filters)

    def kinds(self, actor=None, **filters):
        return sorted((a.kind, a.center, a.record_ids) for a in self.anomalies(actor, **filters).items)


@pytest.fixture
def city(db):
    return City(db)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026 in Zhenjiang (UTC+8)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone(timedelta(hours=8)))


def test_clean_records_have_no_anomalies(city):
    city.log(city.wang, local(18, 8), 4)
    city.log(city.wang, local(18, 13), 4)  # exactly 8 hours in one day is allowed
    city.log(city.li, local(18, 9), 2)
    assert city.kinds() == []


def test_a_volunteer_serving_more_than_8_hours_in_one_local_day_is_an_anomaly(city):
    morning = city.log(city.wang, local(18, 7), 5)
    evening = city.log(city.wang, local(18, 18), 3, center="JK01")
    late_evening = city.log(city.wang, local(18, 22), 1)
    city.log(city.li, local(18, 7), 8)
    [found] = city.anomalies().items
    assert (found.kind, found.center, found.volunteer_id) == ("over_8h_day", "JK01", city.wang.id)
    assert found.record_ids == (morning.id, evening.id, late_evening.id)
    assert found.detail == {"date": "2026-11-18", "minutes": 540}


def test_the_day_is_the_local_day_not_the_utc_day(city):
    # 01:00–06:00 and 07:00–11:00 in Zhenjiang are the same local day but fall on two UTC days (17th and 18th)
    city.log(city.wang, local(18, 1), 5)
    city.log(city.wang, local(18, 7), 4)
    # 20:00–24:00 of the 18th and 00:00–05:00 of the 19th are one UTC day but two local days
    city.log(city.li, local(18, 20), 4)
    city.log(city.li, local(19, 0), 5)
    assert [(a.volunteer_id, a.detail["date"]) for a in city.anomalies().items] == [(city.wang.id, "2026-11-18")]
    assert local_day(local(18, 1), ZONE) == "2026-11-18"


def test_an_over_8h_day_across_two_centers_is_listed_at_each(city):
    here = city.log(city.wang, local(18, 7), 5)
    there = city.log(city.wang, local(18, 13), 4, actor=city.admin, center="RZ01")
    assert city.kinds() == [("over_8h_day", "JK01", (here.id, there.id)),
                            ("over_8h_day", "RZ01", (here.id, there.id))]
    assert city.kinds(city.staff_rz) == [("over_8h_day", "RZ01", (here.id, there.id))]


def test_rejected_records_do_not_count_towards_a_day(city):
    city.log(city.wang, local(18, 7), 5)
    extra = city.log(city.wang, local(18, 13), 4)
    services.reject_record(city.db, actor=city.staff_jk, record_id=extra.id, reason="重复登记", now=NOW)
    assert city.kinds() == []


def test_a_record_entered_more_than_7_days_after_the_service_is_a_late_entry(city):
    ended = local(10, 12)
    late = city.log(city.wang, local(10, 10), 2, now=ended + timedelta(days=7, minutes=1))
    city.log(city.li, local(10, 10), 2, now=ended + timedelta(days=7))  # exactly 7 days is in time
    [found] = city.anomalies().items
    assert (found.kind, found.record_ids, found.detail["days_late"]) == ("late_entry", (late.id,), 7)


def test_imported_paper_records_are_not_late_entries(city):
    city.insert(city.wang, city.jk, local(1, 9), 2, entered_at=NOW)
    assert city.kinds() == []


def test_a_staff_member_approving_their_own_entry_is_a_self_approval(city):
    own = city.log(city.wang, local(18, 9), 2, actor=city.staff_jk)
    checked = city.log(city.li, local(18, 9), 2, actor=city.staff_jk)
    city.approve(own, city.staff_jk)
    city.approve(checked, city.other_staff_jk)
    [found] = city.anomalies().items
    assert (found.kind, found.record_ids, found.detail) == (
        "self_approval", (own.id,), {"user_id": city.staff_jk.user_id, "username": "staff-jk"})


def test_a_pending_entry_is_not_yet_a_self_approval(city):
    city.log(city.wang, local(18, 9), 2, actor=city.staff_jk)
    assert city.kinds() == []


def test_overlapping_records_at_two_centers_are_listed_at_each_center(city):
    here = city.insert(city.wang, city.jk, local(18, 9), 2)
    there = city.insert(city.wang, city.rz, local(18, 10), 2)
    city.insert(city.li, city.jk, local(18, 9), 2)
    city.insert(city.li, city.rz, local(18, 11), 2)  # touching, not overlapping
    found = city.anomalies().items
    assert sorted((a.kind, a.center, a.record_ids, a.detail["other_center"]) for a in found) == [
        ("two_centers_at_once", "JK01", (here, there), "RZ01"),
        ("two_centers_at_once", "RZ01", (here, there), "JK01")]


def test_a_record_flagged_without_check_out_is_an_anomaly_until_rejected(city):
    flagged = city.insert(city.wang, city.jk, local(18, 9), 12, source="check_in", missing_check_out=True,
                          entered_at=local(18, 21))
    city.insert(city.li, city.jk, local(18, 9), 3, source="check_in", entered_at=local(18, 12))
    assert city.kinds() == [("missing_check_out", "JK01", (flagged,))]
    services.reject_record(city.db, actor=city.staff_jk, record_id=flagged, reason="忘记签退", now=NOW)
    assert city.kinds() == []


def test_each_role_sees_the_anomalies_of_its_centers(city):
    city.insert(city.wang, city.jk, local(18, 9), 1, source="check_in", missing_check_out=True)
    city.insert(city.li, city.rz, local(18, 9), 1, source="check_in", missing_check_out=True)
    assert sorted(a.center for a in city.anomalies().items) == ["JK01", "RZ01"]
    assert [a.center for a in city.anomalies(city.staff_jk).items] == ["JK01"]
    assert [a.center for a in city.anomalies(city.supervisor_rz).items] == ["RZ01"]
    nobody = Principal(user_id=None, username="sup2", role="supervisor")
    assert city.anomalies(nobody).total == 0
    with pytest.raises(Forbidden):
        city.anomalies(Principal(user_id=None, username="v", role="volunteer", volunteer_id=city.wang.id))


def test_filters_choose_center_kind_and_period(city):
    city.insert(city.wang, city.jk, local(10, 9), 1, source="check_in", missing_check_out=True)
    city.insert(city.li, city.rz, local(18, 9), 1, source="check_in", missing_check_out=True)
    city.insert(city.li, city.jk, local(18, 12), 1, source="check_in", missing_check_out=True)
    assert city.anomalies(center="rz01").total == 1
    assert city.anomalies(kind="over_8h_day").total == 0
    assert city.anomalies(kind="missing_check_out", center="JK01").total == 2
    assert city.anomalies(from_=local(15, 0)).total == 2
    assert city.anomalies(from_=local(15, 0), to=local(18, 12)).total == 1
    assert city.anomalies(center="NOPE").total == 0


def test_more_than_20_anomalies_page_latest_first(city):
    for day in range(1, 26):
        city.insert(city.wang, city.jk, local(day, 9), 1, source="check_in", missing_check_out=True)
    first, second = city.anomalies(), city.anomalies(page=2)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (25, 2, 20, 5)
    starts = [a.at for a in first.items + second.items]
    assert starts == sorted(starts, reverse=True) and len(set(starts)) == 25


def test_a_zone_with_summer_time_finds_local_days_on_both_databases(city):
    # 22:30 UTC is 00:30 of the next day in a Berlin summer (UTC+2) but 23:30 of the same day in winter (UTC+1):
    # with 4 more hours the next morning, only the summer's night and morning make one local day of 9 hours
    for night in (datetime(2026, 7, 1, 22, 30, tzinfo=timezone.utc), datetime(2026, 1, 1, 22, 30, tzinfo=timezone.utc)):
        city.log(city.wang, night, 5)
        city.log(city.wang, night + timedelta(hours=7, minutes=30), 4)
    found = list_anomalies(city.db, actor=city.admin, zone="Europe/Berlin", now=NOW,
                           kind="over_8h_day").items
    assert [a.detail["date"] for a in found] == ["2026-07-02"]
