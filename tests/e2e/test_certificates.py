"""Service certificates (志愿服务记录证明) over HTTP on both databases: the figures against the records the test made
(a reversed one and a pending one left out, two years split on the city's clock), the PDF's text and QR, the
receipt it verifies as, who may have one, and bad periods."""
from __future__ import annotations

import io
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from pypdf import PdfReader

from tests.auth_helpers import mint_session_key
from timebank.auth.access import Principal
from timebank.db import get_db
from timebank.hours import services as hours
from timebank.receipts.codec import Kind
from timebank.receipts.services import check_receipt
from timebank.service_types.services import create_service_type
from timebank.volunteers.services import create_volunteer

pytestmark = pytest.mark.usefixtures("fast_password_hashing")
SYSTEM = Principal.system("test")
CITY = ZoneInfo("Asia/Shanghai")
TYPES = {"visit": ("上门探访", "Home visit"), "sing": ("教唱歌", "Teaching songs")}
# (local start, service type, minutes, what happens to it)
SERVICE = [
    (datetime(2025, 3, 10, 9, 0), "visit", 90, "approve"),
    (datetime(2025, 12, 31, 22, 30), "sing", 60, "approve"),  # 2025 on the city's clock, 14:30 UTC
    (datetime(2026, 1, 1, 1, 0), "visit", 120, "approve"),  # 2026 on the city's clock, still 2025 in UTC
    (datetime(2026, 3, 1, 14, 0), "visit", 45, "reverse"),
    (datetime(2026, 6, 1, 9, 0), "sing", 150, "approve"),
    (datetime(2026, 6, 2, 9, 0), "sing", 30, "pending"),
]


def expected(counted):
    by_type, by_year, records = Counter(), Counter(), Counter()
    for start, code, minutes, _ in counted:
        by_type[code] += minutes
        by_year[start.year] += minutes
        records[start.year] += 1
    return by_type, by_year, records


@pytest.fixture
def served(app, make_user, api_headers):
    db = get_db(app)
    for code, (zh, en) in TYPES.items():
        create_service_type(db, actor=SYSTEM, code=code, name_zh=zh, name_en=en, credits_per_hour=100)
    staff = make_user("staff", center="C001")
    volunteer_id = create_volunteer(db, actor=SYSTEM, name="王小英", phone="13805291234", home_center="C001",
                                    id_card_tail="123X").id
    volunteer = make_user("volunteer", volunteer_id=volunteer_id)
    for start, code, minutes, fate in SERVICE:
        begin = start.replace(tzinfo=CITY).astimezone(timezone.utc)
        record = hours.log_record(db, actor=SYSTEM, volunteer_id=volunteer_id, center="C001", service_type=code,
                                  started_at=begin, ended_at=begin + timedelta(minutes=minutes),
                                  now=begin + timedelta(days=1))
        if fate != "pending":
            hours.approve_records(db, actor=SYSTEM, record_ids=[record.id], validity_days=730)
        if fate == "reverse":
            hours.reverse_record(db, actor=SYSTEM, record_id=record.id, reason="登记错了")
    return type("Served", (), dict(
        db=db, vid=volunteer_id, volunteer_login=volunteer, volunteer=api_headers(volunteer),
        staff=api_headers(staff), other_volunteer=api_headers(make_user("volunteer", center="C001")),
        other_staff=api_headers(make_user("staff", center="C002")),
        supervisor=api_headers(make_user("supervisor", supervised_centers=("C001",)))))


def test_the_certificate_counts_approved_service_per_type_and_year_and_verifies_as_a_receipt(client, served):
    answer = client.get(f"/api/v1/volunteers/{served.vid}/certificate", headers=served.volunteer)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    counted = [row for row in SERVICE if row[3] == "approve"]
    by_type, by_year, records = expected(counted)
    assert {line["code"]: line["minutes"] for line in body["by_service_type"]} == dict(by_type)
    assert [(line["year"], line["records"], line["minutes"]) for line in body["by_year"]] == [
        (year, records[year], by_year[year]) for year in sorted(by_year)]
    assert (body["records"], body["total_minutes"], body["total_hours"]) == (4, 420, "7")
    assert (body["first_service"], body["last_service"]) == ("2025-03-10", "2026-06-01")
    assert body["volunteer"] == {"id": served.vid, "name": "王小英", "id_card": "**************123X",
                                 "phone": "138****1234"}
    assert body["center"] == {"code": "C001", "name": "C001 养老服务中心"} and body["issued_on"]
    check = check_receipt(served.db, code=body["receipt"]["url"])
    assert check.valid and check.verdict.receipt.kind is Kind.CERTIFICATE
    assert (check.verdict.receipt.amount, check.verdict.receipt.reference) == (420, body["id"])

    again = client.get(f"/api/v1/volunteers/{served.vid}/certificate", headers=served.staff).get_json()
    assert (again["id"], again["receipt"]) == (body["id"], body["receipt"])  # the same certificate, reused today
    year = client.get(f"/api/v1/volunteers/{served.vid}/certificate?from=2026-01-01&to=2026-12-01",
                      headers=served.volunteer).get_json()
    assert year["id"] != body["id"] and (year["from"], year["to"]) == ("2026-01-01", "2026-12-01")
    assert [(line["year"], line["minutes"]) for line in year["by_year"]] == [(2026, by_year[2026])]


