"""Errors answer in the reader's language and keep their code; a form reports every bad field at once (bug 6); what
people type is kept as they typed it (bug 7). Through the API and the pages, on SQLite and PostgreSQL."""
from __future__ import annotations

import re

import pytest

from tests.auth_helpers import PASSWORD, make_app, make_center, make_user
from timebank.db import get_db

API = "/api/v1"
BAD_VOLUNTEER = {"name": "王秀英", "phone": "1380013800", "home_center": "JK01", "id_card_tail": "12a",
                 "birth_year": 1890}


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    get_db(app).dispose()


@pytest.fixture
def admin(app):
    db = get_db(app)
    make_center(db, "JK01")
    return make_user(db, "admin")


@pytest.fixture
def token(app, admin):
    response = app.test_client().post(f"{API}/auth/tokens", json={"username": admin.username, "password": PASSWORD})
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def has_chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def all_messages(error: dict) -> list[str]:
    return [error["message"]] + [m for messages in error["fields"].values() for m in messages]


@pytest.mark.parametrize("accept, chinese", [("zh-CN", True), ("zh-CN,zh;q=0.9,en;q=0.8", True), ("en", False),
                                             ("en-GB,en;q=0.9", False), ("fr-FR", True), (None, True)])
def test_an_api_error_is_in_the_callers_language_and_its_code_is_the_same(app, token, accept, chinese):
    headers = dict(token, **({"Accept-Language": accept} if accept else {}))
    response = app.test_client().post(f"{API}/volunteers", json=dict(BAD_VOLUNTEER, boss=True), headers=headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"phone", "id_card_tail", "birth_year", "boss"}
    for message in all_messages(error):
        assert has_chinese(message) is chinese, message


def test_the_same_refusal_in_chinese_and_english(app, token):
    client = app.test_client()
    body = {"code": "jk01", "name": "重复中心", "district": "京口区"}
    zh = client.post(f"{API}/centers", json=body, headers=dict(token, **{"Accept-Language": "zh-CN"}))
    en = client.post(f"{API}/centers", json=body, headers=dict(token, **{"Accept-Language": "en"}))
    assert zh.status_code == en.status_code == 409
    zh_error, en_error = zh.get_json()["error"], en.get_json()["error"]
    assert zh_error["code"] == en_error["code"] == "already_exists"
    assert zh_error["fields"] == {"code": ["代码为 JK01 的中心已存在。"]}
    assert en_error["fields"] == {"code": ["A center with code JK01 already exists."]}


def test_marshmallows_own_messages_are_ours_in_both_languages(app, token):
    client = app.test_client()
    body = {"code": 5, "name": "x" * 121}
    zh = client.post(f"{API}/centers", json=body, headers=dict(token, **{"Accept-Language": "zh"})).get_json()
    en = client.post(f"{API}/centers", json=body, headers=dict(token, **{"Accept-Language": "en"})).get_json()
    assert en["error"]["fields"] == {"code": ["Please enter text."], "name": ["Please enter between 1 and 120 "
                                                                            "characters."],
                                     "district": ["This field is required."]}
    assert zh["error"]["fields"] == {"code": ["请输入文字。"], "name": ["请输入 1 至 120 个字符。"],
                                     "district": ["此项为必填。"]}


def test_an_unknown_address_answers_in_the_callers_language_too(app):
    client = app.test_client()
    zh = client.get(f"{API}/nothing-here", headers={"Accept-Language": "zh-CN"}).get_json()["error"]
    en = client.get(f"{API}/nothing-here", headers={"Accept-Language": "en"}).get_json()["error"]
    assert zh["code"] == en["code"] == "not_found"
    assert has_chinese(zh["message"]) and not has_chinese(en["message"])


# --- bug 6: every bad field at once, one message each, the schema and the rule agreeing ------------------------------

def test_the_api_reports_every_bad_field_of_a_volunteer_at_once(app, token):
    response = app.test_client().post(f"{API}/volunteers", json=BAD_VOLUNTEER,
                                      headers=dict(token, **{"Accept-Language": "en"}))
    fields = response.get_json()["error"]["fields"]
    assert fields["phone"] == ["Please enter a mainland mobile number: 11 digits starting with 13 to 19."]
    assert fields["id_card_tail"] == ["The ID card tail is 4 characters: 3 digits, then a digit or X."]
    assert len(fields["birth_year"]) == 1 and "1900" in fields["birth_year"][0]
    assert set(fields) == {"phone", "id_card_tail", "birth_year"}


def test_a_birth_year_the_schema_accepts_is_one_the_rule_accepts(app, token):
    client = app.test_client()
    for year in (2099, 1899):
        response = client.post(f"{API}/volunteers", json=dict(BAD_VOLUNTEER, phone="13800138000", id_card_tail=None,
                                                              birth_year=year), headers=token)
        assert response.status_code == 422 and list(response.get_json()["error"]["fields"]) == ["birth_year"]


def sign_in(client, person):
    response = client.post("/sign-in", data={"username": person.username, "password": PASSWORD})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]


def test_the_volunteer_form_shows_every_bad_field_at_once_in_chinese(app, admin):
    client = app.test_client()
    sign_in(client, admin)
    response = client.post("/volunteers/new", data={k: str(v) for k, v in BAD_VOLUNTEER.items()})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请输入中国大陆手机号码" in page
    assert "身份证" in page and "请输入 1900 至" in page
    assert "Please enter" not in page and "Not a valid" not in page


def test_the_volunteer_form_speaks_english_when_english_is_chosen(app, admin):
    client = app.test_client()
    sign_in(client, admin)
    client.set_cookie("tb_lang", "en")
    page = client.post("/volunteers/new", data={k: str(v) for k, v in BAD_VOLUNTEER.items()}).get_data(as_text=True)
    assert "Please enter a mainland mobile number" in page and "请输入中国大陆手机号码" not in page


# --- bug 7: what people typed is kept -------------------------------------------------------------------------------

def test_a_center_name_with_full_width_punctuation_is_kept_as_typed_and_found_either_way(app, token):
    client = app.test_client()
    name = "全角（测试）中心，第１号"
    made = client.post(f"{API}/centers", json={"code": "QJ01", "name": name, "district": "京口区"}, headers=token)
    assert made.status_code == 201 and made.get_json()["name"] == name
    for search in ("（测试）", "(测试)", "第1号"):
        found = client.get(f"{API}/centers", query_string={"search": search}, headers=token).get_json()["items"]
        assert [c["name"] for c in found] == [name], search


def test_a_volunteer_name_with_a_middle_dot_is_kept_and_a_bracket_is_named_as_typed(app, token):
    client = app.test_client()
    made = client.post(f"{API}/volunteers", json={"name": "买买提・艾力", "phone": "13800138000", "home_center": "JK01"},
                       headers=token)
    assert made.status_code == 201 and made.get_json()["name"] == "买买提・艾力"
    refused = client.post(f"{API}/volunteers", json={"name": "王芳（小）", "phone": "13800138001",
                                                     "home_center": "JK01"}, headers=token)
    assert refused.get_json()["error"]["fields"] == {"name": ["姓名中不能含有“（”。"]}


def test_the_center_form_keeps_full_width_punctuation(app, admin):
    client = app.test_client()
    sign_in(client, admin)
    name = "全角（测试）中心，第１号"
    response = client.post("/centers/new", data={"code": "QJ02", "name": name, "district": "京口区"})
    assert response.status_code in (302, 303)
    assert name in client.get("/centers/?search=QJ02").get_data(as_text=True)
