"""``/api/v1`` for centers, volunteers, users, service types, the CSV import and the audit log, over HTTP,
on SQLite and PostgreSQL: status codes, SPEC §8's error shape, and what each role may see."""
from __future__ import annotations

import io

import pytest


pytestmark = pytest.mark.usefixtures("fast_password_hashing")

API = "/api/v1"
CSV = ("姓名,手机号,服务中心,身份证后四位,出生年份\n"
       "王秀英,13805291234,JK01,123X,1956\n"
       "李建国,13805291235,JK01,,1960\n"
       "赵丽娟,13805291236,RZ01,,\n")


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    return body["error"]


@pytest.fixture
def city(client, make_user, api_headers):
    """Two centers, an admin, staff at each center, a supervisor of RZ01; headers for each."""
    admin = api_headers(make_user("admin"))
    jk = client.post(f"{API}/centers", json={"code": "JK01", "name": "京口区大市口街道养老服务中心", "district": "京口区"},
                     headers=admin).get_json()
    rz = client.post(f"{API}/centers", json={"code": "RZ01", "name": "润州区宝塔路街道养老服务中心", "district": "润州区"},
                     headers=admin).get_json()
    return {
        "admin": admin,
        "jk": jk,
        "rz": rz,
        "staff_jk": api_headers(make_user("staff", center="JK01")),
        "staff_rz": api_headers(make_user("staff", center="RZ01")),
        "supervisor_rz": api_headers(make_user("supervisor", supervised_centers=("RZ01",))),
    }


