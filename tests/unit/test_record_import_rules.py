"""How a paper record book's dates, times and overlaps are read, without a database."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from timebank.hours.import_rules import Period, import_key, local_moment, overlaps_within, parse_date, parse_time


@pytest.mark.parametrize("text", ["2024-03-05", "2024/3/5", "2024.03.05", "2024年3月5日", "２０２４－０３－０５",
                                  "20240305", "2024-03-05 00:00"])
def test_a_date_as_people_and_spreadsheets_write_it(text):
    assert parse_date(text) == date(2024, 3, 5)


@pytest.mark.parametrize("text", ["2024-02-30", "3/5/2024", "昨天", "2024-13-01", ""])
def test_what_is_not_a_date_is_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize("text, expected", [
    ("9:00", time(9)), ("09:30", time(9, 30)), ("14:05:00", time(14, 5)), ("9点", time(9)), ("9点30分", time(9, 30)),
    ("9时30", time(9, 30)), ("下午2:30", time(14, 30)), ("上午11:00", time(11)), ("2:30 pm", time(14, 30)),
    ("0930", time(9, 30)), ("0.375", time(9)), ("14：30", time(14, 30)), ("2024-03-05 09:15", time(9, 15))])
def test_a_time_as_people_and_spreadsheets_write_it(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["9", "25:00", "9:75", "nine", "", "1.5"])
def test_what_is_not_a_time_is_refused(text):
    with pytest.raises(ValueError):
        parse_time(text)


def test_the_centers_clock_is_turned_into_utc():
    moment = local_moment(date(2024, 3, 5), time(9), ZoneInfo("Asia/Shanghai"))
    assert moment == datetime(2024, 3, 5, 1, 0, tzinfo=timezone.utc)


def test_the_fingerprint_depends_on_the_service_not_on_how_its_time_is_written():
    start = datetime(2024, 3, 5, 1, tzinfo=timezone.utc)
    end = datetime(2024, 3, 5, 3, tzinfo=timezone.utc)
    key = import_key(center_id=1, volunteer_id=2, service_type_id=3, started_at=start, ended_at=end)
    same = import_key(center_id=1, volunteer_id=2, service_type_id=3,
                      started_at=start.astimezone(ZoneInfo("Asia/Shanghai")), ended_at=end)
    other = import_key(center_id=1, volunteer_id=2, service_type_id=4, started_at=start, ended_at=end)
    assert key == same != other and len(key) == 64


def at(hour: float) -> datetime:
    return datetime(2024, 3, 5, int(hour), int(hour % 1 * 60), tzinfo=timezone.utc)


def test_overlaps_within_a_file_name_the_line_they_overlap():
    periods = [Period(2, 1, at(9), at(12)), Period(3, 1, at(10), at(10.5)), Period(4, 1, at(11), at(13)),
               Period(5, 1, at(13), at(14)), Period(6, 2, at(9), at(12))]
    # 3 and 4 fall inside line 2's long period; 5 only touches 4; another volunteer's time is their own
    assert overlaps_within(periods) == {3: 2, 4: 2}
