"""Expiry notices over HTTP on both databases: ``GET /api/v1/volunteers/{id}/notices`` (its shape, paging past 40
notices, who may read whose, bad input), and the pages that show them: the volunteer's home (one message about
expiring credits), their record book and their reminders page."""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.auth_helpers import mint_session_key
from tests.notice_helpers import SYSTEM, lot
from timebank.centers.services import list_centers
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.notices.services import send_expiry_notices
from timebank.volunteers.services import get_volunteer

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

DAY = timedelta(days=1)
LOTS = 45


@pytest.fixture
def told(app, client, make_user, api_headers):
    """A volunteer of C001 with 45 lots expiring in 6 to 29 days, told over three days: 47 notices, more than two
    pages of 20 hold; another volunteer of C001, staff of C001 and C002, a supervisor of C002, an admin."""
    db = get_db(app)
    volunteer = make_user("volunteer", center="C001")
    other_volunteer = make_user("volunteer", center="C001")
    staff, other_staff = make_user("staff", center="C001"), make_user("staff", center="C002")
    supervisor, admin = make_user("supervisor", supervised_centers=("C002",)), make_user("admin")
    center = list_centers(db, actor=SYSTEM, search="C001").items[0]
    profile = get_volunteer(db, actor=SYSTEM, volunteer_id=volunteer.volunteer_id)
    now = utcnow().replace(microsecond=0)
    for n in range(LOTS):
        lot(db, profile, center, 100 + n, expires_at=now + (6 + n % 24) * DAY + timedelta(hours=1),
            now=now - 700 * DAY)
    runs = [send_expiry_notices(db, now=now - 2 * DAY), send_expiry_notices(db, now=now - DAY),
            send_expiry_notices(db, now=now)]
    return type("Told", (), dict(
        vid=volunteer.volunteer_id, runs=runs, now=now, volunteer_login=volunteer, staff_login=staff,
        volunteer=api_headers(volunteer), other_volunteer=api_headers(other_volunteer), staff=api_headers(staff),
        other_staff=api_headers(other_staff), supervisor=api_headers(supervisor), admin=api_headers(admin)))


def path(volunteer_id, query: str = "") -> str:
    return f"/api/v1/volunteers/{volunteer_id}/notices" + (f"?{query}" if query else "")


def test_the_notices_page_newest_first_in_the_houses_list_shape(client, told):
    # 2 days ago: the 43 lots due within 30 days; a day later one more entered the month; today one more did, and
    # the two soonest lots reached their week.
    assert told.runs == [43, 1, 3]
    first = client.get(path(told.vid), headers=told.volunteer)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert {k: body[k] for k in ("total", "page", "per_page", "pages")} == {
        "total": 47, "page": 1, "per_page": 20, "pages": 3}
    items = body["items"]
    assert len(items) == 20 and set(items[0]) == {"id", "kind", "lot", "credits", "expires_at", "created_at"}
    # Today's run first, the soonest expiry first within it: the two lots in their week, then the one that entered
    # the month; then yesterday's.
    assert [item["kind"] for item in items[:4]] == ["expiring_7d", "expiring_7d", "expiring_30d", "expiring_30d"]
    assert items[1]["lot"] == items[0]["lot"] + 24 and [items[0]["credits"], items[1]["credits"]] == ["1.00", "1.24"]
    assert all(re.fullmatch(r"\d+\.\d\d", item["credits"]) for item in items)
    assert all(re.search(r"(\+00:00|Z)$", item["created_at"]) for item in items)
    pages = [client.get(path(told.vid, f"page={n}"), headers=told.volunteer).get_json()["items"] for n in (1, 2, 3)]
    assert [len(page) for page in pages] == [20, 20, 7]
    every = [item for page in pages for item in page]
    assert len({item["id"] for item in every}) == 47
    created = [item["created_at"] for item in every]
    assert created == sorted(created, reverse=True)
    assert client.get(path(told.vid, "page=4"), headers=told.volunteer).get_json()["items"] == []
    assert len(client.get(path(told.vid, "per_page=50"), headers=told.volunteer).get_json()["items"]) == 47


def test_a_volunteer_reads_their_own_staff_their_centers_and_admin_all(client, told):
    for reader in ("volunteer", "staff", "admin"):
        answer = client.get(path(told.vid), headers=getattr(told, reader))
        assert answer.status_code == 200 and answer.get_json()["total"] == 47, reader
    for reader in ("other_volunteer", "other_staff", "supervisor"):
        refused = client.get(path(told.vid), headers=getattr(told, reader))
        assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_found", reader
    assert client.get(path(told.vid)).status_code == 401


@pytest.mark.parametrize("volunteer_id", [2**63, 2**64, 10**30])
def test_an_id_past_the_database_range_is_not_found(client, told, volunteer_id):
    refused = client.get(path(volunteer_id), headers=told.admin)
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query", ["page=0", "per_page=500", "page=abc", "per_page=-1", f"page={2**63}",
                                   "colour=red"])
def test_bad_paging_is_a_validation_error_in_the_callers_language(client, told, query):
    refused = client.get(path(told.vid, query), headers={**told.volunteer, "Accept-Language": "en"})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "validation_error"
    chinese = client.get(path(told.vid, query), headers=told.volunteer).get_json()["error"]["message"]
    assert re.search(r"[\u4e00-\u9fff]", chinese) and not re.search(r"[\u4e00-\u9fff]",
                                                                    refused.get_json()["error"]["message"])


def sign_in(app, client, login):
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(get_db(app), login)
        session["_fresh"] = True


def test_the_home_page_says_one_thing_about_expiring_credits_the_reminder(app, client, told):
    sign_in(app, client, told.volunteer_login)
    home = client.get("/").get_data(as_text=True)
    # The soonest lot (1.00, expiring in 6 days and an hour) was told again today, in its week.
    day = (told.now + 6 * DAY + timedelta(hours=1)).astimezone(ZoneInfo("Asia/Shanghai")).date()
    sentence = f"您有 1.00 时间币将于 {day.year}年{day.month}月{day.day}日 到期，只剩几天了，请尽快在兑换活动中使用。"
    assert home.count('class="notice ') == 1 and sentence in re.sub(r"<[^>]+>", "", home)
    assert (f'<span class="no-break">{day.year}年</span><span class="no-break">{day.month}月{day.day}日</span>'
            in home)  # on a narrow phone the date breaks after its year, if at all
    assert "home-expiring" not in home  # the ledger's own sentence gives way to the reminder
    assert "记录本里还有 44 条到期提醒" in home


def test_the_record_book_lists_the_live_reminders_and_the_reminders_page_pages(app, client, told):
    sign_in(app, client, told.volunteer_login)
    book = client.get("/record-book").get_data(as_text=True)
    assert book.count('class="notice ') == 5 and "另有 40 笔，到期较晚" in book and 'href="/notices"' in book
    first = client.get("/notices").get_data(as_text=True)
    assert first.count('class="notice ') == 20 and 'rel="next"' in first
    last = client.get("/notices?page=3").get_data(as_text=True)
    assert last.count('class="notice ') == 7 and 'rel="next"' not in last
    assert client.get("/notices?page=99999999999999999999").status_code == 200


def test_staff_see_the_reminders_in_a_volunteers_record_book_but_have_no_reminders_page(app, client, told):
    sign_in(app, client, told.staff_login)
    book = client.get(f"/volunteers/{told.vid}/record-book").get_data(as_text=True)
    assert book.count('class="notice ') == 5 and "已发给" in book and 'href="/notices"' not in book
    assert client.get("/notices").status_code == 404
