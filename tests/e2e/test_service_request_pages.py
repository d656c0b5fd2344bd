"""The service requests' pages through the test client, on both databases: staff post a request, see the day's
list (paged), assign, complete with the times and cancel with a reason; a volunteer claims with the big button."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.auth_helpers import fast_hashing, make_app, make_user, make_volunteer, mint_session_key
from timebank.auth.access import Principal
from timebank.centers.services import create_center
from timebank.db import get_db
from timebank.hours.queries import list_records
from timebank.service_requests import queries, services
from timebank.service_types.services import create_service_type

SYSTEM = Principal.system("test")
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_hashing(monkeypatch)


@pytest.fixture
def site(database_url):
    app = make_app(database_url)
    db = get_db(app)
    jk = create_center(db, actor=SYSTEM, code="JK01", name="京口区中心", district="京口区")
    create_center(db, actor=SYSTEM, code="RZ01", name="润州区中心", district="润州区")
    create_service_type(db, actor=SYSTEM, code="visit", name_zh="上门探访", name_en="Home visit",
                        credits_per_hour=100)
    volunteer_id = make_volunteer(db, jk.id)
    people = type("People", (), dict(staff=make_user(db, "staff", center_id=jk.id),
                                     volunteer=make_user(db, "volunteer", volunteer_id=volunteer_id),
                                     volunteer_id=volunteer_id,
                                     staff_principal=Principal(user_id=None, username="s", role="staff",
                                                               center_id=jk.id)))
    with app.test_request_context():
        yield app, db, people
    db.dispose()


def signed_in(app, person):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(get_db(app), person)
        session["_fresh"] = True
    return client


def local(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def post(db, people, start: datetime, needed: int = 1):
    return services.post_request(db, actor=people.staff_principal, center="JK01", service_type="visit",
                                 resident="3号楼 张奶奶", starts_at=start, ends_at=start + timedelta(hours=2),
                                 place="活动室", volunteers_needed=needed)


def test_staff_post_a_request_through_the_form_in_local_time(site):
    app, db, people = site
    client = signed_in(app, people.staff)
    start = datetime.now(ZONE).replace(second=0, microsecond=0) + timedelta(days=1)
    refused = client.post("/service-requests/new", data={"center": "JK01", "service_type": "visit"})
    assert refused.status_code == 422
    assert "f-resident-error" in refused.get_data(as_text=True)
    done = client.post("/service-requests/new", data={
        "center": "JK01", "service_type": "visit", "resident": "张奶奶", "starts_at": local(start),
        "ends_at": local(start + timedelta(hours=1)), "place": "活动室", "note": "", "volunteers_needed": "2"})
    assert done.status_code == 302, done.get_data(as_text=True)
    [found] = queries.list_requests(db, actor=SYSTEM).items
    assert found.starts_at == start and found.volunteers_needed == 2 and found.note is None
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "张奶奶" in page and "取消点单" in page


def test_the_days_list_shows_today_by_default_and_pages(site):
    app, db, people = site
    today = datetime.now(ZONE).replace(hour=8, minute=0, second=0, microsecond=0)
    for n in range(25):
        post(db, people, today + timedelta(minutes=10 * n))
    post(db, people, today + timedelta(days=1))
    client = signed_in(app, people.staff)
    first = client.get("/service-requests/").get_data(as_text=True)
    assert "25 个点单" in first and "下一页" in first
    second = client.get("/service-requests/?page=2").get_data(as_text=True)
    assert len(re.findall(r'data-label="服务对象"', second)) == 5
    tomorrow = (today + timedelta(days=1)).date().isoformat()
    assert "1 个点单" in client.get(f"/service-requests/?date={tomorrow}").get_data(as_text=True)
    assert "没有点单" in client.get("/service-requests/?status=cancelled").get_data(as_text=True)


def test_a_volunteer_claims_with_the_big_button_and_sees_it_as_theirs(site):
    app, db, people = site
    request = post(db, people, datetime.now(ZONE) + timedelta(hours=3))
    client = signed_in(app, people.volunteer)
    page = client.get("/service-requests/").get_data(as_text=True)
    assert "我来领办" in page and "张奶奶" not in page
    claimed = client.post(f"/service-requests/{request.id}/claim")
    assert claimed.status_code == 302
    page = client.get(claimed.headers["Location"]).get_data(as_text=True)
    assert "张奶奶" in page and "谢谢" in page
    assert "我领办的" in client.get("/service-requests/").get_data(as_text=True)
    again = client.post(f"/service-requests/{request.id}/claim", follow_redirects=True).get_data(as_text=True)
    assert "已经领办" in again
    assert client.get("/service-requests/new").status_code == 403


def test_staff_assign_complete_and_cancel_from_the_requests_page(site):
    app, db, people = site
    start = (datetime.now(ZONE) - timedelta(hours=6)).replace(second=0, microsecond=0)
    request = post(db, people, start)
    client = signed_in(app, people.staff)
    page = client.get(f"/service-requests/{request.id}").get_data(as_text=True)
    assert f'value="{people.volunteer_id}"' in page
    assert client.post(f"/service-requests/{request.id}/claim", data={"volunteer_id": ""}).status_code == 422
    assert client.post(f"/service-requests/{request.id}/claim",
                       data={"volunteer_id": str(people.volunteer_id)}).status_code == 302
    no_one = client.post(f"/service-requests/{request.id}/complete", data={
        "day": start.date().isoformat(), "started_at": start.strftime("%H:%M"),
        "ended_at": (start + timedelta(hours=1)).strftime("%H:%M")})
    assert no_one.status_code == 422
    done = client.post(f"/service-requests/{request.id}/complete", data={
        "day": start.date().isoformat(), "started_at": start.strftime("%H:%M"),
        "ended_at": (start + timedelta(hours=1)).strftime("%H:%M"), "volunteer_ids": str(people.volunteer_id)})
    assert done.status_code == 302, done.get_data(as_text=True)
    [record] = list_records(db, actor=SYSTEM).items
    assert (record.request_id, record.status, record.minutes, record.started_at) == (request.id, "pending", 60, start)
    other = post(db, people, start + timedelta(days=1))
    blank = client.post(f"/service-requests/{other.id}/cancel", data={"reason": ""})
    assert blank.status_code == 422 and "f-reason-error" in blank.get_data(as_text=True)
    assert client.post(f"/service-requests/{other.id}/cancel", data={"reason": "老人住院了"}).status_code == 302
    assert queries.get_request(db, actor=SYSTEM, request_id=other.id).status == "cancelled"


def test_another_centers_staff_get_not_found(site):
    app, db, people = site
    request = post(db, people, datetime.now(ZONE) + timedelta(hours=3))
    rz = [c for c in __import__("timebank.centers.services", fromlist=["x"]).list_centers(
        db, actor=SYSTEM, search="RZ01").items][0]
    client = signed_in(app, make_user(db, "staff", center_id=rz.id))
    assert client.get(f"/service-requests/{request.id}").status_code == 404
    assert client.post(f"/service-requests/{request.id}/cancel", data={"reason": "x"}).status_code == 404


def test_a_night_service_completed_from_22_to_02_ends_the_next_day(site):
    app, db, people = site
    night = datetime.combine((datetime.now(ZONE) - timedelta(days=2)).date(), datetime.min.time().replace(hour=22),
                             tzinfo=ZONE)
    request = post(db, people, night)
    client = signed_in(app, people.staff)
    assert client.post(f"/service-requests/{request.id}/claim",
                       data={"volunteer_id": str(people.volunteer_id)}).status_code == 302
    done = client.post(f"/service-requests/{request.id}/complete", data={
        "day": night.date().isoformat(), "started_at": "22:00", "ended_at": "02:00",
        "volunteer_ids": str(people.volunteer_id)})
    assert done.status_code == 302, done.get_data(as_text=True)
    [record] = list_records(db, actor=SYSTEM).items
    assert (record.started_at, record.ended_at, record.minutes) == (night, night + timedelta(hours=4), 240)
