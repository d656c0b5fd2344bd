"""``GET /api/v1/reports/{name}`` and the report pages through the test client, on both databases: the figures of
known data, staff scoping, the downloads (CSV with a BOM and Chinese headers, XLSX with the same rows), the chart
(valid SVG), empty data, bad input, and the replica setting."""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation


import openpyxl
import pytest
from sqlmodel import SQLModel

from tests.conftest import _pg_url
from tests.auth_helpers import bearer, make_app, mint_session_key, mint_token
from tests.auth_helpers import make_user as make_person
from tests.report_helpers import seed_reports
from timebank.auth.access import Principal
from timebank.centers.services import create_center
from timebank.db import Database, get_db, get_read_db
from timebank.ledger.standalone import ensure_system_accounts

SYSTEM = Principal.system("test")


SVG = "{http://www.w3.org/2000/svg}svg"


def _rows_of_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel opens it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _rows_of_xlsx(data: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    return [["" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v)) for v in row]
            for row in sheet.iter_rows(values_only=True)]


def _same_values(rows: list[list[str]]) -> list[list]:
    """Cells compared as numbers where they are numbers (Excel keeps 0.00 as 0)."""
    def value(cell: str):
        try:
            return Decimal(cell)
        except InvalidOperation:
            return cell
    return [[value(cell) for cell in row] for row in rows]


def test_the_api_answers_the_reports_of_known_data_in_every_format(app, client, make_user, api_headers):
    seeded = seed_reports(get_db(app))
    admin = api_headers(make_user("admin"))
    body = client.get("/api/v1/reports/hours", headers=admin).get_json()
    got = {(r["center"], r["service_type"], r["month"]): [r["records"], r["minutes"], r["credits"]]
           for r in body["rows"]}
    assert got == {key: [n, minutes, f"{credits / 100:.2f}"] for key, (n, minutes, credits) in seeded.hours.items()}

    liability = client.get("/api/v1/reports/liability?center=jk01", headers=admin).get_json()
    assert [r["center"] for r in liability["rows"]] == ["JK01"]
    assert liability["total"]["outstanding"] == f"{seeded.outstanding['JK01'] / 100:.2f}"
    assert liability["total"]["stock_value"] == f"{seeded.stock_value['JK01'] / 100:.2f}"

    # CSV: BOM, the headers in Chinese (the default language), the total last; XLSX: the same rows.
    csv_rows = _rows_of_csv(client.get("/api/v1/reports/drive?format=csv", headers=admin).data)
    assert csv_rows[0][:4] == ["中心代码", "所属中心", "预约数", "已领取"]
    assert csv_rows[-1][0] == "合计"
    answer = client.get("/api/v1/reports/drive?format=xlsx", headers=admin)
    assert answer.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert _same_values(_rows_of_xlsx(answer.data)) == _same_values(csv_rows)
    english = client.get("/api/v1/reports/hours?format=csv", headers={**admin, "Accept-Language": "en"})
    assert _rows_of_csv(english.data)[0][:3] == ["Month", "Center code", "Center"]

    # Staff: their own center by default, another one refused; volunteers refused.
    staff = api_headers(make_user("staff", center="RZ01"))
    mine = client.get("/api/v1/reports/hours", headers=staff).get_json()
    assert {r["center"] for r in mine["rows"]} == {"RZ01"}
    refused = client.get("/api/v1/reports/liability?center=JK01", headers=staff)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert client.get("/api/v1/reports/drive", headers=api_headers(make_user("volunteer"))).status_code == 403

    # Bad input: the field named, in the error shape; an unknown report is 404.
    bad = client.get("/api/v1/reports/hours?from=2026-02-30", headers=admin)
    assert bad.status_code == 422 and list(bad.get_json()["error"]["fields"]) == ["from"]
    backwards = client.get("/api/v1/reports/hours?from=2026-05-01&to=2026-04-01", headers=admin)
    assert backwards.status_code == 422 and list(backwards.get_json()["error"]["fields"]) == ["to"]
    assert client.get("/api/v1/reports/hours?format=pdf", headers=admin).status_code == 422
    unknown = client.get("/api/v1/reports/payroll", headers=admin)
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "not_found"


@pytest.fixture
def page_app(database_url):
    application = make_app(database_url)
    yield application
    get_db(application).dispose()


def _signed_in(app, role: str, **scope):
    """A page client signed in as a new ``role`` (a session minted, no sign-in form)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(get_db(app), make_person(get_db(app), role, **scope))
        session["_fresh"] = True
    return client


def test_the_pages_show_a_chart_a_table_and_downloads_even_with_no_data(page_app):
    client = _signed_in(page_app, "admin")
    for name in ("hours", "liability", "drive"):  # a city with nothing yet
        page = client.get(f"/reports/{name}")
        assert page.status_code == 200, name
        html = page.get_data(as_text=True)
        start = html.index("<svg")
        end = html.index("</svg>", start) + len("</svg>")
        svg = ET.fromstring(html[start:end])
        assert svg.tag == SVG and svg.get("viewBox") and svg.find("{http://www.w3.org/2000/svg}title") is not None
        assert " style=" not in html[start:end]  # the pages' CSP allows no inline style
        assert "format=csv" in html and "format=xlsx" in html
    assert client.get("/reports/").status_code == 200
    bad = client.get("/reports/hours?from=2026-02-30")
    assert bad.status_code == 422 and "请输入日期" in bad.get_data(as_text=True)
    assert client.get("/reports/payroll").status_code == 404
    download = client.get("/reports/liability?format=xlsx")
    assert download.status_code == 200 and _rows_of_xlsx(download.data)[0][0] == "中心代码"
    assert _signed_in(page_app, "supervisor").get("/reports/hours").status_code == 403


def test_reports_read_the_replica_when_one_is_set(database_url, tmp_path, request):
    """The setting pointed at a SECOND database holding other data: the report and the public pages show the
    second one's."""
    if database_url.startswith("sqlite"):
        replica_url = f"sqlite:///{tmp_path / 'replica.db'}"
        replica = Database(replica_url)
        SQLModel.metadata.create_all(replica.engine)
        ensure_system_accounts(replica)
    else:  # a second test database (the schema and the system accounts), given back at the end
        databases = request.getfixturevalue("pg_databases")
        name = databases.take()
        request.addfinalizer(lambda: databases.give_back(name))
        replica_url = _pg_url(name)
        replica = Database(replica_url)
    create_center(replica, actor=SYSTEM, code="RP01", name="只在副本里的中心", district="京口区")
    replica.dispose()
    app = make_app(database_url, REPLICA_URL=replica_url)
    try:
        assert get_read_db(app) is not get_db(app)
        create_center(get_db(app), actor=SYSTEM, code="PR01", name="只在主库里的中心", district="京口区")
        token = bearer(mint_token(get_db(app), make_person(get_db(app), "admin")))
        rows = app.test_client().get("/api/v1/reports/liability", headers=token).get_json()["rows"]
        assert [r["center"] for r in rows] == ["RP01"]
        public = app.test_client().get("/api/v1/public/centers").get_json()["items"]  # the public pages too
        assert [c["code"] for c in public] == ["RP01"]
        assert app.test_client().get("/public/centers/RP01").status_code == 200
        assert app.test_client().get("/public/centers/PR01").status_code == 404
    finally:
        get_db(app).dispose()
        get_read_db(app).dispose()
    primary_only = make_app(database_url)
    try:
        assert get_read_db(primary_only) is get_db(primary_only)
    finally:
        get_db(primary_only).dispose()
