"""How a notice reads on a page, in the reader's language: the same sentence the volunteer's phone received
(``rules.MESSAGES``), with the date written out as people write it ("2027年1月5日", "January 5, 2027")."""
from __future__ import annotations

from datetime import datetime

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from timebank.ledger.rules import format_credits
from timebank.notices.rules import WITHIN_7_DAYS, WITHIN_30_DAYS

SENTENCES = {
    WITHIN_30_DAYS: _l("You have %(amount)s credits that expire on %(date)s. Please use them at an exchange drive."),
    WITHIN_7_DAYS: _l("You have %(amount)s credits that expire on %(date)s, only a few days from now. Please use "
                      "them soon at an exchange drive."),
}


def long_day(moment: datetime) -> str:
    """The day of ``moment`` on the city's clock, written out (Flask-Babel turns it to ``TIMEBANK_TIMEZONE``)."""
    return format_date(moment, "long")


def unbroken_day(written: str) -> Markup | str:
    """A Chinese date breaks, if it must, only after its year: "2026年 / 12月22日", never "2026 / 年12月22日" as a
    narrow phone would break it. Other languages break between words already."""
    year, sep, rest = written.partition("年")
    if not sep:
        return written
    return Markup('<span class="no-break">{}年</span><span class="no-break">{}</span>').format(year, rest)


def notice_day(moment: datetime) -> Markup | str:
    return unbroken_day(long_day(moment))


def notice_sentence(kind: str, amount: int, expires_at: datetime) -> Markup:
    return Markup(escape(str(SENTENCES[kind]))) % {"amount": format_credits(amount),
                                                   "date": notice_day(expires_at)}