def test_the_pdf_text_is_extractable_and_its_qr_verifies_the_certificate(app, client, served):
    answer = client.get(f"/api/v1/volunteers/{served.vid}/certificate?format=pdf", headers=served.staff)
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.headers["Cache-Control"] == "no-store"
    pages = PdfReader(io.BytesIO(answer.data)).pages
    assert len(pages) == 1
    text = re.sub(r"\s+", "", pages[0].extract_text())
    for expected_text in ("志愿服务记录证明", "王小英", "**************123X", "C001养老服务中心", "共计7小时",
                          "上门探访", "教唱歌", "2025", "2026", "出具单位"):
        assert expected_text in text, expected_text
    [image] = pages[0].images
    [code] = zxingcpp.read_barcodes(image.image)
    check = check_receipt(served.db, code=code.text)
    assert check.valid and check.verdict.receipt.kind is Kind.CERTIFICATE and check.verdict.receipt.amount == 420
    assert client.get(f"/R/{code.text.rsplit('/', 1)[-1]}").status_code == 200  # the public receipt page

    printable = client.get(f"/api/v1/volunteers/{served.vid}/certificate?format=html", headers=served.staff)
    assert printable.mimetype == "text/html" and "志愿服务记录证明" in printable.get_data(as_text=True)

    with client.session_transaction() as session:  # the page of the volunteer's own, with the same receipt
        session["_user_id"] = mint_session_key(get_db(app), served.volunteer_login)
    html = client.get("/certificate")
    assert html.status_code == 200 and html.headers["Cache-Control"] == "no-store"
    token = re.search(r'src="/R/(\d+)/qr\.svg"', html.get_data(as_text=True)).group(1)
    [decoded] = zxingcpp.read_barcodes(_png(client.get(f"/R/{token}/qr.png").data))
    assert decoded.text == code.text
    assert client.get(f"/volunteers/{served.vid}/certificate.pdf").mimetype == "application/pdf"
    assert "/certificate" in client.get("/record-book").get_data(as_text=True)


def _png(data: bytes):
    from PIL import Image
    return Image.open(io.BytesIO(data))


def test_who_may_have_a_certificate_bad_periods_and_a_missing_font_are_refused(app, client, served):
    path = f"/api/v1/volunteers/{served.vid}/certificate"
    # Out of sight is "not found", never "forbidden" (SPEC §8); a supervisor's role may not ask at all.
    for who, status, code in (("other_volunteer", 404, "not_found"), ("other_staff", 404, "not_found"),
                              ("supervisor", 403, "forbidden")):
        refused = client.get(path, headers=getattr(served, who))
        assert (refused.status_code, refused.get_json()["error"]["code"]) == (status, code), who
    assert client.get(path).status_code == 401
    for query, field in (("from=2026-13-01", "from"), ("from=2026-05-01&to=2026-04-01", "to"),
                         ("to=2999-01-01", "to"), ("format=docx", "format")):
        refused = client.get(f"{path}?{query}", headers=served.volunteer)
        assert refused.status_code == 422 and field in refused.get_json()["error"]["fields"], query
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(get_db(app), served.volunteer_login)
    page = client.get(f"/volunteers/{served.vid}/certificate?from=2026-05-01&to=2026-04-01")
    assert page.status_code == 422 and "截止日期早于起始日期" in page.get_data(as_text=True)

    app.config["CERTIFICATE_FONT"] = "/nonexistent/font.ttf"
    refused = client.get(f"{path}?format=pdf", headers=served.volunteer)
    assert refused.status_code == 503 and refused.get_json()["error"]["code"] == "certificate_font_missing"
    assert client.get(f"/volunteers/{served.vid}/certificate.pdf").status_code == 503  # a page that says why
