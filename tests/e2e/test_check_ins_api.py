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


def open_check_in(app, people, *, hours_ago: float = 1, **options):
    """A check-in of the JK01 volunteer opened ``hours_ago`` (through the service: the API's clock is the real one)."""
    db, at = get_db(app), utcnow() - timedelta(hours=hours_ago)
    volunteer = Principal(user_id=None, username="v", role="volunteer", volunteer_id=people["volunteer"].volunteer_id)
    text = services.poster_code(db, actor=Principal.system("t"), center="JK01", prefix="HTTP://LOCALHOST", now=at).text
    return services.scan(db, actor=volunteer, text=text, now=at, **options)


@pytest.fixture
def two_types(app, people):
    create_service_type(get_db(app), actor=Principal.system("test"), code="escort", name_zh="陪护",
                        name_en="Companion care", credits_per_hour=120)
    return people


def test_the_api_keeps_a_type_named_at_check_in_and_the_record_takes_it(client, api_headers, two_types):
    people = two_types
    volunteer = api_headers(people["volunteer"])
    code = code_of(client, api_headers, people["staff"])["text"]
    checked_in = client.post("/api/v1/check-ins", json={"text": code, "service_type": "escort"}, headers=volunteer)
    body = checked_in.get_json()
    assert checked_in.status_code == 200, body
    assert (body["status"], body["service_type"], body["service_type_chosen"]) == ("checked_in", "escort", True)
    assert isinstance(body["check_in_id"], int)
    unknown = client.post("/api/v1/check-ins", json={"text": code, "service_type": "juggling"}, headers=volunteer)
    assert unknown.status_code == 200 and unknown.get_json()["repeat"] is True  # a repeat changes nothing


def test_the_api_chooses_the_type_of_an_open_check_in_only_for_its_volunteer(app, client, api_headers, make_user,
                                                                              two_types):
    people = two_types
    opened = open_check_in(app, people)
    assert (opened.service_type, opened.service_type_chosen) == ("escort", False)  # the first active type by code
    path = f"/api/v1/check-ins/{opened.check_in_id}/service-type"
    volunteer = api_headers(people["volunteer"])
    chosen = client.post(path, json={"service_type": "visit"}, headers=volunteer)
    assert chosen.status_code == 200, chosen.get_json()
    assert (chosen.get_json()["service_type"], chosen.get_json()["service_type_chosen"]) == ("visit", True)
    refused = client.post(path, json={"service_type": "juggling"}, headers=volunteer)
    assert refused.status_code == 422 and "service_type" in refused.get_json()["error"]["fields"]
    assert client.post(path, json={}, headers=volunteer).status_code == 422
    someone_else = api_headers(make_user("volunteer", center="JK01"))
    assert client.post(path, json={"service_type": "escort"}, headers=someone_else).status_code == 404
    assert client.post(path, json={"service_type": "escort"}, headers=api_headers(people["staff"])).status_code == 403

    code = code_of(client, api_headers, people["staff"])["text"]
    out = client.post("/api/v1/check-ins", json={"text": code}, headers=volunteer).get_json()
    assert (out["status"], out["record"]["service_type"], out["check_in_id"]) == ("checked_out", "visit",
                                                                                 opened.check_in_id)
    for language, words in (("zh-CN", "已经结束"), ("en", "already over")):
        closed = client.post(path, json={"service_type": "escort"}, headers={**volunteer, "Accept-Language": language})
        assert closed.status_code == 409 and closed.get_json()["error"]["code"] == "check_in_closed"
        assert words in closed.get_json()["error"]["message"]


def result_form(page: str) -> tuple[str, list[str], str | None]:
    """The result page's question: where it posts, the choices offered in order, and the one ticked."""
    import re

    action = re.search(r'<form method="post" action="([^"]+/service-type)"', page).group(1)
    choices = re.findall(r'name="service_type" value="([^"]+)"', page)
    ticked = re.search(r'name="service_type" value="([^"]+)" checked', page)
    return action, choices, ticked.group(1) if ticked else None


