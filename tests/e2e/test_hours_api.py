"""``/api/v1/service-records`` over HTTP on both databases: log, approve with a receipt, replay, reverse, lists."""
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
    other_staff = make_user("staff", center="C002")
    return type("Desk", (), dict(staff=api_headers(staff), volunteer_login=volunteer,
                                 volunteer=api_headers(volunteer), other=api_headers(other_staff)))


def body(volunteer_id: int, hours_ago: float, hours: float = 2.0) -> dict:
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=hours_ago)
    return {"volunteer_id": volunteer_id, "center": "C001", "service_type": "visit",
            "started_at": start.isoformat(), "ended_at": (start + timedelta(hours=hours)).isoformat()}


def test_staff_log_and_approve_a_record_with_its_receipt(client, desk):
    created = client.post("/api/v1/service-records", json=body(desk.volunteer_login.volunteer_id, 5),
                          headers=desk.staff)
    assert created.status_code == 201, created.get_json()
    record = created.get_json()
    assert (record["status"], record["minutes"], record["receipt"]) == ("pending", 120, None)

    refused = client.post(f"/api/v1/service-records/{record['id']}/approve", headers=desk.staff)
    assert refused.status_code == 422 and "Idempotency-Key" in refused.get_json()["error"]["fields"]

    headers = {**desk.staff, "Idempotency-Key": "approve-1"}
    approved = client.post(f"/api/v1/service-records/{record['id']}/approve", headers=headers)
    assert approved.status_code == 200, approved.get_json()
    result = approved.get_json()
    assert (result["status"], result["credits"]) == ("approved", "3.00")
    assert result["receipt"]["url"].startswith("HTTP://LOCALHOST/R/")
    replay = client.post(f"/api/v1/service-records/{record['id']}/approve", headers=headers)
    assert replay.get_json() == result and replay.headers.get("Idempotent-Replayed") == "true"
    receipt = client.get(f"/api/v1/receipts/{result['receipt']['code']}").get_json()
    assert (receipt["valid"], receipt["kind"], receipt["credits"]) == (True, "service_record", "3.00")
    assert client.get(f"/api/v1/receipts/{result['receipt']['url']}").get_json()["valid"] is True


def test_reversal_needs_a_reason_and_happens_once(client, desk):
    record = client.post("/api/v1/service-records", json=body(desk.volunteer_login.volunteer_id, 5),
                         headers=desk.staff).get_json()
    client.post(f"/api/v1/service-records/{record['id']}/approve", headers={**desk.staff, "Idempotency-Key": "a"})
    missing = client.post(f"/api/v1/service-records/{record['id']}/reverse", json={},
                          headers={**desk.staff, "Idempotency-Key": "r0"})
    assert missing.status_code == 422 and "reason" in missing.get_json()["error"]["fields"]
    done = client.post(f"/api/v1/service-records/{record['id']}/reverse", json={"reason": "登记错了"},
                       headers={**desk.staff, "Idempotency-Key": "r1"})
    assert done.status_code == 200 and done.get_json()["status"] == "reversed"
    again = client.post(f"/api/v1/service-records/{record['id']}/reverse", json={"reason": "再来"},
                        headers={**desk.staff, "Idempotency-Key": "r2"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_reversed"


def test_overlap_and_bad_periods_get_their_codes(client, desk):
    volunteer_id = desk.volunteer_login.volunteer_id
    assert client.post("/api/v1/service-records", json=body(volunteer_id, 5), headers=desk.staff).status_code == 201
    overlap = client.post("/api/v1/service-records", json=body(volunteer_id, 4), headers=desk.staff)
    assert overlap.status_code == 409 and overlap.get_json()["error"]["code"] == "overlap"
    backwards = client.post("/api/v1/service-records", json=body(volunteer_id, 10, hours=-1), headers=desk.staff)
    assert backwards.status_code == 422 and "ended_at" in backwards.get_json()["error"]["fields"]
    naive = {**body(volunteer_id, 20), "started_at": "2026-11-01T09:00:00"}
    assert client.post("/api/v1/service-records", json=naive, headers=desk.staff).status_code == 422


def test_other_centers_staff_get_404_and_volunteers_see_only_their_own(client, desk):
    record = client.post("/api/v1/service-records", json=body(desk.volunteer_login.volunteer_id, 5),
                         headers=desk.staff).get_json()
    assert client.get(f"/api/v1/service-records/{record['id']}", headers=desk.other).status_code == 404
    approve = client.post(f"/api/v1/service-records/{record['id']}/approve",
                          headers={**desk.other, "Idempotency-Key": "x"})
    assert approve.status_code == 404
    mine = client.get("/api/v1/service-records", headers=desk.volunteer).get_json()
    assert [item["id"] for item in mine["items"]] == [record["id"]]
    assert client.post(f"/api/v1/service-records/{record['id']}/approve",
                       headers={**desk.volunteer, "Idempotency-Key": "v"}).status_code == 403


def test_a_list_longer_than_a_page_pages(client, desk):
    volunteer_id = desk.volunteer_login.volunteer_id
    for index in range(25):
        response = client.post("/api/v1/service-records", json=body(volunteer_id, 3 * index + 3, hours=1),
                               headers=desk.staff)
        assert response.status_code == 201, response.get_json()
    first = client.get("/api/v1/service-records?center=C001", headers=desk.staff).get_json()
    second = client.get("/api/v1/service-records?center=C001&page=2", headers=desk.staff).get_json()
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (25, 2, 20, 5)
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}


def test_a_batch_approval_approves_all_selected(client, desk, make_user, api_headers):
    second = make_user("volunteer", center="C001")
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=6)
    activity = client.post("/api/v1/service-records/batch", headers=desk.staff, json={
        "center": "C001", "service_type": "visit", "started_at": start.isoformat(),
        "ended_at": (start + timedelta(hours=1)).isoformat(), "note": "合唱课",
        "volunteer_ids": [desk.volunteer_login.volunteer_id, second.volunteer_id]})
    assert activity.status_code == 201, activity.get_json()
    ids = [r["id"] for r in activity.get_json()["records"]]
    approved = client.post("/api/v1/service-records/approve", json={"record_ids": ids},
                           headers={**desk.staff, "Idempotency-Key": "batch-1"})
    assert approved.status_code == 200
    assert [(r["status"], r["credits"]) for r in approved.get_json()["records"]] == [("approved", "1.50")] * 2