def add_volunteer(client, headers, name, phone, center):
    response = client.post(f"{API}/volunteers", json={"name": name, "phone": phone, "home_center": center},
                           headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# ------------------------------------------------------------------------------------------------------------ centers

def test_an_admin_opens_a_center_and_finds_it_listed(client, city):
    assert city["jk"]["code"] == "JK01" and city["jk"]["district"] == "京口区" and city["jk"]["active"] is True
    assert city["jk"]["created_at"].endswith("+00:00")
    listed = client.get(f"{API}/centers", headers=city["admin"]).get_json()
    assert [c["code"] for c in listed["items"]] == ["JK01", "RZ01"]
    assert (listed["total"], listed["page"], listed["pages"]) == (2, 1, 1)


def test_unknown_fields_are_refused(client, city):
    error = error_of(client.post(f"{API}/centers", json={"code": "X1", "name": "x", "district": "x", "boss": "me"},
                                 headers=city["admin"]), 422, "validation_error")
    assert list(error["fields"]) == ["boss"]


def test_missing_fields_are_named(client, city):
    error = error_of(client.post(f"{API}/centers", json={}, headers=city["admin"]), 422, "validation_error")
    assert set(error["fields"]) == {"code", "name", "district"}


def test_a_second_center_with_the_same_code_is_a_conflict(client, city):
    error = error_of(client.post(f"{API}/centers", json={"code": "jk01", "name": "x", "district": "x"},
                                 headers=city["admin"]), 409, "already_exists")
    assert list(error["fields"]) == ["code"]


def test_only_admins_open_centers_and_anonymous_callers_must_sign_in(client, city):
    body = {"code": "X1", "name": "x", "district": "x"}
    error_of(client.post(f"{API}/centers", json=body, headers=city["staff_jk"]), 403, "forbidden")
    error_of(client.post(f"{API}/centers", json=body), 401, "unauthorized")
    error_of(client.get(f"{API}/centers"), 401, "unauthorized")


def test_staff_see_only_their_own_center(client, city):
    listed = client.get(f"{API}/centers", headers=city["staff_jk"]).get_json()
    assert [c["code"] for c in listed["items"]] == ["JK01"]
    error_of(client.get(f"{API}/centers/{city['rz']['id']}", headers=city["staff_jk"]), 404, "not_found")
    assert client.get(f"{API}/centers/{city['jk']['id']}", headers=city["staff_jk"]).status_code == 200


def test_an_admin_renames_and_deactivates_a_center(client, city):
    response = client.patch(f"{API}/centers/{city['jk']['id']}", json={"name": "京口区中心", "active": False},
                            headers=city["admin"])
    assert response.status_code == 200
    assert (response.get_json()["name"], response.get_json()["active"]) == ("京口区中心", False)


# --------------------------------------------------------------------------------------------------------- volunteers

def test_staff_register_a_volunteer_in_their_center(client, city):
    made = add_volunteer(client, city["staff_jk"], "王秀英", "+86 138-0529-1234", "jk01")
    assert {k: made[k] for k in ("name", "phone", "home_center", "active")} == {
        "name": "王秀英", "phone": "13805291234", "home_center": "JK01", "active": True}
    assert client.get(f"{API}/volunteers/{made['id']}", headers=city["staff_jk"]).get_json() == made


def test_staff_cannot_register_a_volunteer_in_another_center(client, city):
    error = error_of(client.post(f"{API}/volunteers", json={"name": "李四", "phone": "13805291235",
                                                            "home_center": "RZ01"}, headers=city["staff_jk"]),
                     422, "validation_error")
    assert error["fields"] == {"home_center": ["没有代码为 RZ01 的中心。"]}  # Chinese unless asked otherwise


def test_bad_phone_and_name_are_reported_per_field(client, city):
    error = error_of(client.post(f"{API}/volunteers", json={"name": "张三3", "phone": "12345", "home_center": "JK01"},
                                 headers=city["admin"]), 422, "validation_error")
    assert set(error["fields"]) == {"name", "phone"}


def test_a_phone_number_registered_twice_is_a_conflict(client, city):
    add_volunteer(client, city["admin"], "王秀英", "13805291234", "JK01")
    error = error_of(client.post(f"{API}/volunteers", json={"name": "李四", "phone": "13805291234",
                                                            "home_center": "RZ01"}, headers=city["admin"]),
                     409, "already_exists")
    assert list(error["fields"]) == ["phone"]


def test_another_centers_volunteer_is_not_found_and_never_listed(client, city):
    ours = add_volunteer(client, city["admin"], "王秀英", "13805291234", "JK01")
    theirs = add_volunteer(client, city["admin"], "李四", "13805291235", "RZ01")
    error_of(client.get(f"{API}/volunteers/{theirs['id']}", headers=city["staff_jk"]), 404, "not_found")
    error_of(client.patch(f"{API}/volunteers/{theirs['id']}", json={"name": "改名"}, headers=city["staff_jk"]),
             404, "not_found")
    assert [v["id"] for v in client.get(f"{API}/volunteers", headers=city["staff_jk"]).get_json()["items"]] == [
        ours["id"]]
    assert client.get(f"{API}/volunteers?center=RZ01", headers=city["staff_jk"]).get_json()["total"] == 0
    assert [v["id"] for v in client.get(f"{API}/volunteers", headers=city["supervisor_rz"]).get_json()["items"]] == [
        theirs["id"]]
    assert client.get(f"{API}/volunteers", headers=city["admin"]).get_json()["total"] == 2
    error_of(client.get(f"{API}/volunteers/999999", headers=city["admin"]), 404, "not_found")


def test_a_volunteer_reads_only_their_own_profile(client, city, make_user, api_headers):
    me = add_volunteer(client, city["admin"], "王秀英", "13805291234", "JK01")
    neighbour = add_volunteer(client, city["admin"], "李四", "13805291235", "JK01")
    headers = api_headers(make_user("volunteer", volunteer_id=me["id"]))
    assert client.get(f"{API}/volunteers/{me['id']}", headers=headers).get_json()["name"] == "王秀英"
    error_of(client.get(f"{API}/volunteers/{neighbour['id']}", headers=headers), 404, "not_found")
    error_of(client.get(f"{API}/volunteers", headers=headers), 403, "forbidden")
    error_of(client.post(f"{API}/volunteers", json={"name": "x", "phone": "13805291299", "home_center": "JK01"},
                         headers=headers), 403, "forbidden")


def test_volunteer_lists_are_searched_and_paged(client, city):
    for number, name in enumerate(["王秀英", "王建国", "李四"], start=1):
        add_volunteer(client, city["admin"], name, f"1380529000{number}", "JK01")
    found = client.get(f"{API}/volunteers", query_string={"search": "王"}, headers=city["admin"]).get_json()
    assert sorted(v["name"] for v in found["items"]) == ["王建国", "王秀英"]
    page = client.get(f"{API}/volunteers?page=2&per_page=2", headers=city["admin"]).get_json()
    assert (page["total"], page["pages"], [v["name"] for v in page["items"]]) == (3, 2, ["王秀英"])
    error = error_of(client.get(f"{API}/volunteers?per_page=1000", headers=city["admin"]), 422, "validation_error")
    assert list(error["fields"]) == ["per_page"]


def test_staff_correct_and_deactivate_their_volunteer(client, city):
    made = add_volunteer(client, city["staff_jk"], "王秀英", "13805291234", "JK01")
    response = client.patch(f"{API}/volunteers/{made['id']}", json={"birth_year": 1956, "active": False},
                            headers=city["staff_jk"])
    assert response.status_code == 200
    assert (response.get_json()["birth_year"], response.get_json()["active"]) == (1956, False)


# ------------------------------------------------------------------------------------------------------- CSV import

def test_a_dry_run_reports_bad_lines_by_number(client, city):
    text = CSV + "钱六,12345,JK01,,\n周八,13805291238,XQ09,,\n"
    response = client.post(f"{API}/volunteers/import?dry_run=true", data=text.encode("utf-8-sig"),
                           content_type="text/csv", headers=city["admin"])
    assert response.status_code == 200
    report = response.get_json()
    assert (report["dry_run"], report["ok"], report["total_lines"], report["valid"], report["created"]) == (
        True, False, 5, 3, 3)
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(5, "phone"), (6, "center")]
    assert client.get(f"{API}/volunteers", headers=city["admin"]).get_json()["total"] == 0


