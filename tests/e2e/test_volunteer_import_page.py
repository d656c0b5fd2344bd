"""The import page (``/volunteers/import``) and the templates, over HTTP: a real spreadsheet goes in, bad bytes get a
Chinese answer, and the confirmation carries an id, not the file (issue 6: bugs 5, 8, 13, 16)."""
from __future__ import annotations

import io
import re
import secrets
import zlib
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, update

from tests.auth_helpers import bearer, fast_hashing, make_app, make_user, mint_token, mint_session_key
from timebank.auth.access import Principal
from timebank.centers.services import create_center
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.volunteers.csv_import import MAX_IMPORT_BYTES
from timebank.spreadsheets.pending import PendingImport
from timebank.volunteers.models import Volunteer

SYSTEM = Principal.system("test")
API = "/api/v1"


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_hashing(monkeypatch)


@pytest.fixture
def site(database_url):
    app = make_app(database_url)
    db = get_db(app)
    jk = create_center(db, actor=SYSTEM, code="JK01", name="京口区中心", district="京口区")
    yield app, db, jk
    db.dispose()


def signed_in(app, person):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(get_db(app), person)
        session["_fresh"] = True
    return client


def staff_client(app, db, jk):
    person = make_user(db, "staff", center_id=jk.id)
    return signed_in(app, person), person


def upload(client, data: bytes, name: str = "volunteers.csv"):
    return client.post("/volunteers/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def count(db, table) -> int:
    return db.transaction(lambda s: s.execute(select(func.count()).select_from(table)).scalar_one(), readonly=True)


def pending_id(page: str) -> str:
    return re.search(r'name="pending" value="([^"]+)"', page).group(1)


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"


@pytest.mark.parametrize("data, name, chinese", [
    (PNG, "photo.png", "这不是 CSV 或 XLSX 文件"),
    (b"PK\x03\x04" + b"\x00" * 200, "sheet.xlsx", "这不是 CSV 或 XLSX 文件"),
    (b"\xef\xbb\xbf\xff\xfe", "broken.csv", "不是 UTF-8、GB18030 或 UTF-16 编码的文本"),
    (b"\xff\xfe\x41", "odd-utf16.csv", "不是 UTF-8、GB18030 或 UTF-16 编码的文本"),
])
def test_an_image_or_broken_bytes_get_a_chinese_refusal_not_a_500(site, data, name, chinese):
    app, db, jk = site
    client, _ = staff_client(app, db, jk)
    response = upload(client, data, name)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert chinese in page
    assert "not UTF-8" not in page and "not a CSV" not in page


def test_an_xlsx_with_an_extra_column_is_checked_then_imported_by_its_pending_id(site):
    app, db, jk = site
    client, person = staff_client(app, db, jk)
    data = xlsx([["姓名", "手机号", "服务中心", "备注"], ["王秀英", 13805291234, "JK01", "周三有空"],
                 ["李建国", "13805291235", "jk01", ""]])
    checked = upload(client, data, "志愿者.xlsx")
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert "第 1 行：" in page and "第 4 列（备注）不是导入所用的列，已忽略" in page
    assert "文件行数（含列名行）" in page and "志愿者行数" in page
    assert 'name="kept"' not in page  # the file no longer travels through the browser
    held = pending_id(page)
    assert len(held) >= 40 and count(db, PendingImport) == 1 and count(db, Volunteer) == 0

    done = client.post("/volunteers/import", data={"confirm": "import", "pending": held})
    assert done.status_code == 302
    assert count(db, Volunteer) == 2 and count(db, PendingImport) == 0

    again = client.post("/volunteers/import", data={"confirm": "import", "pending": held})  # used once
    assert again.status_code == 404 and "已过期或已使用" in again.get_data(as_text=True)
    assert count(db, Volunteer) == 2


def test_a_confirmation_carries_nothing_but_an_id_so_a_compressed_bomb_is_never_inflated(site):
    app, db, jk = site
    client, _ = staff_client(app, db, jk)
    import base64

    bomb = base64.b64encode(zlib.compress(b"\n" * (64 * 1024 * 1024), 9)).decode()  # ~64 KB that inflates to 64 MiB
    response = client.post("/volunteers/import", data={"confirm": "import", "kept": bomb,
                                                       "pending": secrets.token_urlsafe(32)})
    assert response.status_code == 404 and "已过期或已使用" in response.get_data(as_text=True)
    assert count(db, Volunteer) == 0


def test_another_persons_or_an_expired_pending_import_cannot_be_confirmed(site):
    app, db, jk = site
    client, _ = staff_client(app, db, jk)
    other, _ = staff_client(app, db, jk)
    held = pending_id(upload(client, "姓名,手机号,服务中心\n王秀英,13805291234,JK01\n".encode()).get_data(as_text=True))
    assert other.post("/volunteers/import", data={"confirm": "import", "pending": held}).status_code == 404
    db.transaction(lambda s: s.execute(update(PendingImport.__table__).values(expires_at=utcnow() - timedelta(1))))
    assert client.post("/volunteers/import", data={"confirm": "import", "pending": held}).status_code == 404
    assert count(db, Volunteer) == 0


def test_one_person_has_at_most_one_import_waiting(site):
    app, db, jk = site
    client, _ = staff_client(app, db, jk)
    for phone in ("13805291234", "13805291235", "13805291236"):
        upload(client, f"姓名,手机号,服务中心\n王秀英,{phone},JK01\n".encode())
    assert count(db, PendingImport) == 1


def test_the_page_caps_an_upload_like_the_api(site):
    app, db, jk = site
    client, person = staff_client(app, db, jk)
    big = b"name,phone,center\n" + b"x" * MAX_IMPORT_BYTES
    page = upload(client, big)
    assert page.status_code == 413 and "文件太大：最大 5 MB" in page.get_data(as_text=True)
    api = client.post(f"{API}/volunteers/import?dry_run=true", data=big, content_type="text/csv",
                      headers=bearer(mint_token(db, person)))
    assert api.status_code == 413 and list(api.get_json()["error"]["fields"]) == ["file"]
    assert api.get_json()["error"]["code"] == "payload_too_large"


def test_errors_name_the_column_as_the_instructions_do(site):
    app, db, jk = site
    client, _ = staff_client(app, db, jk)
    page = upload(client, "姓名,手机号,服务中心\n王秀英,13805291234,\n".encode()).get_data(as_text=True)
    assert "姓名,手机号,服务中心,身份证后四位,出生年份" in page  # the instructions
    assert "这一行的“服务中心”是空的" in page and "所属中心" not in page


@pytest.mark.parametrize("path", ["/volunteers/import/template?format={}",
                                  f"{API}/volunteers/import-template?format={{}}"])
def test_the_templates_download_from_the_page_and_the_api(site, path):
    app, db, jk = site
    client, person = staff_client(app, db, jk)
    headers = bearer(mint_token(db, person)) if path.startswith(API) else {}
    if not path.startswith(API):
        assert "/volunteers/import/template?format=xlsx" in client.get("/volunteers/import").get_data(as_text=True)
    csv = client.get(path.format("csv"), headers=headers)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.data == "\ufeff姓名,手机号,服务中心,身份证后四位,出生年份\r\n".encode("utf-8")
    assert "attachment" in csv.headers["Content-Disposition"]
    sheet = client.get(path.format("xlsx"), headers=headers)
    assert sheet.status_code == 200 and sheet.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(sheet.data))
    assert [c.value for c in workbook.worksheets[0][1]] == ["姓名", "手机号", "服务中心", "身份证后四位", "出生年份"]
    assert workbook.sheetnames[1] == "说明"
