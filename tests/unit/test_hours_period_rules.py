"""The period rules of a service record (SPEC §3.2) where it is typed as clock times: an end earlier than the start
ran past midnight, and a night too long is said to be one."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest

from timebank.hours import rules

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
NIGHT = datetime(2026, 11, 18, 14, 0, tzinfo=timezone.utc)  # 22:00 in Shanghai


@pytest.mark.parametrize("start, end, next_day", [
    (time(22, 0), time(2, 0), True),
    (time(23, 59), time(0, 0), True),
    (time(9, 0), time(11, 30), False),
    (time(9, 0), time(9, 0), False),  # no service at all, not 24 hours
])
def test_an_end_earlier_than_the_start_is_on_the_next_day(start, end, next_day):
    assert rules.ends_next_day(start, end) is next_day


@pytest.mark.parametrize("hours, overnight, problem", [
    (4, True, None),
    (12, True, None),
    (13, True, "overnight_too_long"),
    (13, False, "too_long"),
    (0, True, "end_before_start"),
])
def test_a_night_is_held_to_the_same_12_hours_and_a_refusal_says_it_was_read_as_one(hours, overnight, problem):
    found = rules.period_problems(NIGHT, NIGHT + timedelta(hours=hours), now=NOW, overnight=overnight)
    assert found.get("ended_at") == problem
