"""The notices' pure rules: which window a lot falls in, and the words of the message a volunteer receives.

Two windows, the more urgent first: a lot expiring within 7 days gets the 7-day notice; one expiring in 7 to 30 days
the 30-day notice. A lot first seen inside 7 days (a run missed, a short validity) gets only the 7-day one: two
messages about one lot on one day would say the same thing twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from timebank.ledger.rules import format_credits

WITHIN_7_DAYS = "expiring_7d"
WITHIN_30_DAYS = "expiring_30d"
KINDS = (WITHIN_30_DAYS, WITHIN_7_DAYS)
CHANNELS = ("sms", "wechat")
DEFAULT_CHANNEL = "sms"
TEXT_MAX = 500

# The message as a volunteer's phone shows it, in Chinese, the volunteers' language. The pages say the same sentence
# in the reader's language (``timebank.notices.display``; a test holds the two Chinese versions together).
SENDER = "【时间银行】"
MESSAGES = {
    WITHIN_30_DAYS: "您有 {amount} 时间币将于 {date} 到期，请在兑换活动中使用。",
    WITHIN_7_DAYS: "您有 {amount} 时间币将于 {date} 到期，只剩几天了，请尽快在兑换活动中使用。",
}


@dataclass(frozen=True)
class Window:
    kind: str
    after: datetime  # a lot expiring later than this…
    until: datetime  # …and no later than this is in the window


def windows(now: datetime) -> tuple[Window, ...]:
    """The two windows at ``now``, the more urgent first; they do not overlap."""
    week, month = now + timedelta(days=7), now + timedelta(days=30)
    return Window(WITHIN_7_DAYS, now, week), Window(WITHIN_30_DAYS, week, month)


def local_day(moment: datetime, zone: str) -> date:
    """The day ``moment`` falls on in ``zone`` (the city's clock, ``TIMEBANK_TIMEZONE``)."""
    return moment.astimezone(ZoneInfo(zone)).date()


def chinese_date(day: date) -> str:
    """2027-01-05 → "2027年1月5日", as people write it."""
    return f"{day.year}年{day.month}月{day.day}日"


def message_text(kind: str, *, amount: int, expires_at: datetime, zone: str) -> str:
    """What the volunteer receives: "【时间银行】您有 12.50 时间币将于 2027年1月5日 到期，请在兑换活动中使用。"."""
    return SENDER + MESSAGES[kind].format(amount=format_credits(amount),
                                          date=chinese_date(local_day(expires_at, zone)))
