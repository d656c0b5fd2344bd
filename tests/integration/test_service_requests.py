"""Service requests (点单 → 领办) through their services, on SQLite and PostgreSQL: posting, claiming and its
refusals, concurrent claims that never exceed the places, staff assigning, completing into pending records (all or
nothing), cancelling, and who sees the resident."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from flask_babel import Babel

from timebank.audit.services import list_entries
from timebank.auth.access import Forbidden, Principal
from timebank.centers.services import create_center
from timebank.errors import ValidationFailed
from timebank.hours import queries as record_queries
from timebank.hours import services as hours
from timebank.service_requests import queries, services
from timebank.service_requests.queries import RequestNotFound
from timebank.service_types.services import create_service_type
from timebank.volunteers.services import create_volunteer, set_volunteer_active

SYSTEM = Principal.system("test")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
START = NOW - timedelta(hours=5)


@pytest.fixture(autouse=True)
def babel_context():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


@pytest.fixture
def city(db):
    jk = create_center(db, actor=SYSTEM, code="JK01", name="京口区大市口中心", district="京口区")
    rz = create_center(db, actor=SYSTEM, code="RZ01", name="润州区中心", district="润州区")
    create_service_type(db, actor=SYSTEM, code="visit", name_zh="上门探访", credits_per_hour=150)
    people = [create_volunteer(db, actor=SYSTEM, name="王李张刘陈杨"[n] + "秀英", phone=f"1380000{n:04d}",
                               home_center="JK01") for n in range(6)]
    zhao = create_volunteer(db, actor=SYSTEM, name="赵六", phone="13900000003", home_center="RZ01")

    def volunteer(v):
        return Principal(user_id=None, username=f"v{v.id}", role="volunteer", volunteer_id=v.id)

    return type("City", (), dict(
        jk=jk, rz=rz, people=people, zhao=zhao, volunteer=staticmethod(volunteer),
        staff=Principal(user_id=None, username="staff-jk", role="staff", center_id=jk.id),
        staff_rz=Principal(user_id=None, username="staff-rz", role="staff", center_id=rz.id),
        supervisor=Principal(user_id=None, username="sup", role="supervisor",
                             supervised_center_ids=frozenset({jk.id}))))


def post(db, city, *, needed=1, start=START, hours_long=2, actor=None, center="JK01"):
    return services.post_request(db, actor=actor or city.staff, center=center, service_type="visit",
                                 resident="3号楼 张奶奶", starts_at=start, ends_at=start + timedelta(hours=hours_long),
                                 place="活动室", note="带上血压计", volunteers_needed=needed, now=NOW - timedelta(days=1))


def claim(db, city, request, volunteer):
    return services.claim_request(db, actor=city.volunteer(volunteer), request_id=request.id, now=NOW)


def test_a_posted_request_is_open_with_its_places(db, city):
    posted = post(db, city, needed=2)
    assert (posted.status, posted.volunteers_needed, posted.places_left, posted.center) == ("open", 2, 2, "JK01")
    assert posted.resident == "3号楼 张奶奶" and posted.volunteer_ids == []
    [entry] = list_entries(db, actor=SYSTEM, action="service_request.create").items
    assert entry.object_id == str(posted.id) and "张奶奶" not in str(entry.detail)


@pytest.mark.parametrize("changes, field", [({"resident": " "}, "resident"), ({"place": ""}, "place"),
                                            ({"volunteers_needed": 0}, "volunteers_needed"),
                                            ({"volunteers_needed": 21}, "volunteers_needed"),
                                            ({"ends_at": START}, "ends_at"),
                                            ({"ends_at": START + timedelta(hours=13)}, "ends_at")])
def test_a_bad_request_is_refused_by_field(db, city, changes, field):
    values = dict(center="JK01", service_type="visit", resident="张奶奶", starts_at=START,
                  ends_at=START + timedelta(hours=2), place="活动室")
    with pytest.raises(ValidationFailed) as refused:
        services.post_request(db, actor=city.staff, **{**values, **changes})
    assert field in refused.value.fields
    assert queries.list_requests(db, actor=SYSTEM).total == 0


def test_staff_post_only_at_their_own_center_and_volunteers_not_at_all(db, city):
    with pytest.raises(ValidationFailed) as refused:
        post(db, city, center="RZ01")
    assert "center" in refused.value.fields
    with pytest.raises(Forbidden):
        post(db, city, actor=city.volunteer(city.people[0]))


def test_a_volunteer_claims_and_a_second_claim_of_a_full_request_is_refused(db, city):
    request = post(db, city)
    claimed = claim(db, city, request, city.people[0])
    assert (claimed.status, claimed.volunteer_ids, claimed.places_left) == ("claimed", [city.people[0].id], 0)
    assert claimed.claimed_by_me and claimed.resident == "3号楼 张奶奶"
    with pytest.raises(services.RequestFull) as refused:
        claim(db, city, request, city.people[1])
    assert refused.value.code == "request_full"
    with pytest.raises(services.AlreadyClaimed):
        claim(db, city, request, city.people[0])


def test_a_request_for_several_takes_several_volunteers(db, city):
    request = post(db, city, needed=3)
    claim(db, city, request, city.people[0])
    second = claim(db, city, request, city.people[1])
    assert (second.status, second.places_left, second.volunteer_ids) == \
        ("claimed", 1, [city.people[0].id, city.people[1].id])


def test_claiming_another_centers_a_cancelled_or_unknown_request_is_refused_clearly(db, city):
    request = post(db, city)
    with pytest.raises(services.OtherCentersRequest) as refused:
        claim(db, city, request, city.zhao)
    assert refused.value.status == 403 and "张奶奶" not in str(refused.value)
    services.cancel_request(db, actor=city.staff, request_id=request.id, reason="老人住院了", now=NOW)
    with pytest.raises(services.RequestCancelled):
        claim(db, city, request, city.people[0])
    with pytest.raises(RequestNotFound):
        services.claim_request(db, actor=city.volunteer(city.people[0]), request_id=request.id + 99, now=NOW)


def test_a_deactivated_volunteer_cannot_claim(db, city):
    request = post(db, city)
    set_volunteer_active(db, actor=SYSTEM, volunteer_id=city.people[0].id, active=False)
    with pytest.raises(ValidationFailed):
        claim(db, city, request, city.people[0])


def test_concurrent_claims_never_exceed_the_places(db, city):
    request = post(db, city, needed=2)
    outcomes, barrier = [], threading.Barrier(len(city.people))

    def try_claim(volunteer):
        barrier.wait()
        try:
            claim(db, city, request, volunteer)
            outcomes.append("claimed")
        except services.RequestFull:
            outcomes.append("full")

    threads = [threading.Thread(target=try_claim, args=(v,)) for v in city.people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["claimed"] * 2 + ["full"] * 4
    found = queries.get_request(db, actor=city.staff, request_id=request.id)
    assert (found.claimed_count, len(found.volunteer_ids), found.places_left) == (2, 2, 0)


def test_staff_assign_a_volunteer_of_their_center_only(db, city):
    request = post(db, city, needed=2)
    assigned = services.claim_request(db, actor=city.staff, request_id=request.id,
                                      volunteer_id=city.people[2].id, now=NOW)
    assert assigned.volunteer_ids == [city.people[2].id]
    with pytest.raises(ValidationFailed) as refused:
        services.claim_request(db, actor=city.staff, request_id=request.id, volunteer_id=city.zhao.id, now=NOW)
    assert "volunteer_id" in refused.value.fields
    with pytest.raises(ValidationFailed):
        services.claim_request(db, actor=city.staff, request_id=request.id, now=NOW)
    with pytest.raises(RequestNotFound):
        services.claim_request(db, actor=city.staff_rz, request_id=request.id, volunteer_id=city.zhao.id, now=NOW)
    [entry] = list_entries(db, actor=SYSTEM, action="service_request.assign").items
    assert entry.detail == {"volunteer_id": city.people[2].id}
    assert list_entries(db, actor=SYSTEM, action="service_request.claim").total == 0


def test_completing_leaves_one_pending_record_per_volunteer_who_served(db, city):
    request = post(db, city, needed=3)
    for volunteer in city.people[:3]:
        claim(db, city, request, volunteer)
    served = [city.people[0].id, city.people[2].id]
    done = services.complete_request(db, actor=city.staff, request_id=request.id, started_at=START,
                                     ended_at=START + timedelta(minutes=90), volunteer_ids=served, now=NOW)
    assert done.status == "completed"
    assert sorted((r.volunteer_id, r.status) for r in done.records) == [(v, "pending") for v in sorted(served)]
    records = record_queries.list_records(db, actor=SYSTEM).items
    assert sorted(r.volunteer_id for r in records) == sorted(served)
    assert {(r.source, r.request_id, r.minutes, r.status) for r in records} == {("request", request.id, 90,
                                                                                  "pending")}
    with pytest.raises(services.RequestCompleted):
        services.cancel_request(db, actor=city.staff, request_id=request.id, reason="晚了", now=NOW)
    assert list_entries(db, actor=SYSTEM, action="service_request.complete").total == 1


def test_completing_without_volunteer_ids_records_every_claimant(db, city):
    request = post(db, city, needed=2)
    claim(db, city, request, city.people[0])
    claim(db, city, request, city.people[1])
    done = services.complete_request(db, actor=city.staff, request_id=request.id, started_at=START,
                                     ended_at=START + timedelta(hours=1), now=NOW)
    assert sorted(r.volunteer_id for r in done.records) == [city.people[0].id, city.people[1].id]


def test_an_overlap_refuses_the_whole_completion_and_changes_nothing(db, city):
    request = post(db, city, needed=2)
    claim(db, city, request, city.people[0])
    claim(db, city, request, city.people[1])
    hours.log_record(db, actor=city.staff, volunteer_id=city.people[1].id, center="JK01", service_type="visit",
                     started_at=START + timedelta(minutes=30), ended_at=START + timedelta(hours=3), now=NOW)
    with pytest.raises(hours.Overlap):
        services.complete_request(db, actor=city.staff, request_id=request.id, started_at=START,
                                  ended_at=START + timedelta(hours=1), now=NOW)
    assert queries.get_request(db, actor=city.staff, request_id=request.id).status == "claimed"
    assert record_queries.list_records(db, actor=SYSTEM, volunteer_id=city.people[0].id).total == 0
    assert list_entries(db, actor=SYSTEM, action="service_request.complete").total == 0


def test_completing_is_refused_without_claimants_for_a_stranger_and_in_the_future(db, city):
    request = post(db, city)
    with pytest.raises(services.NobodyClaimed):
        services.complete_request(db, actor=city.staff, request_id=request.id, started_at=START,
                                  ended_at=START + timedelta(hours=1), now=NOW)
    claim(db, city, request, city.people[0])
    with pytest.raises(ValidationFailed) as refused:
        services.complete_request(db, actor=city.staff, request_id=request.id, started_at=START,
                                  ended_at=START + timedelta(hours=1), volunteer_ids=[city.people[3].id], now=NOW)
    assert "volunteer_ids" in refused.value.fields
    with pytest.raises(ValidationFailed):
        services.complete_request(db, actor=city.staff, request_id=request.id, started_at=NOW,
                                  ended_at=NOW + timedelta(hours=1), now=NOW)
    with pytest.raises(Forbidden):
        services.complete_request(db, actor=city.volunteer(city.people[0]), request_id=request.id,
                                  started_at=START, ended_at=START + timedelta(hours=1), now=NOW)


def test_a_cancelled_request_says_why_and_cannot_be_cancelled_twice(db, city):
    request = post(db, city)
    with pytest.raises(ValidationFailed):
        services.cancel_request(db, actor=city.staff, request_id=request.id, reason="  ", now=NOW)
    with pytest.raises(RequestNotFound):
        services.cancel_request(db, actor=city.staff_rz, request_id=request.id, reason="别的中心", now=NOW)
    cancelled = services.cancel_request(db, actor=city.staff, request_id=request.id, reason="老人住院了", now=NOW)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "老人住院了")
    with pytest.raises(services.RequestCancelled):
        services.cancel_request(db, actor=city.staff, request_id=request.id, reason="再次", now=NOW)
    assert list_entries(db, actor=SYSTEM, action="service_request.cancel").total == 1


def test_the_resident_is_shown_to_the_centers_staff_and_the_claimants_only(db, city):
    request = post(db, city, needed=2, start=NOW + timedelta(hours=2))
    claim(db, city, request, city.people[0])
    stranger = queries.get_request(db, actor=city.volunteer(city.people[1]), request_id=request.id)
    assert (stranger.resident, stranger.volunteer_ids) == (None, [])
    assert queries.get_request(db, actor=city.supervisor, request_id=request.id).resident is None
    assert queries.get_request(db, actor=city.volunteer(city.people[0]), request_id=request.id).resident
    assert queries.get_request(db, actor=city.staff, request_id=request.id).resident == "3号楼 张奶奶"
    with pytest.raises(RequestNotFound):
        queries.get_request(db, actor=city.staff_rz, request_id=request.id)
    with pytest.raises(RequestNotFound):
        queries.get_request(db, actor=city.volunteer(city.zhao), request_id=request.id)


def test_a_volunteer_lists_their_centers_open_requests_and_what_they_claimed(db, city):
    later = NOW + timedelta(hours=2)
    open_one = post(db, city, start=later)
    full = post(db, city, start=later + timedelta(hours=3))
    over = post(db, city, start=NOW - timedelta(hours=4))  # already ended: nothing to claim any more
    post(db, city, start=later, actor=city.staff_rz, center="RZ01")
    services.claim_request(db, actor=city.staff, request_id=full.id, volunteer_id=city.people[1].id, now=NOW)
    me = city.volunteer(city.people[0])
    assert [r.id for r in queries.list_requests(db, actor=me, now=NOW).items] == [open_one.id]
    mine = city.volunteer(city.people[1])
    assert [r.id for r in queries.list_requests(db, actor=mine, now=NOW).items] == [open_one.id, full.id]
    assert [r.id for r in queries.list_requests(db, actor=mine, mine=True, now=NOW).items] == [full.id]
    assert over.id not in [r.id for r in queries.list_requests(db, actor=me, now=NOW).items]


def test_staff_lists_page_through_their_centers_requests_by_day_and_status(db, city):
    for n in range(25):
        post(db, city, start=START + timedelta(minutes=n))
    post(db, city, start=START, actor=city.staff_rz, center="RZ01")
    first = queries.list_requests(db, actor=city.staff, per_page=20)
    second = queries.list_requests(db, actor=city.staff, page=2, per_page=20)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (25, 2, 20, 5)
    assert {r.id for r in first.items}.isdisjoint({r.id for r in second.items})
    assert [r.starts_at for r in first.items] == sorted(r.starts_at for r in first.items)
    assert queries.list_requests(db, actor=city.staff, status="claimed").total == 0
    assert queries.list_requests(db, actor=city.staff, from_=START + timedelta(minutes=20)).total == 5
    assert queries.list_requests(db, actor=SYSTEM).total == 26
