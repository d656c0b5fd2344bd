"""The account and the record book over HTTP on both databases: the API figures, paging, who may read whose, and
the pages (the volunteer's home and record book, staff's view of a volunteer's book)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.auth_helpers import mint_session_key
from timebank.auth.access import Principal
from timebank.db import get_db
from timebank.hours import services
from timebank.service_types.services import create_service_type

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def book(app, client, make_user, api_headers):
    create_service_type(get_db(app), actor=Principal.system("test"), code="visit", name_zh="上门探访",
                        name_en="Home visit", credits_per_hour=150)
    staff = make_user("staff", center="C001")
    volunteer = make_user("volunteer", center="C001")
    other_volunteer = make_user("volunteer", center="C001")
    other_staff = make_user("staff", center="C002")
    headers = api_headers(staff)
    vid = volunteer.volunteer_id
    ids = []
    for n, hours_ago in enumerate((30, 20, 10)):
        start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=hours_ago)
        created = client.post("/api/v1/service-records", headers=headers, json={
            "volunteer_id": vid, "center": "C001", "service_type": "visit", "started_at": start.isoformat(),
            "ended_at": (start + timedelta(hours=2)).isoformat()})
        assert created.status_code == 201, created.get_json()
        ids.append(created.get_json()["id"])
    for n, record_id in enumerate(ids[:2]):
        approved = client.post(f"/api/v1/service-records/{record_id}/approve",
                               headers={**headers, "Idempotency-Key": f"approve-{n}"})
        assert approved.status_code == 200, approved.get_json()
    reversed_ = client.post(f"/api/v1/service-records/{ids[0]}/reverse", json={"reason": "登记错了"},
                            headers={**headers, "Idempotency-Key": "reverse-0"})
    assert reversed_.status_code == 200, reversed_.get_json()
    return type("Book", (), dict(staff_login=staff, staff=headers, volunteer_login=volunteer,
                                 volunteer=api_headers(volunteer), other_volunteer=api_headers(other_volunteer),
                                 other_staff=api_headers(other_staff), ids=ids, vid=vid))


def test_the_account_answers_credits_as_decimal_strings(client, book):
    account = client.get(f"/api/v1/volunteers/{book.vid}/account", headers=book.volunteer)
    assert account.status_code == 200, account.get_json()
    body = account.get_json()
    assert {k: body[k] for k in ("balance", "held", "available", "expiring_30d")} == {
        "balance": "3.00", "held": "0.00", "available": "3.00", "expiring_30d": "0.00"}
    assert [lot["remaining"] for lot in body["lots"]] == ["3.00"] and "+" in body["lots"][0]["expires_at"] or \
        body["lots"][0]["expires_at"].endswith("Z")


def test_the_statement_pages_newest_first_with_the_running_balance_and_receipts(client, book):
    first = client.get(f"/api/v1/volunteers/{book.vid}/statement?per_page=2", headers=book.volunteer).get_json()
    second = client.get(f"/api/v1/volunteers/{book.vid}/statement?per_page=2&page=2",
                        headers=book.volunteer).get_json()
    assert (first["total"], first["pages"], first["account"]["balance"]) == (4, 2, "3.00")
    entries = first["items"] + second["items"]
    assert [(e["kind"], e["change"], e["balance"]) for e in entries] == [
        ("reversal", "-3.00", "3.00"), ("mint", "+3.00", "6.00"), ("mint", "+3.00", "3.00"),
        ("record", "0.00", "0.00")]  # the third record, logged before the approvals, still pending
    assert entries[3]["record"]["status"] == "pending" and entries[3]["record"]["receipt"] is None
    receipt = entries[1]["record"]["receipt"]
    assert entries[1]["record"]["id"] == book.ids[1] and receipt["url"].startswith("HTTP://LOCALHOST/R/")
    assert entries[0]["record"]["id"] == book.ids[0] and entries[0]["record"]["status"] == "reversed"


@pytest.mark.parametrize("query", ["page=0", "per_page=500", "page=abc", "per_page=-1"])
def test_bad_paging_is_a_validation_error(client, book, query):
    refused = client.get(f"/api/v1/volunteers/{book.vid}/statement?{query}", headers=book.volunteer)
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("who", ["other_volunteer", "other_staff"])
@pytest.mark.parametrize("what", ["account", "statement"])
def test_another_volunteer_or_another_centers_staff_get_404(client, book, who, what):
    refused = client.get(f"/api/v1/volunteers/{book.vid}/{what}", headers=getattr(book, who))
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/volunteers/{book.vid}/{what}", headers=book.staff).status_code == 200
    assert client.get(f"/api/v1/volunteers/{book.vid}/{what}").status_code == 401


def sign_in(app, client, login):
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(get_db(app), login)
        session["_fresh"] = True


def test_the_volunteers_home_shows_the_balance_and_links_to_the_record_book(app, client, book):
    sign_in(app, client, book.volunteer_login)
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'class="balance-amount">3\.00', home) and 'href="/record-book"' in home
    page = client.get("/record-book")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "我的时间银行记录本" in text and "上门探访" in text and "/qr.svg" in text and "余额 3.00" in text
    assert text.count('class="entry ') == 4


def test_staff_open_a_volunteers_record_book_and_others_get_404(app, client, book, make_user):
    sign_in(app, client, book.staff_login)
    assert client.get(f"/volunteers/{book.vid}/record-book").status_code == 200
    assert f"/volunteers/{book.vid}/record-book" in client.get("/volunteers/").get_data(as_text=True)
    assert client.get("/record-book").status_code in (403, 404)
    sign_in(app, client, make_user("staff", center="C002"))
    assert client.get(f"/volunteers/{book.vid}/record-book").status_code == 404


def test_a_volunteer_cannot_open_another_volunteers_book_page(app, client, book, make_user):
    sign_in(app, client, make_user("volunteer", center="C001"))
    assert client.get(f"/volunteers/{book.vid}/record-book").status_code == 404


def test_a_statement_carries_the_soonest_20_lots_and_the_account_all_of_them(app, client, book):
    db, system = get_db(app), Principal.system("test")
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=3)
    made = [services.log_record(db, actor=system, volunteer_id=book.vid, center="C001", service_type="visit",
                                started_at=start - timedelta(hours=2 * n + 2),
                                ended_at=start - timedelta(hours=2 * n + 1)).id for n in range(24)]
    for n, record_id in enumerate(made):  # one lot each, a day apart in validity: soonest first is a real order
        services.approve_records(db, actor=system, record_ids=[record_id], validity_days=700 + n)
    account = client.get(f"/api/v1/volunteers/{book.vid}/account", headers=book.volunteer).get_json()
    statement = client.get(f"/api/v1/volunteers/{book.vid}/statement", headers=book.volunteer).get_json()
    assert account["lot_count"] == len(account["lots"]) == 25
    assert statement["account"]["lot_count"] == 25 and len(statement["account"]["lots"]) == 20
    assert statement["account"]["lots"] == account["lots"][:20]
    assert statement["account"]["balance"] == account["balance"] == "39.00"
