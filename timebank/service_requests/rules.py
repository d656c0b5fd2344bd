"""What a service request may be. Pure: plain values in, a value or problems by field out; every limit is defined
here once and used by the tables, the services and the schemas."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from timebank.text import one_line

RESIDENT_MAX = 40  # a name or a label ("3号楼 张奶奶"): as little personal data as will do
PLACE_MAX = 200
NOTE_MAX = 500
REASON_MAX = 500
NEEDED_MIN, NEEDED_MAX = 1, 20
# A request is a time window of one visit or one class, not a standing order.
MAX_WINDOW = timedelta(hours=12)

REQUEST_STATUSES = ("open", "claimed", "completed", "cancelled")
# Statuses in which volunteers may still claim (while places are left) and staff may cancel.
LIVE_STATUSES = ("open", "claimed")

normalize_resident = one_line(RESIDENT_MAX)
normalize_place = one_line(PLACE_MAX)
normalize_note = one_line(NOTE_MAX)
normalize_reason = one_line(REASON_MAX)


def check_window(starts_at: datetime, ends_at: datetime) -> dict[str, object]:
    """The problems of a request's time window, by field (empty when it is good)."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        return {"starts_at": _l("Please give the time with its offset, such as +08:00.")}
    if ends_at <= starts_at:
        return {"ends_at": _l("The end must be after the start.")}
    if ends_at - starts_at > MAX_WINDOW:
        return {"ends_at": _l("A service request is at most %(hours)s hours long.",
                              hours=int(MAX_WINDOW.total_seconds() // 3600))}
    return {}


def check_needed(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not NEEDED_MIN <= value <= NEEDED_MAX:
        raise ValueError(_l("A request needs from %(low)s to %(high)s volunteers.", low=NEEDED_MIN, high=NEEDED_MAX))
    return value


def places_left(needed: int, claimed: int) -> int:
    return max(0, needed - claimed)


def status_after_claim(claimed: int) -> str:
    """A request with at least one volunteer is ``claimed`` (it may still have places left for more)."""
    return "claimed" if claimed > 0 else "open"