def test_an_import_with_a_bad_line_is_refused_whole(client, city):
    response = client.post(f"{API}/volunteers/import", data=(CSV + "钱六,12345,JK01,,\n").encode("gb18030"),
                           content_type="text/csv", headers=city["admin"])
    error = error_of(response, 422, "validation_error")
    assert list(error["fields"]["lines"]) == ["5"]
    assert client.get(f"{API}/volunteers", headers=city["admin"]).get_json()["total"] == 0


def test_an_uploaded_file_imports_once_and_again_adds_nothing(client, city):
    def upload():
        return client.post(f"{API}/volunteers/import", data={"file": (io.BytesIO(CSV.encode("gb18030")), "v.csv")},
                           content_type="multipart/form-data", headers=city["admin"])

    first = upload()
    assert first.status_code == 201 and (first.get_json()["created"], first.get_json()["encoding"]) == (3, "gb18030")
    second = upload()
    assert second.status_code == 201
    assert (second.get_json()["created"], second.get_json()["skipped_existing"]) == (0, 3)
    assert sorted(v["name"] for v in client.get(f"{API}/volunteers", headers=city["admin"]).get_json()["items"]) == [
        "李建国", "王秀英", "赵丽娟"]


def test_staff_import_only_into_their_center_and_supervisors_not_at_all(client, city):
    response = client.post(f"{API}/volunteers/import?dry_run=1", data=CSV, content_type="text/csv",
                           headers=city["staff_jk"])
    assert [(e["line"], e["code"], e["reason"]) for e in response.get_json()["errors"]] == [
        (4, "unknown_center", "There is no center with code RZ01.")]
    error_of(client.post(f"{API}/volunteers/import?dry_run=1", data=CSV, content_type="text/csv",
                         headers=city["supervisor_rz"]), 403, "forbidden")


def test_an_empty_upload_is_refused(client, city):
    error = error_of(client.post(f"{API}/volunteers/import", data=b"", content_type="text/csv",
                                 headers=city["admin"]), 422, "validation_error")
    assert list(error["fields"]) == ["file"]


# ------------------------------------------------------------------------------------------------------ service types

def test_service_types_take_and_give_credits_as_decimal_strings(client, city, make_user, api_headers):
    response = client.post(f"{API}/service-types", json={"code": "smartphone-class", "name": "智能手机教学",
                                                         "credits_per_hour": "1.50"}, headers=city["admin"])
    assert response.status_code == 201
    made = response.get_json()
    assert (made["name"], made["name_zh"], made["name_en"], made["credits_per_hour"]) == (
        "智能手机教学", "智能手机教学", "智能手机教学", "1.50")
    volunteer = api_headers(make_user("volunteer"))
    listed = client.get(f"{API}/service-types", headers=volunteer).get_json()
    assert [t["code"] for t in listed["items"]] == ["smartphone-class"]  # a page, like every other list
    assert (listed["total"], listed["page"], listed["pages"]) == (1, 1, 1)
    changed = client.patch(f"{API}/service-types/{made['id']}", json={"credits_per_hour": 2}, headers=city["admin"])
    assert changed.get_json()["credits_per_hour"] == "2.00"


@pytest.mark.parametrize("rate", ["1.505", "-1", "abc", "0", True])
def test_a_rate_that_is_not_a_positive_two_place_decimal_is_refused(client, city, rate):
    error = error_of(client.post(f"{API}/service-types", json={"code": "cleaning", "name": "居家保洁",
                                                               "credits_per_hour": rate}, headers=city["admin"]),
                     422, "validation_error")
    assert list(error["fields"]) == ["credits_per_hour"]


def test_only_admins_add_service_types(client, city):
    error_of(client.post(f"{API}/service-types", json={"code": "cleaning", "name": "居家保洁", "credits_per_hour": "1"},
                         headers=city["staff_jk"]), 403, "forbidden")


# -------------------------------------------------------------------------------------------------------------- users

