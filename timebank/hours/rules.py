"""What a service record may be (SPEC §3.2) and what it earns (§3.3). Pure: plain values in, values or ``ValueError``
with a sentence out; every limit is defined here once and used by the table, the services, the import and the schemas.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from timebank.text import one_line

MAX_MINUTES = 12 * 60  # SPEC §3.2: no record longer than 12 hours
NOTE_MAX = 500
REASON_MAX = 500
COMMENT_MAX = 500
RATING_MIN, RATING_MAX = 1, 5
# A record entered this long after the service ended is an anomaly (``late_entry``).
LATE_ENTRY_AFTER = timedelta(days=7)
# A volunteer serving more than this in one day is an anomaly (``over_8h_day``).
DAY_MINUTES_ANOMALY = 8 * 60
# Time a clock may run ahead of the server's without the record being "in the future".
CLOCK_SKEW = timedelta(minutes=5)

RECORD_STATUSES = ("pending", "approved", "rejected", "reversed")
# Records that hold their volunteer's time: two of these may not overlap.
OCCUPYING_STATUSES = ("pending", "approved")
RECORD_SOURCES = ("staff", "activity", "check_in", "import", "request")

normalize_note = one_line(NOTE_MAX)
normalize_reason = one_line(REASON_MAX)
normalize_comment = one_line(COMMENT_MAX)


PERIOD_MESSAGES = {
    "end_before_start": _l("The end must be after the start."),
    "too_long": _l("A service record is at most %(hours)s hours long.", hours=MAX_MINUTES // 60),
    "in_future": _l("A service cannot be recorded before it has ended."),
    # A period typed as clock times whose end, earlier than its start, was read as the next day's: say so, since it
    # is most often a typo. Its ``%(end)s`` (the clock time) is filled in by whoever read the times.
    "overnight_too_long": _l("The end time is earlier than the start, so the service is taken to end the next day "
                             "at %(end)s: that is longer than the %(hours)s hours a service record may last."),
}


def ends_next_day(start: time, end: time) -> bool:
    """A service written as a day and two clock times whose end is earlier than its start ran past midnight (a
    night's 陪护 from 22:00 to 02:00): it ends on the next day. An end equal to the start is no service, not 24 h."""
    return end < start


def period_problems(started_at: datetime, ended_at: datetime, *, now: datetime,
                    overnight: bool = False) -> dict[str, str]:
    """The problems of an aware service period, by field, as codes of ``PERIOD_MESSAGES`` (empty when it is good):
    end after start, at most 12 hours, not in the future. ``overnight``: its end was read as the next day's
    (``ends_next_day``), which a period too long is then said to be."""
    problems: dict[str, str] = {}
    if ended_at <= started_at:
        problems["ended_at"] = "end_before_start"
    elif ended_at - started_at > timedelta(minutes=MAX_MINUTES):
        problems["ended_at"] = "overnight_too_long" if overnight else "too_long"
    if ended_at > now + CLOCK_SKEW:
        problems["ended_at" if "ended_at" not in problems else "started_at"] = "in_future"
    return problems


def check_period(started_at: datetime, ended_at: datetime, *, now: datetime) -> dict[str, object]:
    """The problems of a service period, by field, as sentences (empty when it is good)."""
    if started_at.tzinfo is None or ended_at.tzinfo is None:
        return {"started_at": _l("Please give the time with its offset, such as +08:00.")}
    return {field: PERIOD_MESSAGES[code] for field, code in period_problems(started_at, ended_at, now=now).items()}


def minutes_between(started_at: datetime, ended_at: datetime) -> int:
    return int((ended_at - started_at).total_seconds() // 60)


def credits_for(minutes: int, credits_per_hour: int) -> int:
    """minutes × credits-per-hour ÷ 60, rounded down to 0.01 (amounts are hundredths)."""
    if minutes < 0 or credits_per_hour < 0:
        raise ValueError("minutes and rate are not negative")
    return minutes * credits_per_hour // 60


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Two periods share time (touching ends do not)."""
    return a_start < b_end and b_start < a_end


def check_rating(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not RATING_MIN <= value <= RATING_MAX:
        raise ValueError(_l("A rating is a whole number from %(low)s to %(high)s.", low=RATING_MIN, high=RATING_MAX))
    return value
