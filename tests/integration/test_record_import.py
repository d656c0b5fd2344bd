"""Importing a paper record book (SPEC §3.2) through its service, on SQLite and PostgreSQL: encodings and formats,
Chinese and English headers, every kind of bad line with its number, all or nothing, and a second import of the
same file creating nothing new."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask_babel import Babel
from openpyxl import Workbook

from timebank.auth.access import Forbidden, Principal
from timebank.centers.services import create_center
from timebank.errors import ValidationFailed
from timebank.hours import queries, services
from timebank.hours.record_import import import_records
from timebank.service_types.services import create_service_type, update_service_type
from timebank.volunteers.services import create_volunteer, set_volunteer_active

SYSTEM = Principal.system("test")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)  # 18:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")
ZH = "志愿者手机号,志愿者姓名,服务类型,日期,开始时间,结束时间,备注\n"
EN = "phone,name,service_type,date,start,end,note\n"


@pytest.fixture(autouse=True)
def babel_context():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


@pytest.fixture
def city(db):
    jk = create_center(db, actor=SYSTEM, code="JK01", name="京口区大市口中心", district="京口区")
    rz = create_center(db, actor=SYSTEM, code="RZ01", name="润州区中心", district="润州区")
    visit = create_service_type(db, actor=SYSTEM, code="visit", name_zh="上门探访", name_en="Home visit",
                                credits_per_hour=150)
    meals = create_service_type(db, actor=SYSTEM, code="meals", name_zh="助餐", credits_per_hour=100)
    wang = create_volunteer(db, actor=SYSTEM, name="王小英", phone="13800000001", home_center="JK01")
    li = create_volunteer(db, actor=SYSTEM, name="李四", phone="13800000002", home_center="JK01")
    zhao = create_volunteer(db, actor=SYSTEM, name="赵六", phone="13800000003", home_center="RZ01")
    staff = Principal(user_id=None, username="staff-jk", role="staff", center_id=jk.id)
    admin = Principal(user_id=None, username="admin", role="admin")
    return type("City", (), dict(jk=jk, rz=rz, visit=visit, meals=meals, wang=wang, li=li, zhao=zhao, staff=staff,
                                 admin=admin))


def run(db, city, data, *, dry_run=False, actor=None):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return import_records(db, actor=actor or city.staff, data=data, dry_run=dry_run, now=NOW, zone=SHANGHAI)


def problems(report):
    return sorted((e.line, e.field, e.code) for e in report.errors)


def records(db):
    return list(queries.list_records(db, actor=SYSTEM, per_page=100).items)


GOOD = ZH + ("13800000001,王小英,visit,2026-11-19,09:00,11:00,陪聊天\n"
             "13800000002,李四,助餐,2026/11/19,11:30,12:30,\n")


def test_a_dry_run_reports_and_creates_nothing(db, city):
    report = run(db, city, GOOD, dry_run=True)
    assert (report.ok, report.created, report.skipped, report.total_lines) == (True, 2, 0, 2)
    assert records(db) == []


def test_the_import_creates_pending_records_at_the_centers_clock(db, city):
    report = run(db, city, GOOD)
    assert (report.ok, report.created, len(report.created_ids)) == (True, 2, 2)
    by_volunteer = {r.volunteer_id: r for r in records(db)}
    wang = by_volunteer[city.wang.id]
    assert (wang.status, wang.source, wang.center, wang.service_type, wang.minutes, wang.note) == \
        ("pending", "import", "JK01", "visit", 120, "陪聊天")
    assert wang.started_at.astimezone(timezone.utc) == datetime(2026, 11, 19, 1, 0, tzinfo=timezone.utc)
    assert by_volunteer[city.li.id].service_type == "meals"  # named by its Chinese name


def test_a_gbk_csv_with_chinese_headers_and_names_is_read(db, city):
    data = (ZH + "13800000001,王小英,上门探访,2026年11月19日,9点,10点30分,送药\n").encode("gbk")
    report = run(db, city, data)
    assert (report.ok, report.created, report.encoding) == (True, 1, "gb18030")
    assert [(r.minutes, r.note) for r in records(db)] == [(90, "送药")]


def test_a_utf8_csv_with_a_bom_and_english_headers_is_read(db, city):
    data = "\ufeff".encode() + (EN + "138 0000 0002,,Home visit,2026-11-19,14:00,15:00,\n").encode()
    report = run(db, city, data)
    assert (report.ok, report.created, report.encoding) == (True, 1, "utf-8-sig")
    assert records(db)[0].volunteer_id == city.li.id


def test_an_xlsx_with_date_and_time_cells_is_read(db, city):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["服务类型", "志愿者编号", "日期", "开始时间", "结束时间", "其他"])
    sheet.append(["visit", city.wang.id, date(2026, 11, 18), time(8, 0), time(9, 45), "x"])
    sheet.append(["meals", city.li.id, datetime(2026, 11, 18), "13:00", "14:00", None])
    out = io.BytesIO()
    workbook.save(out)
    report = run(db, city, out.getvalue())
    assert (report.ok, report.created, report.encoding) == (True, 2, "xlsx"), problems(report)
    assert [w.code for w in report.warnings] == ["unknown_column"]
    assert sorted(r.minutes for r in records(db)) == [60, 105]


def test_every_kind_of_bad_line_is_reported_with_its_line_and_field(db, city):
    set_volunteer_active(db, actor=SYSTEM, volunteer_id=city.li.id, active=False)
    update_service_type(db, actor=SYSTEM, service_type_id=city.meals.id, active=False)
    services.log_record(db, actor=city.staff, volunteer_id=city.wang.id, center="JK01", service_type="visit",
                        started_at=datetime(2026, 11, 10, 1, 0, tzinfo=timezone.utc),
                        ended_at=datetime(2026, 11, 10, 3, 0, tzinfo=timezone.utc), now=NOW)
    data = ZH + "\n".join([
        "13800000001,王小英,visit,2026-11-01,09:00,09:00,",  # 2 the end is not after the start
        "13800000001,王小英,visit,2026-11-02,06:00,19:00,",  # 3 longer than 12 h
        "13800000001,王小英,visit,2026-11-20,17:00,20:00,",  # 4 ends after now (18:00)
        "13900000009,,visit,2026-11-03,09:00,10:00,",  # 5 unknown volunteer
        "13800000002,李四,visit,2026-11-03,09:00,10:00,",  # 6 inactive volunteer
        "13800000001,王小英,meals,2026-11-04,09:00,10:00,",  # 7 inactive type
        "13800000001,王小英,dancing,2026-11-04,11:00,12:00,",  # 8 unknown type
        "13800000001,王小英,visit,2026-11-10,10:00,12:00,",  # 9 overlaps the record logged (09:00–11:00)
        "13800000001,王小英,visit,2026-11-05,09:00,11:00,",  # 10 good
        "13800000001,王小英,visit,2026-11-05,10:30,11:30,",  # 11 overlaps line 10
        "13800000001,王小英,visit,2026-11-05,09:00,11:00,",  # 12 the very line 10 again
        "12345,,visit,2026-11-06,09:00,10:00,",  # 13 not a phone
        ",,visit,2026-11-06,09:00,10:00,",  # 14 no volunteer
        "13800000001,王小英,visit,2026-13-40,9:00,10:00,",  # 15 not a date
        "13800000001,王小英,visit,2026-11-06,25:00,nine,",  # 16 not times
        "13800000001,王小英,,,09:00,10:00,",  # 17 type and date missing
        "13800000003,赵六,visit,2026-11-06,09:00,10:00,",  # 18 another center's volunteer
        "13800000001,李四,visit,2026-11-07,09:00,10:00,",  # 19 the name is not the phone's
        "1.38E+10,,visit,2026-11-07,09:00,10:00,",  # 20 Excel's scientific notation
        "13800000001,王小英,visit,2026-11-08,09:00,10:00," + "长" * 600,  # 21 note too long
    ]) + "\n"
    report = run(db, city, data, dry_run=True)
    assert problems(report) == [
        (2, "end", "end_before_start"), (3, "end", "too_long"), (4, "end", "in_future"),
        (5, "phone", "unknown_volunteer"), (6, "phone", "inactive_volunteer"),
        (7, "service_type", "inactive_service_type"), (8, "service_type", "unknown_service_type"),
        (9, "start", "overlaps_record"), (11, "start", "overlaps_line"), (12, "start", "duplicate_line"),
        (13, "phone", "bad_phone"), (14, "phone", "missing_volunteer"), (15, "date", "bad_date"),
        (16, "end", "bad_time"), (16, "start", "bad_time"),
        (17, "date", "missing_value"), (17, "service_type", "missing_value"),
        (18, "phone", "unknown_volunteer"), (19, "name", "name_mismatch"),
        (20, "phone", "phone_in_scientific_notation"), (21, "note", "bad_note")]
    messages = {e.line: e.message for e in report.errors}
    assert "line 10" in messages[11] and "13900000009" in messages[5] and "12 hours" in messages[3]
    assert "2026-11-10 09:00" in messages[9]  # the record's times on the center's clock


def test_one_bad_line_and_nothing_is_imported(db, city):
    report = run(db, city, GOOD + "13800000001,王小英,visit,2026-11-19,12:00,12:00,\n")
    assert (report.ok, report.created, problems(report)) == (False, 0, [(4, "end", "end_before_start")])
    assert records(db) == []


def test_a_line_ending_earlier_than_it_starts_ends_the_next_day_as_on_the_staff_form(db, city):
    night = "13800000001,王小英,visit,2026-11-18,22:00,02:00,夜间陪护\n"
    data = ZH + night + ("13800000001,王小英,visit,2026-11-19,01:30,03:00,\n"  # 3 overlaps the night of line 2
                         "13800000002,李四,visit,2026-11-18,22:00,11:00,\n")  # 4 until 11:00 the next day: 13 h
    report = run(db, city, data, dry_run=True)
    assert problems(report) == [(3, "start", "overlaps_line"), (4, "end", "overnight_too_long")]
    too_long = report.errors[1]
    assert "next day at 11:00" in too_long.reason and "12 hours" in too_long.reason
    report = run(db, city, ZH + night)
    assert (report.ok, report.created) == (True, 1)
    [record] = records(db)
    assert (record.started_at.astimezone(SHANGHAI), record.ended_at.astimezone(SHANGHAI), record.minutes) == (
        datetime(2026, 11, 18, 22, 0, tzinfo=SHANGHAI), datetime(2026, 11, 19, 2, 0, tzinfo=SHANGHAI), 240)
    assert run(db, city, ZH + night).skipped == 1  # the same night again is the same line


def test_importing_the_same_file_again_creates_nothing_new(db, city):
    assert run(db, city, GOOD).created == 2
    again = run(db, city, GOOD)
    assert (again.ok, again.created, again.skipped) == (True, 0, 2)
    grown = run(db, city, GOOD + "13800000001,王小英,visit,2026-11-18,09:00,10:00,\n")
    assert (grown.ok, grown.created, grown.skipped) == (True, 1, 2)
    assert len(records(db)) == 3


def test_staff_import_only_into_their_own_center(db, city):
    data = "服务中心," + ZH + ("RZ01,13800000001,王小英,visit,2026-11-19,09:00,10:00,\n"
                              "JK01,13800000002,,visit,2026-11-19,09:00,10:00,\n")
    report = run(db, city, data, dry_run=True)
    assert problems(report) == [(2, "center", "unknown_center")]


def test_an_admin_names_the_center_on_every_line(db, city):
    assert problems(run(db, city, GOOD, actor=city.admin)) == [(1, "center", "missing_column")]
    data = "center," + EN + ("RZ01,13800000003,,visit,2026-11-19,09:00,10:00,\n"
                             ",13800000001,,visit,2026-11-19,09:00,10:00,\n"
                             "XX99,13800000001,,visit,2026-11-19,09:00,10:00,\n")
    report = run(db, city, data, actor=city.admin, dry_run=True)
    assert problems(report) == [(3, "center", "missing_value"), (4, "center", "unknown_center")]
    ok = run(db, city, data.rsplit("\n", 3)[0] + "\n", actor=city.admin)
    assert (ok.created, [r.center for r in records(db)]) == (1, ["RZ01"])


def test_a_file_without_a_volunteer_column_is_refused_at_its_header(db, city):
    report = run(db, city, "服务类型,日期,开始时间,结束时间\nvisit,2026-11-19,09:00,10:00\n", dry_run=True)
    assert problems(report) == [(1, "phone", "missing_column")]


@pytest.mark.parametrize("data", [b"", b"   \n", b"\x00\x01\x02binary\xff\xfe\x00" * 50,
                                  b"\x89PNG\r\n\x1a\n" + bytes(300)])
def test_a_file_that_is_no_sheet_is_refused_naming_the_file(db, city, data):
    with pytest.raises(ValidationFailed) as refused:
        run(db, city, data, dry_run=True)
    assert "file" in refused.value.fields


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_unpacked(db, city):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    with pytest.raises(ValidationFailed) as refused:
        run(db, city, out.getvalue(), dry_run=True)
    assert "file" in refused.value.fields


def test_a_hundred_thousand_lines_are_refused_as_too_many(db, city):
    line = "13800000001,,visit,2026-11-19,09:00,10:00,\n"
    report = run(db, city, ZH + line * 100_000, dry_run=True)
    assert [(e.line, e.code) for e in report.errors if e.code == "too_many_lines"] == [(10_002, "too_many_lines")]
    assert records(db) == []


def test_a_volunteer_cannot_import(db, city):
    with pytest.raises(Forbidden):
        run(db, city, GOOD, actor=Principal(user_id=None, username="v", role="volunteer", volunteer_id=city.wang.id))


def test_a_touching_line_is_no_overlap(db, city):
    data = ZH + "13800000001,,visit,2026-11-19,09:00,10:00,\n13800000001,,visit,2026-11-19,10:00,11:00,\n"
    assert run(db, city, data).created == 2