def test_a_user_created_without_a_password_must_change_the_one_time_password(client, city):
    response = client.post(f"{API}/users", json={"username": "chen-li", "role": "staff", "center": "JK01"},
                           headers=city["admin"])
    assert response.status_code == 201
    user = response.get_json()
    assert (user["role"], user["center"], user["must_change_password"]) == ("staff", "JK01", True)
    token = client.post(f"{API}/auth/tokens", json={"username": "chen-li", "password": user["one_time_password"]})
    assert token.status_code == 201
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    error_of(client.get(f"{API}/volunteers", headers=headers), 403, "password_change_required")


def test_a_user_created_with_a_password_gets_no_one_time_password(client, city):
    response = client.post(f"{API}/users", json={"username": "gu-jianhua", "password": "quiet-river-stone-42",
                                                  "role": "supervisor", "supervised_centers": ["JK01", "RZ01"],
                                                  "must_change_password": False}, headers=city["admin"])
    assert response.status_code == 201
    assert "one_time_password" not in response.get_json() and "password" not in response.get_json()
    assert response.get_json()["supervised_centers"] == ["JK01", "RZ01"]


def test_a_user_with_a_common_password_or_without_a_center_is_refused(client, city):
    error = error_of(client.post(f"{API}/users", json={"username": "chen-li", "password": "12345678",
                                                       "role": "staff"}, headers=city["admin"]),
                     422, "validation_error")
    assert set(error["fields"]) == {"password"}
    error = error_of(client.post(f"{API}/users", json={"username": "chen-li", "role": "staff"},
                                 headers=city["admin"]), 422, "validation_error")
    assert set(error["fields"]) == {"center"}


def test_only_admins_manage_users_and_others_read_only_themselves(client, city, make_user, api_headers):
    login = make_user("staff", center="JK01")
    headers = api_headers(login)
    error_of(client.get(f"{API}/users", headers=headers), 403, "forbidden")
    error_of(client.post(f"{API}/users", json={"username": "x-y-z", "role": "admin"}, headers=headers), 403,
             "forbidden")
    assert client.get(f"{API}/users/{login.user_id}", headers=headers).get_json()["username"] == login.username
    listed = client.get(f"{API}/users?role=staff", headers=city["admin"]).get_json()
    assert login.username in [u["username"] for u in listed["items"]]
    other = client.get(f"{API}/users?role=admin", headers=city["admin"]).get_json()["items"][0]
    error_of(client.get(f"{API}/users/{other['id']}", headers=headers), 404, "not_found")


def test_a_deactivated_user_is_signed_out_at_once(client, city, make_user, api_headers):
    login = make_user("staff", center="JK01")
    headers = api_headers(login)
    assert client.get(f"{API}/volunteers", headers=headers).status_code == 200
    response = client.patch(f"{API}/users/{login.user_id}", json={"active": False}, headers=city["admin"])
    assert response.status_code == 200 and response.get_json()["active"] is False
    error_of(client.get(f"{API}/volunteers", headers=headers), 401, "unauthorized")


def test_an_admin_resets_a_forgotten_password(client, city, make_user):
    login = make_user("staff", center="JK01")
    response = client.post(f"{API}/users/{login.user_id}/reset-password", headers=city["admin"])
    assert response.status_code == 200
    new_password = response.get_json()["one_time_password"]
    assert client.post(f"{API}/auth/tokens", json={"username": login.username,
                                                   "password": new_password}).status_code == 201
    error_of(client.post(f"{API}/auth/tokens", json={"username": login.username, "password": login.password}),
             401, "unauthorized")


def test_the_last_admin_cannot_deactivate_themselves(client, make_user, api_headers):
    login = make_user("admin")
    error_of(client.patch(f"{API}/users/{login.user_id}", json={"active": False}, headers=api_headers(login)),
             409, "last_admin")


# -------------------------------------------------------------------------------------------------------------- audit

def test_admins_read_the_audit_log_and_others_may_not(client, city):
    add_volunteer(client, city["staff_jk"], "王秀英", "13805291234", "JK01")
    response = client.get(f"{API}/audit", query_string={"action": "volunteer.create"}, headers=city["admin"])
    assert response.status_code == 200
    [entry] = response.get_json()["items"]
    assert (entry["actor_role"], entry["center_id"], entry["object_type"], entry["detail"]["name"]) == (
        "staff", city["jk"]["id"], "volunteer", "王秀英")
    everything = client.get(f"{API}/audit", headers=city["admin"]).get_json()
    assert {"center.create", "volunteer.create", "user.create"} <= {e["action"] for e in everything["items"]}
    error_of(client.get(f"{API}/audit", headers=city["staff_jk"]), 403, "forbidden")
