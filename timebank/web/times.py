"""Times as pages show them. A service may run past midnight (a night's 陪护 from 22:00 to 02:00): its end is then
said to be on the next day, so "22:00–02:00" is never read as a backwards period."""
from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime, to_user_timezone
from flask_babel import gettext as _


def init_app(app) -> None:
    # Globals, not a context processor: macros imported without context can use them too.
    app.jinja_env.globals["end_clock"] = end_clock


def end_clock(started_at: datetime, ended_at: datetime | None) -> str:
    """The clock time of ``ended_at`` in ``TIMEBANK_TIMEZONE`` ("02:00"), as "次日 02:00" ("next day 02:00") when it
    falls on a later day than ``started_at``."""
    if ended_at is None:
        return ""
    clock = format_datetime(ended_at, "HH:mm")
    if to_user_timezone(ended_at).date() > to_user_timezone(started_at).date():
        return _("next day %(time)s", time=clock)
    return clock
