"""The record-book import over HTTP, on both databases: ``POST /api/v1/service-records/import`` (dry run and real
run), its templates, the 5 MB cap and bad files in the SPEC's error shape, and the page's two steps."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.auth_helpers import bearer, fast_hashing, make_app, make_user, mint_session_key, mint_token
from timebank.auth.access import Principal
from timebank.centers.services import create_center
from timebank.db import get_db
from timebank.hours.models import ServiceRecord
from timebank.service_types.services import create_service_type
from timebank.spreadsheets.pending import PendingImport
from timebank.volunteers.services import create_volunteer

SYSTEM = Principal.system("test")
URL = "/api/v1/service-records/import"
DAY = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=3)).date().isoformat()
HEADER = "志愿者手机号,志愿者姓名,服务类型,日期,开始时间,结束时间,备注\n"
GOOD = HEADER + f"13800000001,王小英,visit,{DAY},09:00,11:00,\n13800000002,李四,上门探访,{DAY},14:00,15:00,送药\n"


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_hashing(monkeypatch)


@pytest.fixture
def site(database_url):
    app = make_app(database_url)
    db = get_db(app)
    jk = create_center(db, actor=SYSTEM, code="JK01", name="京口区中心", district="京口区")
    create_center(db, actor=SYSTEM, code="RZ01", name="润州区中心", district="润州区")
    create_service_type(db, actor=SYSTEM, code="visit", name_zh="上门探访", credits_per_hour=150)
    create_volunteer(db, actor=SYSTEM, name="王小英", phone="13800000001", home_center="JK01")
    create_volunteer(db, actor=SYSTEM, name="李四", phone="13800000002", home_center="JK01")
    staff = make_user(db, "staff", center_id=jk.id)
    yield type("Site", (), dict(app=app, db=db, client=app.test_client(), staff=bearer(mint_token(db, staff)),
                                staff_person=staff, admin=bearer(mint_token(db, make_user(db, "admin")))))
    db.dispose()


def count(db, table) -> int:
    return db.transaction(lambda s: s.execute(select(func.count()).select_from(table)).scalar_one(), readonly=True)


def post(site, data: bytes, *, dry_run: bool, headers=None, multipart=False, lang="zh"):
    headers = {**(headers or site.staff), "Accept-Language": lang}
    query = "?dry_run=true" if dry_run else ""
    if multipart:
        return site.client.post(URL + query, data={"file": (io.BytesIO(data), "book.csv")}, headers=headers,
                                content_type="multipart/form-data")
    return site.client.post(URL + query, data=data, headers=headers, content_type="text/csv")


def test_a_dry_run_answers_every_bad_line_and_creates_nothing(site):
    data = (GOOD + f"13900000009,,visit,{DAY},09:00,10:00,\n13800000001,,visit,{DAY},12:00,12:00,\n").encode("gbk")
    answer = post(site, data, dry_run=True, lang="en")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["created"], body["skipped"], body["ok"], body["encoding"]) == (2, 0, False, "gb18030")
    assert [(e["line"], e["field"], e["code"]) for e in body["errors"]] == [
        (4, "phone", "unknown_volunteer"), (5, "end", "end_before_start")]
    assert body["errors"][1]["message"] == "The end must be after the start."
    assert count(site.db, ServiceRecord) == 0


def test_the_dry_run_speaks_the_readers_language(site):
    body = post(site, (HEADER + f"13800000001,,visit,{DAY},12:00,12:00,\n").encode(), dry_run=True).get_json()
    assert body["errors"][0]["message"] == "结束时间必须晚于开始时间。"
    body = post(site, (HEADER + f"13800000001,,visit,{DAY},12:00,11:00,\n").encode(), dry_run=True).get_json()
    assert body["errors"][0]["message"] == "结束时间早于开始时间，按次日 11:00 结束计算，超过了一条服务记录最长 12 小时的限制。"


def test_a_real_import_is_all_or_nothing_and_a_second_one_skips(site):
    bad = post(site, (GOOD + f"13800000001,,visit,{DAY},10:00,10:30,\n").encode(), dry_run=False)
    assert bad.status_code == 422
    error = bad.get_json()["error"]
    assert error["code"] == "validation_error" and list(error["fields"]["lines"]) == ["4"]
    assert count(site.db, ServiceRecord) == 0

    done = post(site, GOOD.encode(), dry_run=False, multipart=True)
    assert done.status_code == 201, done.get_json()
    assert (done.get_json()["created"], done.get_json()["skipped"]) == (2, 0)
    again = post(site, GOOD.encode(), dry_run=False)
    assert again.status_code == 201 and (again.get_json()["created"], again.get_json()["skipped"]) == (0, 2)
    listed = site.client.get("/api/v1/service-records", headers=site.staff).get_json()
    assert sorted((r["source"], r["status"], r["minutes"]) for r in listed["items"]) == [
        ("import", "pending", 60), ("import", "pending", 120)]


@pytest.mark.parametrize("data", [b"", b"\x00\x01\x02\x03" * 100, b"PK\x03\x04" + bytes(200)])
def test_a_bad_file_gets_the_error_shape_naming_the_file(site, data):
    answer = post(site, data, dry_run=True)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "validation_error" and "file" in answer.get_json()["error"]["fields"]


def test_a_file_over_5_mb_is_refused_with_413(site):
    answer = post(site, HEADER.encode() + b"x" * (5 * 1024 * 1024 + 10), dry_run=True)
    assert answer.status_code == 413 and answer.get_json()["error"]["code"] == "payload_too_large"


def test_an_admins_file_names_the_center(site):
    body = post(site, GOOD.encode(), dry_run=True, headers=site.admin).get_json()
    assert [(e["line"], e["code"]) for e in body["errors"]] == [(1, "missing_column")]
    data = ("服务中心," + HEADER + f"JK01,13800000001,,visit,{DAY},09:00,10:00,\n").encode()
    assert post(site, data, dry_run=False, headers=site.admin).status_code == 201


def test_without_a_token_the_import_is_refused(site):
    assert site.client.post(URL, data=GOOD.encode(), content_type="text/csv").status_code == 401


@pytest.mark.parametrize("lang, first", [("zh", "志愿者手机号"), ("en", "phone")])
def test_the_templates_have_headers_in_the_readers_language(site, lang, first):
    headers = {**site.staff, "Accept-Language": lang}
    csv = site.client.get("/api/v1/service-records/import-template?format=csv", headers=headers)
    assert csv.status_code == 200 and csv.data.startswith(b"\xef\xbb\xbf")
    assert csv.data[3:].decode().split(",")[0] == first
    xlsx = site.client.get("/api/v1/service-records/import-template?format=xlsx", headers=headers)
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    assert sheet["A1"].value == first and "服务中心" not in [c.value for c in sheet[1]]
    admin = site.client.get("/api/v1/service-records/import-template?format=xlsx",
                            headers={**site.admin, "Accept-Language": "zh"})
    assert "服务中心" in [c.value for c in load_workbook(io.BytesIO(admin.data)).worksheets[0][1]]


# ------------------------------------------------------------------------------------------------------ the page

def page_client(site):
    client = site.app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(site.db, site.staff_person)
        session["_fresh"] = True
    return client


def upload(client, data: bytes, name="记录本.csv"):
    return client.post("/hours/import/", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_the_page_checks_then_imports_by_its_pending_id(site):
    client = page_client(site)
    assert "服务记录导入模板" not in client.get("/hours/import/").get_data(as_text=True)  # the page, not a file
    checked = upload(client, GOOD.encode("gbk"))
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "导入 2 条服务记录" in page
    held = re.search(r'name="pending" value="([^"]+)"', page).group(1)
    assert held.startswith("service_records.") and count(site.db, ServiceRecord) == 0
    done = client.post("/hours/import/", data={"confirm": "import", "pending": held})
    assert done.status_code == 302 and count(site.db, ServiceRecord) == 2 and count(site.db, PendingImport) == 0
    again = client.post("/hours/import/", data={"confirm": "import", "pending": held})
    assert again.status_code == 404 and count(site.db, ServiceRecord) == 2


def test_the_page_lists_every_bad_line_with_its_column_and_reason(site):
    client = page_client(site)
    page = upload(client, (HEADER + f"13800000001,,visit,{DAY},12:00,11:00,\n,,visit,2026-13-01,9:00,10:00,\n")
                  .encode()).get_data(as_text=True)
    assert "没有导入任何数据" in page and 'name="pending"' not in page
    assert "按次日 11:00 结束计算" in page and "不是日期" in page and "结束时间</td>" in page


def test_a_volunteers_pending_id_does_not_open_a_record_import(site):
    client = page_client(site)
    held = re.search(r'name="pending" value="([^"]+)"', upload(client, GOOD.encode()).get_data(as_text=True)).group(1)
    answer = client.post("/volunteers/import", data={"confirm": "import", "pending": held})
    assert answer.status_code == 404 and count(site.db, PendingImport) == 1


def test_the_page_refuses_a_photo_in_chinese(site):
    response = upload(page_client(site), b"\x89PNG\r\n\x1a\n" + bytes(100), "IMG_0001.png")
    assert response.status_code == 422 and "这不是 CSV 或 XLSX 文件" in response.get_data(as_text=True)
