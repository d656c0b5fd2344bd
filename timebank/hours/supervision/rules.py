"""What counts as an anomaly (SPEC §3.3), in words and in numbers, and the one bit of calendar arithmetic the
database needs: which local day a moment falls on. Pure: no database, no Flask beyond lazy translations."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

OVER_8H_DAY = "over_8h_day"
LATE_ENTRY = "late_entry"
SELF_APPROVAL = "self_approval"
TWO_CENTERS_AT_ONCE = "two_centers_at_once"
MISSING_CHECK_OUT = "missing_check_out"
KINDS = (OVER_8H_DAY, LATE_ENTRY, SELF_APPROVAL, TWO_CENTERS_AT_ONCE, MISSING_CHECK_OUT)

KIND_WORDS = {
    OVER_8H_DAY: _l("More than 8 hours in one day"),
    LATE_ENTRY: _l("Entered too late"),
    SELF_APPROVAL: _l("Approved by the person who entered it"),
    TWO_CENTERS_AT_ONCE: _l("At two centers at once"),
    MISSING_CHECK_OUT: _l("No check-out"),
}

# Records that still stand: a rejected record earned nothing and a reversed one was taken back, so neither adds
# to a day's hours or makes a volunteer be in two places.
STANDING = ("pending", "approved")
# An approval that happened, even if the record was reversed later.
APPROVED_ONCE = ("approved", "reversed")
# The paper record books imported after the fact are late by nature; flagging every line would hide real late entry.
NOT_LATE_BY_NATURE = ("staff", "activity", "check_in", "request")

# The span of time the local-day offsets are worked out for; records outside it use the nearest known offset.
_EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)
_HORIZON = timedelta(days=3 * 366)


def offset_periods(zone_name: str, *, until: datetime) -> tuple[tuple[datetime | None, int], ...]:
    """The zone's UTC offsets in minutes from 1990 to ``until`` (plus a margin), as ``(since, minutes)`` pairs in time
    order, the first with ``since=None``. Lets a database without time zones (SQLite) find a moment's local day with
    one CASE expression; a zone without daylight saving time (Asia/Shanghai) is a single pair."""
    end = (until.astimezone(timezone.utc) + _HORIZON).replace(hour=0, minute=0, second=0, microsecond=0)
    return _offset_periods(zone_name, end.year)


@lru_cache(maxsize=16)
def _offset_periods(zone_name: str, end_year: int) -> tuple[tuple[datetime | None, int], ...]:
    zone = ZoneInfo(zone_name)
    end = datetime(end_year + 1, 1, 1, tzinfo=timezone.utc)

    def offset(moment: datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds() // 60)

    periods: list[tuple[datetime | None, int]] = [(None, offset(_EARLIEST))]
    step, moment = timedelta(hours=6), _EARLIEST
    while moment < end:
        following = moment + step
        if offset(following) != periods[-1][1]:
            low, high = moment, following  # the change is in (low, high]: halve down to the minute
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if offset(middle) == periods[-1][1]:
                    low = middle
                else:
                    high = middle
            periods.append((high.replace(second=0, microsecond=0), offset(following)))
        moment = following
    return tuple(periods)


def local_day(moment: datetime, zone_name: str) -> str:
    """The local calendar day of a moment, as the database's day expression writes it (``YYYY-MM-DD``)."""
    return moment.astimezone(ZoneInfo(zone_name)).date().isoformat()
