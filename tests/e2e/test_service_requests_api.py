"""``/api/v1/service-requests`` over HTTP on both databases: shapes, the claim and its refusals, completion into
pending records, cancellation, errors in the SPEC's shape, another center's request is 404, paging."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from timebank.auth.access import Principal
from timebank.db import get_db
from timebank.service_types.services import create_service_type

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def desk(app, make_user, api_headers):
    create_service_type(get_db(app), actor=Principal.system("test"), code="visit", name_zh="上门探访",
                        credits_per_hour=150)
    staff = make_user("staff", center="C001")
    volunteer = make_user("volunteer", center="C001")
    second = make_user("volunteer", center="C001")
    stranger = make_user("volunteer", center="C002")
    other_staff = make_user("staff", center="C002")
    return type("Desk", (), dict(staff=api_headers(staff), volunteer_login=volunteer, volunteer=api_headers(volunteer),
                                 second_login=second, second=api_headers(second), stranger=api_headers(stranger),
                                 other=api_headers(other_staff)))


def body(hours_from_now: float = -5, hours: float = 2, **changes) -> dict:
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=hours_from_now)
    return {"center": "C001", "service_type": "visit", "resident": "张奶奶", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=hours)).isoformat(), "place": "活动室", **changes}


def post(client, desk, **changes):
    response = client.post("/api/v1/service-requests", json=body(**changes), headers=desk.staff)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_staff_post_a_request_and_it_is_open(client, desk):
    created = post(client, desk, note="带上血压计")
    assert (created["status"], created["volunteers_needed"], created["places_left"]) == ("open", 1, 1)
    assert (created["resident"], created["center"], created["service_type"]) == ("张奶奶", "C001", "visit")
    assert created["volunteer_ids"] == [] and created["records"] == []


def test_a_bad_request_answers_the_error_shape_in_the_callers_language(client, desk):
    refused = client.post("/api/v1/service-requests", json=body(resident="", volunteers_needed=0),
                          headers={**desk.staff, "Accept-Language": "zh-CN"})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "validation_error" and {"resident", "volunteers_needed"} <= set(error["fields"])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
    assert client.post("/api/v1/service-requests", json=body(), headers=desk.volunteer).status_code == 403
    assert client.post("/api/v1/service-requests", json=body()).status_code == 401


def test_a_volunteer_claims_for_themselves_and_a_full_request_refuses_the_next(client, desk):
    created = post(client, desk, hours_from_now=3)
    stranger_view = client.get(f"/api/v1/service-requests/{created['id']}", headers=desk.second).get_json()
    assert stranger_view["resident"] is None
    claimed = client.post(f"/api/v1/service-requests/{created['id']}/claim", json={}, headers=desk.volunteer)
    assert claimed.status_code == 200, claimed.get_json()
    assert (claimed.get_json()["status"], claimed.get_json()["volunteer_ids"]) == \
        ("claimed", [desk.volunteer_login.volunteer_id])
    assert claimed.get_json()["resident"] == "张奶奶"
    full = client.post(f"/api/v1/service-requests/{created['id']}/claim", json={}, headers=desk.second)
    assert full.status_code == 409 and full.get_json()["error"]["code"] == "request_full"
    again = client.post(f"/api/v1/service-requests/{created['id']}/claim", json={}, headers=desk.volunteer)
    assert again.get_json()["error"]["code"] == "already_claimed"
    other = client.post(f"/api/v1/service-requests/{created['id']}/claim", json={}, headers=desk.stranger)
    assert other.status_code == 403 and other.get_json()["error"]["code"] == "other_center"


def test_staff_assign_complete_and_the_records_are_pending(client, desk):
    created = post(client, desk, volunteers_needed=2)
    assigned = client.post(f"/api/v1/service-requests/{created['id']}/claim",
                           json={"volunteer_id": desk.second_login.volunteer_id}, headers=desk.staff)
    assert assigned.status_code == 200 and assigned.get_json()["volunteer_ids"] == [desk.second_login.volunteer_id]
    missing = client.post(f"/api/v1/service-requests/{created['id']}/claim", json={}, headers=desk.staff)
    assert missing.status_code == 422 and "volunteer_id" in missing.get_json()["error"]["fields"]
    done = client.post(f"/api/v1/service-requests/{created['id']}/complete",
                       json={"started_at": created["starts_at"], "ended_at": created["ends_at"]}, headers=desk.staff)
    assert done.status_code == 200, done.get_json()
    result = done.get_json()
    assert result["status"] == "completed"
    [line] = result["records"]
    assert (line["volunteer_id"], line["status"]) == (desk.second_login.volunteer_id, "pending")
    record = client.get(f"/api/v1/service-records/{line['id']}", headers=desk.staff).get_json()
    assert (record["source"], record["request_id"], record["minutes"]) == ("request", created["id"], 120)
    twice = client.post(f"/api/v1/service-requests/{created['id']}/complete",
                        json={"started_at": created["starts_at"], "ended_at": created["ends_at"]}, headers=desk.staff)
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "request_completed"


def test_completion_with_an_overlap_is_409_and_creates_nothing(client, desk):
    created = post(client, desk)
    client.post(f"/api/v1/service-requests/{created['id']}/claim", json={}, headers=desk.volunteer)
    client.post("/api/v1/service-records", json={"volunteer_id": desk.volunteer_login.volunteer_id, "center": "C001",
                                                 "service_type": "visit", "started_at": created["starts_at"],
                                                 "ended_at": created["ends_at"]}, headers=desk.staff)
    refused = client.post(f"/api/v1/service-requests/{created['id']}/complete",
                          json={"started_at": created["starts_at"], "ended_at": created["ends_at"]},
                          headers=desk.staff)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "overlap"
    assert client.get(f"/api/v1/service-requests/{created['id']}", headers=desk.staff).get_json()["status"] == \
        "claimed"


def test_cancel_needs_a_reason_and_another_centers_request_is_not_found(client, desk):
    created = post(client, desk)
    url = f"/api/v1/service-requests/{created['id']}"
    assert client.post(url + "/cancel", json={}, headers=desk.staff).status_code == 422
    for path, payload in (("", None), ("/cancel", {"reason": "不是我的"}), ("/claim", {"volunteer_id": 1}),
                          ("/complete", {"started_at": created["starts_at"], "ended_at": created["ends_at"]})):
        answer = client.post(url + path, json=payload, headers=desk.other) if payload is not None else \
            client.get(url, headers=desk.other)
        assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found", path
    done = client.post(url + "/cancel", json={"reason": "老人住院了"}, headers=desk.staff)
    assert done.status_code == 200 and done.get_json()["status"] == "cancelled"
    late = client.post(url + "/claim", json={}, headers=desk.volunteer)
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "request_cancelled"


def test_the_list_pages_and_filters_by_status_and_each_sees_their_own(client, desk):
    ids = [post(client, desk, hours_from_now=1 + n / 10)["id"] for n in range(25)]
    client.post(f"/api/v1/service-requests/{ids[0]}/claim", json={}, headers=desk.volunteer)
    first = client.get("/api/v1/service-requests?per_page=20", headers=desk.staff).get_json()
    second = client.get("/api/v1/service-requests?per_page=20&page=2", headers=desk.staff).get_json()
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (25, 2, 20, 5)
    assert [i["id"] for i in first["items"] + second["items"]] == ids
    claimed = client.get("/api/v1/service-requests?status=claimed", headers=desk.staff).get_json()
    assert [i["id"] for i in claimed["items"]] == [ids[0]]
    assert client.get("/api/v1/service-requests", headers=desk.other).get_json()["total"] == 0
    assert client.get("/api/v1/service-requests", headers=desk.stranger).get_json()["total"] == 0
    # the second volunteer sees the 24 still open, never the resident; the claimant also sees their own
    theirs = client.get("/api/v1/service-requests?per_page=50", headers=desk.second).get_json()
    assert theirs["total"] == 24 and {i["resident"] for i in theirs["items"]} == {None}
    mine = client.get("/api/v1/service-requests?per_page=50", headers=desk.volunteer).get_json()
    assert mine["total"] == 25 and mine["items"][0]["claimed_by_me"] is True
    bad = client.get("/api/v1/service-requests?status=lost", headers=desk.staff)
    assert bad.status_code == 422 and "status" in bad.get_json()["error"]["fields"]
