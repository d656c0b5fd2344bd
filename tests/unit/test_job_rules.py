"""The jobs' pure rules: schedules as operators write them, when a missed run is caught up, the lock keys."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from timebank.jobs.registry import JOBS
from timebank.jobs.rules import advisory_lock_key, parse_schedule

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc


@pytest.fixture(autouse=True)
def babel_context():
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).resolve().parents[2] / "timebank" / "translations")
    Babel(app)
    with app.test_request_context():
        yield


@pytest.mark.parametrize("text, interval", [("every 5m", timedelta(minutes=5)), ("every 30s", timedelta(seconds=30)),
                                            ("Every  2H", timedelta(hours=2)), ("every 1d", timedelta(days=1))])
def test_an_interval_is_every_n_seconds_minutes_hours_or_days(text, interval):
    schedule = parse_schedule(text)
    assert schedule.interval == interval and not schedule.off
    assert schedule.trigger(SHANGHAI).interval == interval


def test_a_crontab_line_fires_in_the_configured_time_zone():
    schedule = parse_schedule("10 0 * * *")
    # 00:10 in Shanghai is 16:10 UTC the day before.
    after = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert schedule.next_after(after, SHANGHAI) == datetime(2026, 12, 1, 16, 10, tzinfo=UTC)
    assert schedule.trigger(SHANGHAI).get_next_fire_time(None, after) == datetime(2026, 12, 1, 16, 10, tzinfo=UTC)


@pytest.mark.parametrize("text", ["off", "OFF", " off "])
def test_off_means_not_scheduled(text):
    schedule = parse_schedule(text)
    assert schedule.off
    assert not schedule.missed(None, datetime(2026, 12, 1, tzinfo=UTC), SHANGHAI)


@pytest.mark.parametrize("text, says", [
    ("daily", "not a schedule"), ("every 0m", "from 1 second"), ("every 401d", "400 days"), ("every 5 weeks", "not"),
    ("61 0 * * *", "not a valid crontab"), ("0 3 * * 0", "as a name"), ("0 3 * * 1-5", "as a name"), ("* * * *", "five"),
])
def test_a_schedule_that_cannot_be_read_is_refused_saying_why(text, says):
    with pytest.raises(ValueError, match=says):
        parse_schedule(text)


def test_a_day_of_the_week_is_written_as_a_name():
    schedule = parse_schedule("0 3 * * sun")
    # 2026-12-06 is a Sunday: 03:00 in Shanghai is 19:00 UTC on Saturday the 5th.
    assert schedule.next_after(datetime(2026, 12, 1, tzinfo=UTC), SHANGHAI) == datetime(2026, 12, 5, 19, tzinfo=UTC)


def test_a_daily_job_down_for_400_days_is_caught_up_at_start_and_not_again():
    schedule = parse_schedule("10 0 * * *")
    last = datetime(2025, 10, 27, 16, 10, 2, tzinfo=UTC)
    now = last + timedelta(days=400)
    assert schedule.missed(last, now, SHANGHAI)
    assert schedule.missed(None, now, SHANGHAI)  # never succeeded: due at once
    assert not schedule.missed(now, now + timedelta(hours=23), SHANGHAI)  # caught up: the next is tomorrow
    assert schedule.missed(now, now + timedelta(hours=24), SHANGHAI)


def test_an_interval_job_is_missed_once_its_interval_passed():
    schedule = parse_schedule("every 5m")
    last = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert not schedule.missed(last, last + timedelta(minutes=4, seconds=59), SHANGHAI)
    assert schedule.missed(last, last + timedelta(minutes=5), SHANGHAI)


def test_a_monthly_period_is_the_length_of_the_month():
    schedule = parse_schedule("0 3 1 * *")
    assert schedule.period(datetime(2027, 1, 15, tzinfo=UTC), SHANGHAI) == timedelta(days=28)  # Feb 1 → Mar 1
    assert schedule.period(datetime(2026, 12, 15, tzinfo=UTC), SHANGHAI) == timedelta(days=31)


@pytest.mark.parametrize("text, zh, en", [
    ("10 0 * * *", "每天 00:10", "Daily at 00:10"), ("0 3 1 * *", "每月 1 日 03:00", "Monthly on day 1 at 03:00"),
    ("every 5m", "每 5 分钟", "Every 5 minutes"), ("every 1h", "每小时", "Every hour"), ("off", "不自动运行", "Not scheduled"),
    ("*/15 8-18 * * mon-fri", "按计划 */15 8-18 * * mon-fri", "On the schedule */15 8-18 * * mon-fri"),
])
def test_a_schedule_is_described_in_both_languages(text, zh, en):
    schedule = parse_schedule(text)
    with force_locale("zh_CN"):
        assert str(schedule.describe()) == zh
    with force_locale("en"):
        assert str(schedule.describe()) == en


def test_every_default_schedule_can_be_read_and_every_job_has_its_own_lock():
    for job in JOBS:
        assert not parse_schedule(job.default_schedule).off, job.name
    keys = {advisory_lock_key(job.name) for job in JOBS}
    assert len(keys) == len(JOBS)
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert [job.setting for job in JOBS] == ["EXPIRE_CREDITS_SCHEDULE", "VOID_STALE_HOLDS_SCHEDULE",
                                             "EXPIRY_NOTICES_SCHEDULE", "ROTATE_KEYS_SCHEDULE"]
