"""Every list of the service hours longer than a page (the lesson of issue 6: one page of data hid a 500): with 45
of each thing, pages 1, 2 and 3 of every list answer, show their rows and say where they are, on both databases."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.auth_helpers import mint_session_key
from timebank.auth.access import Principal
from timebank.centers.services import centers_by_code
from timebank.db import get_db
from timebank.hours import services
from timebank.service_requests.services import post_request
from timebank.service_types.services import create_service_type, service_type_by_code

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

SYSTEM = Principal.system("test")
SHANGHAI = ZoneInfo("Asia/Shanghai")
COUNT = 45  # three pages of 20


@pytest.fixture
def busy_center(app, make_user):
    """C001 with 45 days of a 9-hour check-in never closed (45 flagged pending records, 45 anomalies), 45 approved
    two-hour records to rate, and 45 open requests."""
    db = get_db(app)
    create_service_type(db, actor=SYSTEM, code="visit", name_zh="上门探访", name_en="Home visit", credits_per_hour=100)
    logins = type("Logins", (), {})()
    logins.staff = make_user("staff", center="C001")
    logins.volunteer = make_user("volunteer", center="C001")
    logins.supervisor = make_user("supervisor", supervised_centers=("C001",))
    logins.admin = make_user("admin")
    volunteer_id = logins.volunteer.volunteer_id
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    center_id = db.transaction(lambda s: centers_by_code(s, ["C001"])["C001"].id, readonly=True)
    type_id = db.transaction(lambda s: service_type_by_code(s, "visit").id, readonly=True)
    days = [now - timedelta(days=2 + n) for n in range(COUNT)]
    flagged = [services.NewRecord(volunteer_id=volunteer_id, center_id=center_id, service_type_id=type_id,
                                  started_at=day - timedelta(hours=12), ended_at=day - timedelta(hours=3),
                                  source="check_in", missing_check_out=True) for day in days]
    db.transaction(lambda s: services.insert_records(s, actor=SYSTEM, records=flagged, now=now,
                                                     home_center_only=False))
    approved = [services.log_record(db, actor=SYSTEM, volunteer_id=volunteer_id, center="C001", service_type="visit",
                                    started_at=day - timedelta(hours=2), ended_at=day, now=now).id for day in days]
    services.approve_records(db, actor=SYSTEM, record_ids=approved, validity_days=730, now=now)
    tomorrow = datetime.combine((datetime.now(SHANGHAI) + timedelta(days=1)).date(), time(8), tzinfo=SHANGHAI)
    for n in range(COUNT):  # all tomorrow in Zhenjiang: the staff's list is of one day
        start = tomorrow + timedelta(minutes=10 * n)
        post_request(db, actor=SYSTEM, center="C001", service_type="visit", resident=f"{n + 1}号楼 张奶奶",
                     starts_at=start, ends_at=start + timedelta(hours=1), place="活动室")
    app.config["WTF_CSRF_ENABLED"] = False
    logins.app = app
    return logins


def signed_in(app, login):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(get_db(app), login)
        session["_fresh"] = True
    return client


LISTS = [
    ("staff", "/records/?status=pending"),
    ("staff", "/records/?status="),  # all of them
    ("volunteer", "/records/"),
    ("staff", "/check-ins/"),
    ("admin", "/check-ins/"),
    ("staff", "/service-requests/?date={tomorrow}"),
    ("volunteer", "/service-requests/"),
    ("supervisor", "/record-reviews/"),
    ("supervisor", "/anomalies/"),
    ("staff", "/anomalies/"),
    ("volunteer", "/record-book"),
    ("staff", "/volunteers/{volunteer_id}/record-book"),
    ("admin", "/audit/"),
]


def test_every_page_of_every_long_list_answers_with_its_rows(busy_center):
    tomorrow = (datetime.now(SHANGHAI) + timedelta(days=1)).date().isoformat()
    problems = []
    for role, path in LISTS:  # one city for all the lists: building it is most of the time
        client = signed_in(busy_center.app, getattr(busy_center, role))
        client.set_cookie("tb_lang", "zh")
        path = path.format(volunteer_id=busy_center.volunteer.volunteer_id, tomorrow=tomorrow)
        problems += [f"{role} {path}: {problem}" for problem in _pages_of(client, path)]
    assert not problems, "\n".join(problems)


def _pages_of(client, path: str) -> list[str]:
    joiner = "&" if "?" in path else "?"
    seen = set()
    for page in (1, 2, 3):
        response = client.get(f"{path}{joiner}page={page}")
        if response.status_code != 200:
            return [f"page {page} answered {response.status_code}"]
        html = response.get_data(as_text=True)
        found = re.search(r"第 (\d+) 页，共 (\d+) 页", html)
        if not found or int(found.group(1)) != page or int(found.group(2)) < 3:
            return [f"page {page} says {found.group(0) if found else 'no page number'}"]
        main = html.split("<main", 1)[1]
        rows = set(re.findall(r'<tr[ >].*?</tr>|<li class="(?:request-card|entry)[^"]*">.*?</li>', main, re.S))
        if len(rows) < 2:
            return [f"page {page} shows no rows"]
        seen.add(frozenset(rows))
    return [] if len(seen) == 3 else ["two pages showed the same rows"]
