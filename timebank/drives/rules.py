"""What a drive (兑换活动) and a reservation may be (SPEC §3.4). Pure: plain values in, values or problems out; every
limit is defined here once and used by the tables, the services and the schemas."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from timebank.text import one_line

NAME_MAX = 80
MAX_STOCK = 1_000_000  # of one item at one center
MAX_LIMIT = 999  # a volunteer's limit of one item in one drive
MAX_QUANTITY = 99  # of one item on one reservation line
MAX_LINES = 50  # lines of one reservation
MAX_CENTERS = 1_000  # centers taking part in one drive (a city has about 500)
MAX_ENTRIES = 10_000  # stock entries (item × center) of one drive

RESERVATION_STATUSES = ("held", "fulfilled", "cancelled", "voided")
# A reservation that counts against the volunteer's limit and the stock: held, or handed over.
COUNTING_STATUSES = ("held", "fulfilled")
# Where a drive is in its life, by the clock: before opens_at, taking reservations, only picking up, over.
PHASES = ("upcoming", "open", "pickup", "over")

normalize_drive_name = one_line(NAME_MAX)

WINDOW_MESSAGES = {
    "closes_before_opening": _l("A drive closes after it opens."),
    "pickup_before_closing": _l("Pickup ends when the drive closes or later."),
    "naive": _l("Please give the time with its offset, such as +08:00."),
    "closed_already": _l("A new drive must close later than now: this one could take no reservations."),
}


def window_problems(opens_at: datetime, closes_at: datetime, pickup_until: datetime) -> dict[str, str]:
    """The problems of a drive's times, by field, as codes of ``WINDOW_MESSAGES`` (empty when they are good)."""
    for name, moment in (("opens_at", opens_at), ("closes_at", closes_at), ("pickup_until", pickup_until)):
        if moment.tzinfo is None:
            return {name: "naive"}
    problems = {}
    if closes_at <= opens_at:
        problems["closes_at"] = "closes_before_opening"
    if pickup_until < closes_at:
        problems["pickup_until"] = "pickup_before_closing"
    return problems


def new_drive_problems(closes_at: datetime, now: datetime) -> dict[str, str]:
    """What is wrong with setting up a drive now that closes at ``closes_at`` (a year mistyped, say): it would be
    over before anyone could reserve."""
    return {"closes_at": "closed_already"} if closes_at <= now else {}


def phase(opens_at: datetime, closes_at: datetime, pickup_until: datetime, now: datetime) -> str:
    if now < opens_at:
        return "upcoming"
    if now < closes_at:
        return "open"
    if now < pickup_until:
        return "pickup"
    return "over"


def takes_reservations(opens_at: datetime, closes_at: datetime, now: datetime) -> bool:
    """A volunteer may reserve from ``opens_at`` until (not at) ``closes_at``."""
    return opens_at <= now < closes_at


def hands_over(opens_at: datetime, pickup_until: datetime, now: datetime) -> bool:
    """The desk hands goods over (a voucher redeemed, a walk-up) from ``opens_at`` until (not at) ``pickup_until``."""
    return opens_at <= now < pickup_until


def line_amount(price: int, quantity: int) -> int:
    """What a line costs, in hundredths of a credit."""
    if price < 0 or quantity < 0:
        raise ValueError("price and quantity are not negative")
    return price * quantity


def over_limit(limit: int | None, already: int, wanted: int) -> bool:
    """Would ``wanted`` more, on top of ``already`` held or handed over, pass the volunteer's limit (``None``: none)?"""
    return limit is not None and already + wanted > limit


def duplicates(values) -> list:
    """The values that appear more than once, in the order they first repeat."""
    seen, repeated = set(), []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated
