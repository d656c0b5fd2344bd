"""The reports' pure rules: which reports there are, the period a request names (local days of the city's clock,
as UTC moments), the windows of credits expiring soon, and the credit arithmetic of the tables."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

HOURS, LIABILITY, DRIVE = "hours", "liability", "drive"
NAMES = (HOURS, LIABILITY, DRIVE)
FORMATS = ("json", "csv", "xlsx")
TITLES = {
    HOURS: _l("Hours and credits"),
    LIABILITY: _l("Credits outstanding"),
    DRIVE: _l("Drive pickups"),
}
DESCRIPTIONS = {
    HOURS: _l("Approved hours and the credits they earned, per center, service type and month."),
    LIABILITY: _l("The credits volunteers hold (what the time bank owes), what expires in the next 30 and 90 days, "
                  "and the goods of the coming drive priced in credits."),
    DRIVE: _l("A drive's reservations per center: picked up, not picked up in time, cancelled, still held."),
}
# "Expiring within": cumulative windows, in days from now (the 90-day figure holds the 30-day one).
EXPIRY_WINDOWS = (30, 90)
FIRST_YEAR, LAST_YEAR = 2000, 2100
PERIOD_MESSAGES = {
    "to_before_from": _l("The last day must not be before the first day."),
    "too_far": _l("Please choose a date between the years %(first)s and %(last)s.", first=FIRST_YEAR,
                  last=LAST_YEAR),
}


@dataclass(frozen=True)
class Period:
    """Local days ``first``..``last`` (both included, either open), as the UTC moments ``[starts, ends)``."""

    first: date | None
    last: date | None
    starts: datetime | None
    ends: datetime | None


def period(first: date | None, last: date | None, zone: str) -> Period:
    """The days of the city's clock from ``first`` to ``last`` (both included); ``ValueError`` with a field's
    problem code (``PERIOD_MESSAGES``) as ``(field, code)`` when they make no period."""
    for name, day in (("from", first), ("to", last)):
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError(name, "too_far")
    if first is not None and last is not None and last < first:
        raise ValueError("to", "to_before_from")
    tz = ZoneInfo(zone)
    starts = datetime.combine(first, time(), tz) if first else None
    ends = datetime.combine(last + timedelta(days=1), time(), tz) if last else None
    return Period(first, last, starts, ends)


def expiry_horizons(now: datetime) -> tuple[datetime, ...]:
    return tuple(now + timedelta(days=days) for days in EXPIRY_WINDOWS)


def hours_text(minutes: int) -> str:
    """Minutes as hours with two decimals, rounded half up: 90 → "1.50", 20 → "0.33"."""
    hundredths = (minutes * 100 * 2 + 60) // 120
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def twelve_months_back(today: date) -> tuple[date, date]:
    """The page's default period: the first day of the month eleven months ago, to today."""
    month = today.month - 11
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, 1), today
