"""How the drives' refusals name times and statuses: in the reader's language and ``TIMEBANK_TIMEZONE``, chosen when
the sentence is rendered (an API answer in its caller's language, a page in its own)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

STATUS_NAMES = {
    "held": _l("reserved, not yet picked up"),
    "fulfilled": _l("picked up"),
    "cancelled": _l("cancelled before pickup"),
    "voided": _l("voided: not picked up in time"),
}


def local_time(moment: datetime) -> LazyString:
    return LazyString(lambda: format_datetime(moment, "yyyy-MM-dd HH:mm"))


def status_name(status: str):
    return STATUS_NAMES.get(status, status)
