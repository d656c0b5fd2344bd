"""The check-in API and pages over HTTP: the poster's code for staff, scans by a volunteer, the error shape in the
caller's language, the page the camera opens, and the staff's form for a record without a check-out."""
from __future__ import annotations

from datetime import timedelta

import pytest

from timebank.auth.access import Principal
from timebank.check_ins import services
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.service_types.services import create_service_type

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def people(app, make_user):
    app.config["WTF_CSRF_ENABLED"] = False  # forms are sent here without their page; the CSRF sweep covers tokens
    create_service_type(get_db(app), actor=Principal.system("test"), code="visit", name_zh="上门探访",
                        credits_per_hour=100)
    return {"staff": make_user("staff", center="JK01"), "other": make_user("staff", center="RZ02"),
            "admin": make_user("admin"), "volunteer": make_user("volunteer", center="JK01")}


def code_of(client, api_headers, login, center="JK01"):
    response = client.get(f"/api/v1/centers/{center}/check-in-code", headers=api_headers(login))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_staff_get_their_centers_code_and_a_volunteer_checks_in_and_out(client, api_headers, people):
    code = code_of(client, api_headers, people["staff"])
    assert code["text"] == code["url"] and "/C/" in code["url"] and code["url"] == code["url"].upper()
    assert {"expires_at", "refresh_at", "center"} <= set(code)
    volunteer = api_headers(people["volunteer"])
    first = client.post("/api/v1/check-ins", json={"text": code["text"]}, headers=volunteer)
    assert first.status_code == 200 and first.get_json()["status"] == "checked_in"
    assert first.get_json()["record"] is None


def test_another_centers_code_is_404_for_staff_and_a_volunteer_may_not_read_it(client, api_headers, people):
    response = client.get("/api/v1/centers/JK01/check-in-code", headers=api_headers(people["other"]))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    response = client.get("/api/v1/centers/JK01/check-in-code", headers=api_headers(people["volunteer"]))
    assert response.status_code == 403
    assert code_of(client, api_headers, people["admin"], "RZ02")["center"] == "RZ02"


def test_a_forged_code_is_refused_in_the_callers_language(client, api_headers, people):
    headers = {**api_headers(people["volunteer"]), "Accept-Language": "zh-CN"}
    response = client.post("/api/v1/check-ins", json={"text": "HTTPS://X.CN/C/1-2-AAAAAAAAAAAAAAAA"}, headers=headers)
    body = response.get_json()
    assert response.status_code == 422 and body["error"]["code"] == "check_in_code_invalid"
    assert "二维码" in body["error"]["message"]
    response = client.post("/api/v1/check-ins", json={}, headers=headers)
    assert response.status_code == 422 and "text" in response.get_json()["error"]["fields"]


def test_an_old_code_is_refused(app, client, api_headers, people):
    old = services.poster_code(get_db(app), actor=Principal.system("t"), center="JK01", prefix="HTTP://LOCALHOST",
                               now=utcnow() - timedelta(minutes=3))
    response = client.post("/api/v1/check-ins", json={"text": old.text}, headers=api_headers(people["volunteer"]))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "check_in_code_expired"


def test_staff_may_not_scan(client, api_headers, people):
    code = code_of(client, api_headers, people["staff"])
    response = client.post("/api/v1/check-ins", json={"text": code["text"]}, headers=api_headers(people["staff"]))
    assert response.status_code == 403


def sign_in(client, login):
    response = client.post("/sign-in", data={"username": login.username, "password": login.password})
    assert response.status_code == 302


def test_the_camera_page_asks_to_sign_in_then_checks_in(app, client, api_headers, people):
    text = code_of(client, api_headers, people["staff"])["text"]
    path = "/C/" + text.split("/C/", 1)[1]
    response = client.get(path)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    back = response.headers["Location"].split("next=", 1)[1]
    from urllib.parse import unquote

    sign_in(client, people["volunteer"])
    page = client.get(unquote(back))
    assert page.status_code == 200 and "check-in-result is-done" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"


def test_the_camera_page_says_in_words_why_a_code_is_refused(client, people):
    sign_in(client, people["volunteer"])
    page = client.get("/C/1-2-AAAAAAAAAAAAAAAA")
    assert page.status_code == 422 and "check-in-result is-refused" in page.get_data(as_text=True)


def test_the_poster_page_and_its_code_and_image(client, people):
    sign_in(client, people["staff"])
    page = client.get("/check-ins/poster/JK01")
    assert page.status_code == 200 and "poster.js" in page.get_data(as_text=True)
    code = client.get("/check-ins/poster/JK01/code.json").get_json()
    image = client.get(code["image"])
    assert image.status_code == 200 and image.mimetype == "image/svg+xml"
    assert client.get("/check-ins/poster/JK01/qr.svg?text=HTTP://LOCALHOST/C/1-2-AAAAAAAAAAAAAAAA").status_code == 404
    assert client.get("/check-ins/poster/RZ02").status_code == 404


def test_staff_set_the_end_of_a_flagged_record_on_its_form(app, client, api_headers, people):
    db, now = get_db(app), utcnow()
    volunteer = Principal(user_id=None, username="v", role="volunteer", volunteer_id=people["volunteer"].volunteer_id)
    text = services.poster_code(db, actor=Principal.system("t"), center="JK01", prefix="HTTP://LOCALHOST",
                                now=now - timedelta(hours=13)).text
    services.scan(db, actor=volunteer, text=text, now=now - timedelta(hours=13))
    assert services.close_stale_check_ins(db, now=now) == 1
    sign_in(client, people["staff"])
    listing = client.get("/check-ins/").get_data(as_text=True)
    assert "/end" in listing
    record_id = int(listing.split("/check-ins/records/", 1)[1].split("/", 1)[0])
    refused = client.post(f"/check-ins/records/{record_id}/end", data={"ended_at": "nonsense"})
    assert refused.status_code == 422
    ended = (now - timedelta(hours=10)).astimezone().strftime("%Y-%m-%dT%H:%M%z")
    api = client.post(f"/api/v1/service-records/{record_id}/end", json={"ended_at": ended[:-2] + ":" + ended[-2:]},
                      headers=api_headers(people["staff"]))
    assert api.status_code == 200 and api.get_json()["missing_check_out"] is False
