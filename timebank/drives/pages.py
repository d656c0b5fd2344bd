"""What the drives' pages share beside their views: times typed and shown in ``TIMEBANK_TIMEZONE``, names in the
page's language, the words for a drive's phase and a reservation's status, and a reservation's refusals said to the
volunteer in plain words (the services' sentences speak of "the volunteer", for staff and API callers)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from timebank.catalog.photos import photo_path
from timebank.errors import DomainError, render_message
from timebank.ledger.rules import format_credits
from timebank.receipts.rules import display_short_code
from timebank.web.i18n import current_language

PHASE_NAMES = {
    "upcoming": _l("Not open yet"),
    "open": _l("Taking reservations"),
    "pickup": _l("Pickup only"),
    "over": _l("Over"),
}
# A reservation's status as its volunteer reads it.
STATUS_NAMES = {
    "held": _l("To collect"),
    "fulfilled": _l("Collected"),
    "cancelled": _l("Cancelled"),
    "voided": _l("Not collected in time"),
}
# The refusals of a reservation, to the volunteer who made it (their parameters are the services' own).
VOLUNTEER_REFUSALS = {
    "insufficient_credits": _l("These goods cost %(total)s credits, and you have %(available)s credits to spend. "
                               "Please choose fewer."),
    "out_of_stock": _l("Sorry, only %(left)s of %(item)s are left at %(center)s. Please choose fewer, or another "
                       "pickup center."),
    "limit_exceeded": _l("Each person may have at most %(limit)s of %(item)s in this drive, and you have reserved "
                         "%(already)s already."),
    "drive_closed": _l("This drive takes reservations from %(opens)s until %(closes)s."),
}
SOLD_OUT = _l("Sorry, %(item)s is sold out at %(center)s. Please choose another item or another pickup center.")


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Shanghai")


def local_time(moment: datetime | None, pattern: str = "yyyy-MM-dd HH:mm") -> str:
    return "" if moment is None else format_datetime(moment, pattern)


def local_input(moment: datetime | None) -> str:
    """A moment as a ``datetime-local`` input's value, in the city's time."""
    return "" if moment is None else moment.astimezone(local_zone()).strftime("%Y-%m-%dT%H:%M")


def aware(text: str | None) -> str | None:
    """A ``datetime-local`` value (the city's time, no offset) as an ISO time with the offset, for the schemas;
    anything else is passed on for the schema to refuse with its own message."""
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_zone())
    return moment.isoformat()


def item_name(thing) -> str:
    """An item's (or a line's, a stock entry's) name in the page's language."""
    return thing.name_en if current_language() == "en" and thing.name_en else thing.name_zh


def to_volunteer(error: DomainError) -> str:
    """A reservation's refusal as its volunteer reads it: the four drive refusals in plain words, any other in the
    service's own sentence."""
    if error.code == "out_of_stock" and str(error.params.get("left")) == "0":
        return render_message(SOLD_OUT, error.params)
    message = VOLUNTEER_REFUSALS.get(error.code)
    if message is None or (error.code == "drive_closed" and "closes" not in error.params):
        return error.text()
    return render_message(message, error.params)


def page_helpers() -> dict:
    return {
        "credits": format_credits,
        "local_time": local_time,
        "item_name": item_name,
        "phase_name": lambda phase: PHASE_NAMES.get(phase, phase),
        "status_name": lambda status: STATUS_NAMES.get(status, status),
        "short_code": lambda code: display_short_code(code) if code else "",
        "photo_path": photo_path,
    }
