"""Pure rules of a service certificate: the period it covers, what it shows of a person, its figures and the
fingerprint that says two certificates certify the same thing. No database, no Flask request."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

# How long a certificate's receipt verifies: an employer or a school may check it years later (the signing key is
# kept for verification until then; SPEC §5).
RECEIPT_VALIDITY = timedelta(days=5 * 366)
ID_CARD_LENGTH = 18  # a resident ID card number; only its last four characters are ever stored
EARLIEST_DAY = date(2000, 1, 1)  # no time bank record is older; an earlier date is a typing mistake


@dataclass(frozen=True)
class Period:
    """The days a certificate covers, both ends included, on the city's clock; ``None``: from the first record, or
    up to the day it is issued."""

    start: date | None = None
    end: date | None = None


def check_period(start: date | None, end: date | None, *, today: date) -> dict[str, object]:
    """``{field: message}`` for what is wrong with a requested period (empty when it is good)."""
    problems: dict[str, object] = {}
    for field, day in (("from", start), ("to", end)):
        if day is not None and day < EARLIEST_DAY:
            problems[field] = _l("Please give a date from %(day)s on.", day=EARLIEST_DAY.isoformat())
        elif day is not None and day > today:
            problems[field] = _l("Please give a date that is not in the future.")
    if "from" not in problems and "to" not in problems and start and end and end < start:
        problems["to"] = _l("The end of the period is before its start.")
    return problems


def utc_bounds(period: Period, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """The period as UTC instants: from its first day's midnight (included) to the midnight after its last day
    (excluded), midnights of ``zone``."""
    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)

    return (midnight(period.start) if period.start else None,
            midnight(period.end + timedelta(days=1)) if period.end else None)


@dataclass(frozen=True)
class ServiceLine:
    """The service of one service type (服务内容)."""

    code: str
    name_zh: str
    name_en: str
    records: int
    minutes: int


@dataclass(frozen=True)
class YearLine:
    year: int
    records: int
    minutes: int


@dataclass(frozen=True)
class Figures:
    by_service_type: tuple[ServiceLine, ...]  # most hours first
    by_year: tuple[YearLine, ...]  # oldest first
    records: int
    minutes: int
    first_day: date | None  # the first and last days served (None: no approved service in the period)
    last_day: date | None


@dataclass(frozen=True)
class ServedRow:
    started_at: datetime
    minutes: int
    code: str
    name_zh: str
    name_en: str


def summarize(rows: Iterable[ServedRow], zone: ZoneInfo) -> Figures:
    """Each approved record counted once per service type and once in the year it started, on the city's clock."""
    types: dict[str, list] = {}
    years: dict[int, list[int]] = {}
    days: list[date] = []
    for row in rows:
        day = row.started_at.astimezone(zone).date()
        days.append(day)
        line = types.setdefault(row.code, [row.name_zh, row.name_en, 0, 0])
        line[2] += 1
        line[3] += row.minutes
        year = years.setdefault(day.year, [0, 0])
        year[0] += 1
        year[1] += row.minutes
    by_type = sorted((ServiceLine(code, *values) for code, values in types.items()),
                     key=lambda line: (-line.minutes, line.code))
    by_year = tuple(YearLine(year, *values) for year, values in sorted(years.items()))
    return Figures(by_service_type=tuple(by_type), by_year=by_year, records=len(days),
                   minutes=sum(line.minutes for line in by_type), first_day=min(days, default=None),
                   last_day=max(days, default=None))


def mask_phone(phone: str) -> str:
    """13805291234 → 138****1234: enough for the volunteer to recognise, too little to call."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_card(tail: str | None) -> str | None:
    """The ID card number as the certificate prints it: only the last four characters are kept, the rest starred."""
    if not tail:
        return None
    return "*" * (ID_CARD_LENGTH - len(tail)) + tail


def hours_text(minutes: int) -> str:
    """Service time in hours, the unit the national rules use: 90 → "1.5", 120 → "2", 80 → "1.33"."""
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


def fingerprint(*, volunteer: dict, center_id: int, period: Period, figures: Figures) -> str:
    """Two certificates with the same fingerprint certify the same thing: the same person as registered, issuer,
    period and figures."""
    content = {"volunteer": volunteer, "center": center_id,
               "period": [period.start.isoformat() if period.start else None,
                          period.end.isoformat() if period.end else None],
               "figures": figures_content(figures)}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def figures_content(figures: Figures) -> dict:
    """The figures as plain JSON values (what the certificate's row keeps of what it certified)."""
    content = asdict(figures)
    for key in ("first_day", "last_day"):
        content[key] = content[key].isoformat() if content[key] else None
    content["by_service_type"] = [dict(line) for line in content["by_service_type"]]
    content["by_year"] = [dict(line) for line in content["by_year"]]
    return content
