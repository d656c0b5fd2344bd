"""The pure rules of review periods: which two months a moment falls in, what a period is called, the aspects a
supervisor scores, the small-count rule of the published figures, an anomaly's stable key, and keeping names out
of published comments. No database, no Flask beyond lazy translations."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

OPEN, CLOSED = "open", "closed"
STATUSES = (OPEN, CLOSED)
PERIODS_PER_YEAR = 6
SAMPLE_SIZE = 10
# Fewer people than this and a figure is not published: with two volunteers, "hours served" is one person's hours.
SMALL_COUNT = 5
SCORE_MIN, SCORE_MAX = 1, 5
COMMENT_MAX = 1000
NOTE_MAX = 1000
ANOMALY_KEY_MAX = 200

PUNCTUALITY, SERVICE_QUALITY, RECORD_KEEPING, SATISFACTION = ("punctuality", "service_quality", "record_keeping",
                                                              "satisfaction")
ASPECTS = (PUNCTUALITY, SERVICE_QUALITY, RECORD_KEEPING, SATISFACTION)
ASPECT_WORDS = {
    PUNCTUALITY: _l("Punctuality"),
    SERVICE_QUALITY: _l("Service quality"),
    RECORD_KEEPING: _l("Record keeping"),
    SATISFACTION: _l("Residents' satisfaction"),
}
STATUS_WORDS = {OPEN: _l("Open for evaluation"), CLOSED: _l("Closed and published")}
# What a name becomes in a published comment.
NAME_MASK = "＊＊"


@dataclass(frozen=True)
class PeriodSpan:
    year: int
    number: int  # 1: January–February … 6: November–December
    starts_at: datetime  # UTC, inclusive
    ends_at: datetime  # UTC, exclusive

    @property
    def first_month(self) -> int:
        return 2 * self.number - 1


def period_of(moment: datetime, zone: str) -> PeriodSpan:
    """The two months (on the city's clock) that ``moment`` falls in."""
    local = moment.astimezone(ZoneInfo(zone))
    return period_span(local.year, (local.month + 1) // 2, zone)


def period_span(year: int, number: int, zone: str) -> PeriodSpan:
    if not 1 <= number <= PERIODS_PER_YEAR:
        raise ValueError(f"a period's number is 1 to {PERIODS_PER_YEAR}")
    tz = ZoneInfo(zone)
    first = 2 * number - 1
    start = datetime(year, first, 1, tzinfo=tz)
    end = datetime(year + 1, 1, 1, tzinfo=tz) if number == PERIODS_PER_YEAR else datetime(year, first + 2, 1,
                                                                                           tzinfo=tz)
    return PeriodSpan(year, number, start.astimezone(timezone.utc), end.astimezone(timezone.utc))


def period_label(year: int, number: int, *, chinese: bool) -> str:
    """"2026年11–12月" or "Nov–Dec 2026"."""
    first = 2 * number - 1
    if chinese:
        return f"{year}年{first}–{first + 1}月"
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{months[first - 1]}–{months[first]} {year}"


def last_day(span: PeriodSpan, zone: str) -> date:
    """The period's last local day (its end is the next period's first moment)."""
    return date.fromordinal(span.ends_at.astimezone(ZoneInfo(zone)).date().toordinal() - 1)


def check_score(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not SCORE_MIN <= value <= SCORE_MAX:
        raise ValueError(_l("A score is a whole number from %(low)s to %(high)s.", low=SCORE_MIN, high=SCORE_MAX))
    return value


def shown_if_enough(value, people: int):
    """The small-count rule: a figure about fewer than ``SMALL_COUNT`` people is withheld (``None``)."""
    return value if people >= SMALL_COUNT else None


def anomaly_key(kind: str, record_ids, *, volunteer_id: int | None = None, day: str | None = None) -> str:
    """What recognises an anomaly again: a long day is its volunteer's day (more records may join it); any other
    anomaly is its kind and its records."""
    if kind == "over_8h_day" and volunteer_id is not None and day:
        return f"{kind}:{volunteer_id}:{day}"[:ANOMALY_KEY_MAX]
    return f"{kind}:{'-'.join(str(i) for i in sorted(record_ids))}"[:ANOMALY_KEY_MAX]


def without_names(text: str | None, names) -> str | None:
    """``text`` with every one of ``names`` (of two characters or more) masked: a published comment names nobody,
    even when its supervisor wrote a name (or a phone number). Longest names first, so "王小英" is not left as
    "＊＊英"."""
    if not text:
        return text
    wanted = sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True)
    for start in range(0, len(wanted), 500):  # bounded patterns
        pattern = "|".join(re.escape(n) for n in wanted[start:start + 500])
        if pattern:
            text = re.sub(pattern, NAME_MASK, text)
    return re.sub(r"\d{7,}", NAME_MASK, text)  # a phone or an id number names someone too
