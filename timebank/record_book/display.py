"""How the record book's figures read on a page: credits, dates, hours, and one plain sentence per kind of entry."""
from __future__ import annotations

from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l

from timebank.ledger.rules import format_credits
from timebank.receipts.rules import display_short_code

# What happened, in words an older volunteer understands (a hold is "reserved", a timeout "not collected").
WHAT = {
    "mint": _l("Service approved, credits earned"),
    "reversal": _l("Credits taken back (the record was corrected)"),
    "pending": _l("Credits reserved for an exchange"),
    "post": _l("Credits spent on goods"),
    "void": _l("Reservation cancelled, credits returned"),
    "timeout": _l("Reservation not collected, credits returned"),
    "expire": _l("Credits expired"),
}
RECORD_STATUS = {
    "pending": _l("Waiting for approval"),
    "approved": _l("Approved"),
    "rejected": _l("Not approved"),
    "reversed": _l("Corrected (credits taken back)"),
}


def credits(amount: int | None) -> str:
    return "" if amount is None else format_credits(amount)


def signed(amount: int) -> str:
    return ("+" if amount > 0 else "") + format_credits(amount) if amount else "0.00"


def day(moment) -> str:
    return format_datetime(moment, "yyyy-MM-dd")


def when(moment) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm")


def hours(minutes: int) -> str:
    """90 → "1.5", 120 → "2", 45 → "0.75": how people say a length of service."""
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


def service_name(record) -> str:
    english = str(get_locale() or "").startswith("en")
    return (record.service_type_name_en or record.service_type_name_zh) if english else record.service_type_name_zh


HELPERS = dict(credits=credits, signed=signed, day=day, when=when, hours=hours, service_name=service_name,
               what=WHAT, record_status=RECORD_STATUS, short_code=display_short_code)
