"""What the service records' pages share beside their views: the words for a record's status, source and rating,
the service period typed as a day and two clock times (an end earlier than the start is the next day's: a night's
陪护 from 22:00 to 02:00), and where a service's refusal is shown on the form."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields

from timebank.clock import utcnow
from timebank.hours import rules
from timebank.schemas import Schema

from timebank.errors import DomainError, render_message
from timebank.ledger.rules import format_credits
from timebank.receipts.rules import display_short_code
from timebank.web.forms import FORM_ERROR, FormState
from timebank.web.i18n import current_language

STATUS_NAMES = {
    "pending": _l("Pending"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "reversed": _l("Reversed"),
}
SOURCE_NAMES = {
    "staff": _l("Entered by staff"),
    "activity": _l("Group activity"),
    "check_in": _l("Check-in by scanning"),
    "import": _l("Imported from a paper record book"),
    "request": _l("From a service request"),
}
# What each star means to the resident who presses it.
RATING_WORDS = {
    1: _l("Very unsatisfied"),
    2: _l("Unsatisfied"),
    3: _l("Acceptable"),
    4: _l("Satisfied"),
    5: _l("Very satisfied"),
}

# The services name the period's fields as the API does; the form has a day and two clock times.
FORM_FIELD_OF = {"started_at": "start", "ended_at": "end"}


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Shanghai")


def local_period(data: dict) -> tuple[datetime, datetime]:
    """The form's day and clock times as aware moments in ``TIMEBANK_TIMEZONE`` (what the services take). The day
    is the one the service began on; an end earlier than the start is on the next day (``rules.ends_next_day``)."""
    zone = local_zone()
    day, start, end = data.pop("date"), data.pop("start"), data.pop("end")
    end_day = day + timedelta(days=1) if rules.ends_next_day(start, end) else day
    return datetime.combine(day, start, tzinfo=zone), datetime.combine(end_day, end, tzinfo=zone)


def local_period_problems(started_at: datetime, ended_at: datetime) -> dict[str, list[str]]:
    """The problems of a period read by ``local_period``, by form field: the rules the service applies (end after
    start, at most 12 hours, not in the future), and for an end read as the next day's, a refusal that says so."""
    overnight = ended_at.date() > started_at.date()
    found = rules.period_problems(started_at, ended_at, now=utcnow(), overnight=overnight)
    return {FORM_FIELD_OF[name]: [render_message(rules.PERIOD_MESSAGES[code],
                                                 {"end": ended_at.strftime("%H:%M"), "hours": rules.MAX_MINUTES // 60})]
            for name, code in found.items()}


def period_problems(values: dict) -> dict[str, list[str]]:
    """The period's own problems when the rest of the form was refused, so that one submission reports every bad
    field: the rule the service applies, on what was typed."""
    try:
        loaded = _PeriodOnly().load({name: values[name] for name in ("date", "start", "end") if name in values})
    except ValidationError:
        return {}
    return local_period_problems(*local_period(loaded))


class _PeriodOnly(Schema):
    date = fields.Date(required=True)
    start = fields.Time(required=True)
    end = fields.Time(required=True)


def refuse_beside_fields(state: FormState, error: Exception, *, volunteer_field: str) -> None:
    """Show a refusal beside the field it is about: the period's problems beside the clock times, an overlap (which
    names the other record's times) beside the volunteer it is about."""
    state.refuse(error)
    if isinstance(error, ValidationError):
        for name, messages in period_problems(state.values).items():
            state.errors.setdefault(name, messages)
    moved: dict[str, list[str]] = {}
    for name, messages in state.errors.items():
        if isinstance(error, DomainError) and error.code == "overlap" and name == FORM_ERROR:
            name = volunteer_field
        moved.setdefault(FORM_FIELD_OF.get(name, name), []).extend(messages)
    state.errors = moved


def page_helpers() -> dict:
    """What the hours templates use to show a record in words."""
    return {
        "status_name": lambda status: STATUS_NAMES.get(status, status),
        "source_name": lambda source: SOURCE_NAMES.get(source, source),
        "rating_words": RATING_WORDS,
        "credits_text": lambda amount: "—" if amount is None else format_credits(amount),
        "service_type_name": service_type_name,
        "duration_text": duration_text,
        "short_code_text": lambda code: display_short_code(code) if code else "",
    }


def service_type_name(record) -> str:
    return localized(record.service_type_name_zh, record.service_type_name_en)


def localized(name_zh: str, name_en: str | None) -> str:
    """A name kept in both languages, in the page's (the Chinese one when there is no English one)."""
    return name_en if current_language() == "en" and name_en else name_zh


def duration_text(minutes: int) -> str:
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return str(_l("%(minutes)s min", minutes=rest))
    if not rest:
        return str(_l("%(hours)s h", hours=hours))
    return str(_l("%(hours)s h %(minutes)s min", hours=hours, minutes=rest))
