"""The service records' pages (``/records``) over HTTP on both databases: staff log one volunteer or a group
activity through the form, see refusals beside the fields in Chinese, approve ticked records (twice, paid once),
reject, reverse (and are told what is missing), record the resident's rating; a volunteer rates on their own phone;
another center's staff find nothing."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.auth_helpers import mint_session_key
from timebank.auth.access import Principal
from timebank.db import get_db
from timebank.hours import queries, services
from timebank.ledger import standalone
from timebank.ledger.accounts import REDEMPTION_SINK, account_id_for, balance_of
from timebank.ledger.postings import Cause
from timebank.service_types.services import create_service_type
from timebank.volunteers.services import create_volunteer, get_volunteer

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

SYSTEM = Principal.system("test")
SHANGHAI = ZoneInfo("Asia/Shanghai")
TEACHERS = ("张桂英", "李建国", "王秀兰", "赵淑珍", "孙志强")


@pytest.fixture
def desk(app, make_user):
    app.config["WTF_CSRF_ENABLED"] = False  # the CSRF sweep checks every form; here the pages' behaviour
    db = get_db(app)
    create_service_type(db, actor=SYSTEM, code="visit", name_zh="上门探访", name_en="Home visit", credits_per_hour=150)
    create_service_type(db, actor=SYSTEM, code="singing", name_zh="教唱歌", name_en="Singing class",
                        credits_per_hour=100)
    staff = make_user("staff", center="C001")
    helper = make_user("volunteer", center="C001")
    teachers = [create_volunteer(db, actor=SYSTEM, name=name, phone=f"1380000{index:04d}", home_center="C001")
                for index, name in enumerate(TEACHERS)]
    return type("Desk", (), dict(app=app, db=db, staff=staff, helper=helper, teachers=teachers,
                                 other=make_user("staff", center="C002"), admin=make_user("admin")))


def signed_in(app, login):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(get_db(app), login)
        session["_fresh"] = True
    return client


def yesterday() -> str:
    return (datetime.now(SHANGHAI) - timedelta(days=1)).date().isoformat()


def form(volunteer, start="09:00", end="11:00", day=None, service_type="visit", **extra) -> dict:
    return {"volunteer_id": str(volunteer), "service_type": service_type, "date": day or yesterday(), "start": start,
            "end": end, **extra}


def log(db, volunteer_id, hours_ago: float, hours: float = 2.0):
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=hours_ago)
    return services.log_record(db, actor=SYSTEM, volunteer_id=volunteer_id, center="C001", service_type="visit",
                               started_at=start, ended_at=start + timedelta(hours=hours))


def text(response) -> str:
    return response.get_data(as_text=True)


def error_beside(page: str, field: str) -> str:
    found = re.search(rf'<p class="error-text" id="f-{field}-error">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


def test_staff_log_one_volunteer_in_the_centers_time_zone(desk):
    client = signed_in(desk.app, desk.staff)
    page = text(client.get("/records/new"))
    assert f'value="{desk.teachers[0].id}"' in page and "上门探访" in page
    response = client.post("/records/new", data=form(desk.teachers[0].id, note="陪老人聊天"))
    assert response.status_code == 302, text(response)
    record_id = int(response.headers["Location"].rsplit("/", 1)[1])
    record = queries.get_record(desk.db, actor=SYSTEM, record_id=record_id)
    assert (record.status, record.minutes, record.note, record.source) == ("pending", 120, "陪老人聊天", "staff")
    assert record.started_at.astimezone(SHANGHAI).strftime("%H:%M") == "09:00"
    shown = text(client.get(f"/records/{record_id}"))
    assert "待审核" in shown and "09:00–11:00" in shown and "2 小时" in shown


def test_a_group_activity_logs_every_ticked_volunteer_or_none(desk):
    client = signed_in(desk.app, desk.staff)
    ids = [str(t.id) for t in desk.teachers]
    data = {**form(0, service_type="singing", start="14:00", end="15:30"), "volunteer_ids": ids}
    del data["volunteer_id"]
    assert client.post("/records/new/group", data=data).status_code == 302
    records = queries.list_records(desk.db, actor=SYSTEM, status="pending").items
    assert len(records) == 5 and {r.source for r in records} == {"activity"}
    assert len({r.activity_id for r in records}) == 1
    # Again, one teacher now overlapping: nothing is logged, and the page says who and when beside the volunteers.
    data["start"], data["end"] = "15:00", "16:00"
    refused = client.post("/records/new/group", data=data)
    assert refused.status_code == 409
    message = error_beside(text(refused), "volunteer_ids")
    assert "张桂英" in message and "14:00" in message and "15:30" in message, message
    assert queries.list_records(desk.db, actor=SYSTEM).total == 5


def test_overlap_and_a_backwards_period_are_shown_beside_their_fields_in_chinese(desk):
    client = signed_in(desk.app, desk.staff)
    volunteer = desk.teachers[1].id
    assert client.post("/records/new", data=form(volunteer, "09:00", "11:00")).status_code == 302
    overlap = client.post("/records/new", data=form(volunteer, "10:00", "12:00"))
    assert overlap.status_code == 409
    message = error_beside(text(overlap), "volunteer_id")
    assert "李建国" in message and "09:00" in message and "11:00" in message and "重叠" in message, message
    backwards = client.post("/records/new", data=form(volunteer, "15:00", "15:00"))
    assert backwards.status_code == 422 and "结束" in error_beside(text(backwards), "end")
    both = text(client.post("/records/new", data={**form(volunteer, "15:00", "14:00"), "volunteer_id": ""}))
    assert error_beside(both, "volunteer_id") and "结束" in error_beside(both, "end")  # one submission, every field
    missing = client.post("/records/new", data=form(volunteer, start=""))
    assert missing.status_code == 422 and error_beside(text(missing), "start")
    client.set_cookie("tb_lang", "en")
    english = error_beside(text(client.post("/records/new", data=form(volunteer, "10:00", "12:00"))), "volunteer_id")
    assert "overlaps" in english and "09:00" in english, english


def days_ago(days: int) -> str:
    return (datetime.now(SHANGHAI) - timedelta(days=days)).date().isoformat()


def test_an_end_earlier_than_the_start_is_the_next_day_and_says_so(desk):
    client = signed_in(desk.app, desk.staff)
    assert "22:00 至次日 02:00" in text(client.get("/records/new"))  # the end's hint says how it is read
    day = days_ago(2)
    response = client.post("/records/new", data=form(desk.teachers[0].id, "22:00", "02:00", day=day))
    assert response.status_code == 302, text(response)
    record = queries.get_record(desk.db, actor=SYSTEM, record_id=int(response.headers["Location"].rsplit("/", 1)[1]))
    started, ended = record.started_at.astimezone(SHANGHAI), record.ended_at.astimezone(SHANGHAI)
    assert (started.date().isoformat(), started.strftime("%H:%M"), record.minutes) == (day, "22:00", 240)
    assert (ended - started, ended.strftime("%H:%M")) == (timedelta(hours=4), "02:00")
    assert "22:00–次日 02:00" in text(client.get(f"/records/{record.id}"))
    assert "次日 02:00" in text(client.get("/records/?status=pending"))
    client.set_cookie("tb_lang", "en")
    assert "22:00–next day 02:00" in text(client.get(f"/records/{record.id}"))


def test_a_group_activity_through_the_night_ends_the_next_day(desk):
    client = signed_in(desk.app, desk.staff)
    data = {**form(0, "21:30", "00:30", day=days_ago(2)), "volunteer_ids": [str(t.id) for t in desk.teachers[:2]]}
    del data["volunteer_id"]
    assert client.post("/records/new/group", data=data).status_code == 302
    records = queries.list_records(desk.db, actor=SYSTEM, status="pending").items
    assert [r.minutes for r in records] == [180, 180]
    assert all(r.ended_at.astimezone(SHANGHAI).strftime("%H:%M") == "00:30" for r in records)
    assert text(client.get("/records/?status=pending")).count("21:30–次日 00:30") == 2


def test_a_night_longer_than_12_hours_is_refused_and_says_it_was_read_as_the_next_day(desk):
    client = signed_in(desk.app, desk.staff)
    for path, data in (("/records/new", form(desk.teachers[1].id, "22:00", "11:00", day=days_ago(2))),
                       ("/records/new/group", {**form(0, "22:00", "11:00", day=days_ago(2)),
                                               "volunteer_ids": [str(desk.teachers[1].id)]})):
        refused = client.post(path, data=data)
        message = error_beside(text(refused), "end")
        assert refused.status_code == 422 and "次日 11:00" in message and "12 小时" in message, message
    assert queries.list_records(desk.db, actor=SYSTEM).total == 0
    exactly = client.post("/records/new", data=form(desk.teachers[1].id, "22:00", "10:00", day=days_ago(2)))
    assert exactly.status_code == 302  # 12 hours to the minute is allowed
    client.set_cookie("tb_lang", "en")
    english = error_beside(text(client.post("/records/new", data=form(desk.teachers[2].id, "22:00", "11:00",
                                                                      day=days_ago(2)))), "end")
    assert "next day at 11:00" in english and "12 hours" in english, english


def test_approving_the_ticked_records_twice_pays_once_and_says_so(desk):
    db = desk.db
    records = [log(db, desk.teachers[2].id, 3 * n + 3) for n in range(3)]
    client = signed_in(desk.app, desk.staff)
    page = text(client.get("/records/?status=pending"))
    assert page.count('name="record_ids"') == 3 and "批准所选" in page
    data = {"action": "approve", "record_ids": [str(r.id) for r in records], "next": "/records/?status=pending"}
    first = client.post("/records/decide", data=data, follow_redirects=True)
    assert "3 条服务记录已通过" in text(first), text(first)
    account = get_volunteer(db, actor=SYSTEM, volunteer_id=desk.teachers[2].id).account_id
    balance = db.transaction(lambda s: balance_of(s, account).balance)
    assert balance == 900
    second = client.post("/records/decide", data=data, follow_redirects=True)
    assert "已经通过" in text(second) and "不会重复" in text(second), text(second)
    assert db.transaction(lambda s: balance_of(s, account).balance) == 900
    assert text(client.get("/records/?status=pending")).count('name="record_ids"') == 0


def test_rejecting_the_ticked_records_needs_a_reason(desk):
    record = log(desk.db, desk.teachers[3].id, 5)
    client = signed_in(desk.app, desk.staff)
    without = client.post("/records/decide", data={"action": "reject", "record_ids": [str(record.id)]},
                          follow_redirects=True)
    assert "驳回的原因" in text(without) or "原因" in text(without)
    assert queries.get_record(desk.db, actor=SYSTEM, record_id=record.id).status == "pending"
    client.post("/records/decide", data={"action": "reject", "record_ids": [str(record.id)], "reason": "时间不对"})
    rejected = queries.get_record(desk.db, actor=SYSTEM, record_id=record.id)
    assert (rejected.status, rejected.reject_reason) == ("rejected", "时间不对")
    assert "已驳回" in text(client.get(f"/records/{record.id}"))
    none = client.post("/records/decide", data={"action": "approve"}, follow_redirects=True)
    assert "请先勾选" in text(none)


def test_a_records_page_approves_shows_its_receipt_and_reverses_with_a_reason(desk):
    record = log(desk.db, desk.teachers[4].id, 5)
    client = signed_in(desk.app, desk.staff)
    assert client.post(f"/records/{record.id}/approve").status_code == 302
    page = text(client.get(f"/records/{record.id}"))
    approved = queries.get_record(desk.db, actor=SYSTEM, record_id=record.id)
    assert f"/R/{approved.receipt_token}/qr.svg" in page and f'href="/R/{approved.receipt_token}"' in page
    assert f"{approved.receipt_short_code[:5]}-{approved.receipt_short_code[5:]}" in page and "已通过" in page
    again = client.post(f"/records/{record.id}/approve", follow_redirects=True)
    assert "不会重复" in text(again)
    missing = client.post(f"/records/{record.id}/reverse", data={"reason": ""})
    assert missing.status_code == 422 and error_beside(text(missing), "reason")
    assert client.post(f"/records/{record.id}/reverse", data={"reason": "登记错了人"}).status_code == 302
    reversed_page = text(client.get(f"/records/{record.id}"))
    assert "已冲正" in reversed_page and "登记错了人" in reversed_page
    assert "有效" not in text(client.get(f"/R/{approved.receipt_token}")).split("verdict-word")[1][:20]


def test_a_reversal_the_volunteer_cannot_cover_names_what_is_missing(desk):
    db = desk.db
    volunteer = desk.teachers[0].id
    record = log(db, volunteer, 5)
    services.approve_records(db, actor=SYSTEM, record_ids=[record.id], validity_days=730)
    account = get_volunteer(db, actor=SYSTEM, volunteer_id=volunteer).account_id
    sink = standalone.run(db, lambda s: account_id_for(s, REDEMPTION_SINK))
    standalone.place_hold(db, account_id=account, to_account_id=sink, amount=120, timeout=timedelta(days=3),
                          key="hold-1", cause=Cause.user(1, "test", 1))
    client = signed_in(desk.app, desk.staff)
    refused = client.post(f"/records/{record.id}/reverse", data={"reason": "录错"})
    assert refused.status_code == 409
    assert "1.20" in text(refused) and "3.00" in text(refused)
    assert queries.get_record(db, actor=SYSTEM, record_id=record.id).status == "approved"


def test_staff_record_the_residents_rating(desk):
    record = log(desk.db, desk.teachers[1].id, 5)
    client = signed_in(desk.app, desk.staff)
    page = text(client.get(f"/records/{record.id}"))
    assert page.count('name="rating"') == 5 and "非常满意" in page
    bad = client.post(f"/records/{record.id}/confirmation", data={})
    assert bad.status_code == 422 and error_beside(text(bad), "rating")
    assert client.post(f"/records/{record.id}/confirmation", data={"rating": "4", "comment": "很细心"}
                       ).status_code == 302
    rated = text(client.get(f"/records/{record.id}"))
    assert "★★★★☆" in rated and "很细心" in rated and 'name="rating"' not in rated


def test_a_volunteer_hands_their_phone_to_the_resident_to_rate(desk, make_user):
    record = log(desk.db, desk.helper.volunteer_id, 5)
    someone_elses = log(desk.db, desk.teachers[2].id, 5)
    client = signed_in(desk.app, desk.helper)
    page = text(client.get(f"/records/{record.id}"))
    assert 'class="large' in page and "交给" in page and page.count('name="rating"') == 5
    assert "批准" not in page and "冲正" not in page
    assert client.post(f"/records/{record.id}/confirmation", data={"rating": "5"}).status_code == 302
    assert queries.get_record(desk.db, actor=SYSTEM, record_id=record.id).rating == 5
    assert client.get(f"/records/{someone_elses.id}").status_code == 404
    assert client.post(f"/records/{someone_elses.id}/confirmation", data={"rating": "5"}).status_code == 404
    assert client.post(f"/records/{record.id}/approve").status_code == 403
    assert client.get("/records/new").status_code == 403


def test_another_centers_staff_find_nothing(desk):
    record = log(desk.db, desk.teachers[3].id, 5)
    client = signed_in(desk.app, desk.other)
    assert client.get(f"/records/{record.id}").status_code == 404
    assert client.post(f"/records/{record.id}/approve").status_code == 404
    assert client.post(f"/records/{record.id}/reject", data={"reason": "x"}).status_code == 404
    client.post("/records/decide", data={"action": "approve", "record_ids": [str(record.id)]})
    assert queries.get_record(desk.db, actor=SYSTEM, record_id=record.id).status == "pending"
    assert 'name="record_ids"' not in text(client.get("/records/?status=pending"))
    assert str(desk.teachers[0].id) not in re.findall(r'<option value="(\d+)"', text(client.get("/records/new")))


def test_a_pending_list_of_25_records_pages(desk):
    for index in range(25):
        log(desk.db, desk.teachers[index % 5].id, 3 * (index // 5) + 3 + 0.0, hours=1)
    client = signed_in(desk.app, desk.staff)
    first = text(client.get("/records/?status=pending"))
    second = text(client.get("/records/?status=pending&page=2"))
    assert first.count('name="record_ids"') == 20 and second.count('name="record_ids"') == 5
    assert "第 1 页，共 2 页" in first or "共 2 页" in first
    ids = lambda page: set(re.findall(r'name="record_ids" value="(\d+)"', page))  # noqa: E731
    assert not ids(first) & ids(second)
    only = text(client.get(f"/records/?status=pending&volunteer_id={desk.teachers[0].id}"))
    assert only.count('name="record_ids"') == 5


def test_an_admin_chooses_the_center_before_logging(desk):
    client = signed_in(desk.app, desk.admin)
    assert "选择" in text(client.get("/records/new")) and 'name="volunteer_id"' not in text(client.get("/records/new"))
    page = text(client.get("/records/new?center=C001"))
    assert f'value="{desk.teachers[0].id}"' in page
    done = client.post("/records/new?center=C001", data=form(desk.teachers[0].id))
    assert done.status_code == 302
