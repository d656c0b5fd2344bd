"""The review periods through HTTP: the API of SPEC §8.1 (list, a center's sample, evaluations, close, the anomaly
explanations, the public results) and the pages, on both databases. The public API and pages show exactly the
figures stored at close, and no volunteer's or resident's name."""
from __future__ import annotations

import pytest

from tests.review_helpers import seed_review_city
from timebank.clock import utcnow
from timebank.db import get_db

pytestmark = pytest.mark.usefixtures("fast_password_hashing")
SCORES = {"punctuality": 5, "service_quality": 4, "record_keeping": 4, "satisfaction": 5}


def test_evaluate_close_and_publish_through_the_api_and_pages(app, client, make_user, api_headers):
    app.config["WTF_CSRF_ENABLED"] = False  # a form sent without its page; the CSRF sweep covers the tokens
    city = seed_review_city(get_db(app), now=utcnow(), zone=app.config["TIMEZONE"])
    admin, staff = make_user("admin"), make_user("staff", center="JK01")
    first = make_user("supervisor", supervised_centers=("JK01",))
    second = make_user("supervisor", supervised_centers=("JK01", "RZ02"))
    stranger = make_user("supervisor", supervised_centers=("RZ02",))
    as_admin, as_staff, as_first, as_second = (api_headers(x) for x in (admin, staff, first, second))

    listed = client.get("/api/v1/reviews/periods", headers=as_first).get_json()
    assert listed["total"] == 1 and [c["code"] for c in listed["items"][0]["centers"]] == ["JK01"]
    period_id = listed["items"][0]["period"]["id"]
    detail = client.get(f"/api/v1/reviews/periods/{period_id}?center=JK01", headers=as_first).get_json()
    sample = [r["id"] for r in detail["center"]["sample"]]
    assert len(sample) == 10
    again = client.get(f"/api/v1/reviews/periods/{period_id}?center=JK01", headers=as_second).get_json()
    assert [r["id"] for r in again["center"]["sample"]] == sample

    path = f"/api/v1/reviews/periods/{period_id}/evaluations"
    body = {"center": "JK01", "scores": SCORES, "comment": "记录清楚，上官婉清服务周到"}
    assert client.post(path, json=body, headers=as_first).status_code == 200
    assert client.post(path, json=dict(body, comment="好"), headers=as_second).status_code == 200
    refused = client.post(path, json=body, headers=api_headers(stranger))
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert client.post(path, json=body, headers=as_staff).status_code == 403
    bad = client.post(path, json=dict(body, scores=dict(SCORES, punctuality=6)), headers=as_first)
    assert bad.status_code == 422

    [anomaly] = [a for a in detail["center"]["anomalies"] if a["kind"] == "self_approval"]
    explanation = {"center": "JK01", "kind": "self_approval", "record_ids": anomaly["record_ids"],
                   "note": "负责人已复核"}
    assert client.post("/api/v1/anomalies/explanations", json=explanation, headers=as_staff).status_code == 200

    assert client.post(f"/api/v1/reviews/periods/{period_id}/close", headers=as_first).status_code == 403
    closed = client.post(f"/api/v1/reviews/periods/{period_id}/close", headers=as_admin)
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"

    # closed: evaluations and explanations are refused, by the API and by the pages
    late = client.post(path, json=body, headers=as_first)
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "period_closed"
    late = client.post("/api/v1/anomalies/explanations", json=explanation, headers=as_staff)
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "period_closed"
    assert client.post("/sign-in", data={"username": staff.username, "password": staff.password}).status_code == 302
    page = client.post(f"/reviews/{period_id}/explanations", data=dict(explanation, record_ids=" ".join(
        str(i) for i in anomaly["record_ids"])), follow_redirects=True)
    assert "已关闭" in page.get_data(as_text=True)
    client.post("/sign-out")

    public = client.get("/api/v1/public/centers/JK01").get_json()
    [period] = public["periods"]
    assert (period["hours_served"], period["volunteers_active"], period["rating_average"], period["rating_count"],
            period["anomalies_found"], period["anomalies_resolved"]) == ("1.1", 7, "4.00", 6,
                                                                         len(detail["center"]["anomalies"]), 1)
    assert [(e["supervisor"], e["label"], e["scores"], e["comment"]) for e in period["evaluations"]] == [
        (1, "督导员 1", SCORES, "记录清楚，＊＊服务周到"), (2, "督导员 2", SCORES, "好")]
    [rz] = client.get("/api/v1/public/centers/RZ02").get_json()["periods"]
    assert rz["volunteers_active"] is None and rz["rating_average"] is None
    city_page = client.get("/api/v1/public/centers").get_json()
    assert {c["code"]: c["latest"] for c in city_page["items"]}["JK01"] == period

    for url in ("/public/", "/public/centers/JK01", "/public/centers/RZ02"):
        response = client.get(url, headers={"Accept-Language": "zh-CN"})
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert not [name for name in city.names if name in html], url
        assert not [login.username for login in (admin, staff, first, second) if login.username in html], url
    html = client.get("/public/centers/RZ02").get_data(as_text=True)
    assert "人数较少，不公示" in html
    html = client.get("/public/centers/JK01").get_data(as_text=True)
    assert "督导员 1" in html and "记录清楚，＊＊服务周到" in html and "1.1" in html
    assert client.get("/public/centers/NOPE").status_code == 404