def test_the_result_page_asks_which_service_and_saves_the_answer(app, client, api_headers, two_types):
    people = two_types
    text = code_of(client, api_headers, people["staff"])["text"]
    sign_in(client, people["volunteer"])
    page = client.get("/C/" + text.split("/C/", 1)[1])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "签到成功" in html and "今天做的是哪项服务？" in html
    action, choices, ticked = result_form(html)
    assert choices == ["escort", "visit"] and ticked == "escort"  # the guess first, and ticked
    assert "陪护" in html and "上门探访" in html

    nothing = client.post(action, data={})
    assert nothing.status_code == 422 and "请点一下您今天做的服务" in nothing.get_data(as_text=True)
    saved = client.post(action, data={"service_type": "visit"})
    assert saved.status_code == 303
    confirmation = client.get(saved.headers["Location"])
    html = confirmation.get_data(as_text=True)
    assert confirmation.status_code == 200 and "已保存" in html and "上门探访" in html
    assert result_form(html)[2] == "visit"  # the choice offered again, folded away, with the saved one ticked
    assert confirmation.headers["Cache-Control"] == "no-store"


def test_the_result_page_refuses_to_change_a_closed_check_in_in_plain_words(app, client, api_headers, two_types):
    people = two_types
    opened = open_check_in(app, people)
    sign_in(client, people["volunteer"])
    assert client.post(f"/check-ins/{opened.check_in_id}/service-type", data={"service_type": "visit"}).status_code \
        == 303
    text = code_of(client, api_headers, people["staff"])["text"]
    out = client.get("/C/" + text.split("/C/", 1)[1]).get_data(as_text=True)
    assert "签退成功" in out and "上门探访" in out and "今天做的是哪项服务" not in out  # the record's type, no question
    closed = client.post(f"/check-ins/{opened.check_in_id}/service-type", data={"service_type": "escort"})
    assert closed.status_code == 409 and "这次签到已经结束" in closed.get_data(as_text=True)
    assert client.get("/check-ins/999999").status_code == 404


def test_the_end_of_a_night_without_a_check_out_is_set_on_the_next_day(app, client, people):
    """The record-end form takes a date and a time (``datetime-local``), so a night's service is simply its date."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from timebank.hours.queries import get_record

    shanghai = ZoneInfo("Asia/Shanghai")
    night = datetime.combine((datetime.now(shanghai) - timedelta(days=3)).date(), datetime.min.time(),
                             tzinfo=shanghai).replace(hour=22)
    db = get_db(app)
    volunteer = Principal(user_id=None, username="v", role="volunteer", volunteer_id=people["volunteer"].volunteer_id)
    text = services.poster_code(db, actor=Principal.system("t"), center="JK01", prefix="HTTP://LOCALHOST",
                                now=night).text
    services.scan(db, actor=volunteer, text=text, now=night)
    assert services.close_stale_check_ins(db, now=utcnow()) == 1
    sign_in(client, people["staff"])
    listing = client.get("/check-ins/").get_data(as_text=True)
    record_id = int(listing.split("/check-ins/records/", 1)[1].split("/", 1)[0])
    next_day = (night + timedelta(days=1)).date().isoformat()
    too_long = client.post(f"/check-ins/records/{record_id}/end", data={"ended_at": f"{next_day}T11:00"})
    assert too_long.status_code == 422 and "12" in too_long.get_data(as_text=True)
    saved = client.post(f"/check-ins/records/{record_id}/end", data={"ended_at": f"{next_day}T02:00"})
    assert saved.status_code == 302
    record = get_record(db, actor=Principal.system("t"), record_id=record_id)
    assert (record.minutes, record.missing_check_out, record.ended_at.astimezone(shanghai).strftime("%d %H:%M")) == (
        240, False, (night + timedelta(hours=4)).strftime("%d %H:%M"))
    assert "22:00–次日 02:00" in client.get(f"/records/{record_id}").get_data(as_text=True)
