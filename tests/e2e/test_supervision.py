"""The supervisor's side over HTTP on both databases: ``GET /api/v1/anomalies`` by role, reviews once per supervisor
and 404 for another center's supervisor, and the pages (anomalies, records to rate, the rating form)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.auth_helpers import mint_session_key
from timebank.auth.access import Principal
from timebank.db import get_db
from timebank.hours import services
from timebank.service_types.services import create_service_type

pytestmark = pytest.mark.usefixtures("fast_password_hashing")
ADMIN = Principal.system("test")


@pytest.fixture
def town(app, make_user, api_headers):
    """Two centers; at C001 a volunteer with a 9-hour day (over_8h_day) of approved records."""
    db = get_db(app)
    create_service_type(db, actor=ADMIN, code="visit", name_zh="上门探访", credits_per_hour=100)
    staff = make_user("staff", center="C001")
    volunteer = make_user("volunteer", center="C001")
    make_user("staff", center="C002")
    supervisor = make_user("supervisor", supervised_centers=("C001",))
    other_supervisor = make_user("supervisor", supervised_centers=("C002",))
    day = (datetime.now(timezone.utc) - timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    records = [services.log_record(db, actor=ADMIN, volunteer_id=volunteer.volunteer_id, center="C001",
                                   service_type="visit", started_at=day + timedelta(hours=h),
                                   ended_at=day + timedelta(hours=h + hours))
               for h, hours in ((1, 5), (7, 4))]
    services.approve_records(db, actor=ADMIN, record_ids=[r.id for r in records], validity_days=730)
    return type("Town", (), dict(db=db, staff=staff, supervisor=supervisor, other_supervisor=other_supervisor,
                                 records=records, headers=api_headers))


def sign_in(client, app, login):
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(get_db(app), login)
        session["_fresh"] = True


def test_the_anomalies_api_answers_each_role_its_centers(client, town):
    ids = sorted(r.id for r in town.records)
    for login, expected in ((town.staff, 1), (town.supervisor, 1), (town.other_supervisor, 0)):
        answer = client.get("/api/v1/anomalies?per_page=50", headers=town.headers(login))
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json()["total"] == expected
    [found] = client.get("/api/v1/anomalies", headers=town.headers(town.supervisor)).get_json()["items"]
    assert (found["kind"], found["center"], found["record_ids"], found["detail"]["minutes"]) == (
        "over_8h_day", "C001", ids, 540)


def test_the_anomalies_api_refuses_a_volunteer_and_a_bad_kind_in_the_callers_language(client, town, make_user):
    volunteer = make_user("volunteer", center="C001")
    assert client.get("/api/v1/anomalies", headers=town.headers(volunteer)).status_code == 403
    refused = client.get("/api/v1/anomalies?kind=nonsense&from=yesterday",
                         headers={**town.headers(town.staff), "Accept-Language": "zh-CN"})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "validation_error" and {"kind", "from"} <= set(error["fields"])
    assert re.search(r"[\u4e00-\u9fff]", str(error["fields"]["kind"]))


def test_a_supervisor_rates_a_record_once_and_another_centers_supervisor_gets_404(client, town):
    record_id = town.records[0].id
    path = f"/api/v1/service-records/{record_id}/reviews"
    stranger = client.post(path, json={"rating": 4}, headers=town.headers(town.other_supervisor))
    assert stranger.status_code == 404 and stranger.get_json()["error"]["code"] == "not_found"
    first = client.post(path, json={"rating": 4, "comment": "准时，老人满意"}, headers=town.headers(town.supervisor))
    assert first.status_code == 201, first.get_json()
    again = client.post(path, json={"rating": 5}, headers=town.headers(town.supervisor))
    assert again.status_code == 422 and "rating" in again.get_json()["error"]["fields"]


def test_the_anomalies_page_names_the_kind_and_links_its_records(app, client, town):
    sign_in(client, app, town.supervisor)
    page = client.get("/anomalies/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "单日超过8小时" in page and "异常情况" in page
    for record in town.records:
        assert f'href="/anomalies/records/{record.id}"' in page
    record_page = client.get(f"/anomalies/records/{town.records[0].id}")
    assert record_page.status_code == 200 and "上门探访" in record_page.get_data(as_text=True)
    assert client.get("/anomalies/?kind=late_entry").get_data(as_text=True).count("/anomalies/records/") == 0
    sign_in(client, app, town.other_supervisor)
    assert client.get(f"/anomalies/records/{town.records[0].id}").status_code == 404
    assert "/anomalies/records/" not in client.get("/anomalies/").get_data(as_text=True)


def test_a_supervisor_rates_a_record_on_its_page_once(app, client, town):
    sign_in(client, app, town.supervisor)
    listing = client.get("/record-reviews/?reviewed=false").get_data(as_text=True)
    record_id = town.records[1].id
    assert f"/record-reviews/{record_id}" in listing
    app.config["WTF_CSRF_ENABLED"] = False  # the CSRF sweep checks the token on every form
    refused = client.post(f"/record-reviews/{record_id}", data={"rating": "9"})
    assert refused.status_code == 422
    saved = client.post(f"/record-reviews/{record_id}", data={"rating": "5", "comment": "很好"})
    assert saved.status_code == 302
    shown = client.get(f"/record-reviews/{record_id}").get_data(as_text=True)
    assert "<textarea" not in shown and "很好" in shown
    assert f"/record-reviews/{record_id}" not in client.get("/record-reviews/?reviewed=false").get_data(as_text=True)
    sign_in(client, app, town.other_supervisor)
    assert client.get(f"/record-reviews/{record_id}").status_code == 404
    assert client.post(f"/record-reviews/{record_id}", data={"rating": "3"}).status_code == 404


def test_a_supervisors_rating_may_leave_the_comment_box_empty(app, client, town):
    sign_in(client, app, town.supervisor)
    app.config["WTF_CSRF_ENABLED"] = False
    record_id = town.records[1].id
    saved = client.post(f"/record-reviews/{record_id}", data={"rating": "4", "comment": ""})  # what a browser sends
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert "<textarea" not in client.get(f"/record-reviews/{record_id}").get_data(as_text=True)


def test_the_list_of_records_to_rate_pages_past_20(app, client, town, make_user):
    db = get_db(app)
    volunteer = make_user("volunteer", center="C001")
    start = (datetime.now(timezone.utc) - timedelta(days=40)).replace(minute=0, second=0, microsecond=0)
    made = [services.log_record(db, actor=ADMIN, volunteer_id=volunteer.volunteer_id, center="C001",
                                service_type="visit", started_at=start + timedelta(days=d),
                                ended_at=start + timedelta(days=d, hours=1)) for d in range(23)]
    services.approve_records(db, actor=ADMIN, record_ids=[r.id for r in made], validity_days=730)
    sign_in(client, app, town.supervisor)
    first = client.get("/record-reviews/").get_data(as_text=True)
    second = client.get("/record-reviews/?page=2").get_data(as_text=True)
    assert 'rel="next"' in first and 'rel="next"' not in second
    assert len(set(re.findall(r'/record-reviews/(\d+)"', first))) == 20
    assert len(set(re.findall(r'/record-reviews/(\d+)"', second))) == 5
