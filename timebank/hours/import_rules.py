"""How the lines of a paper record book, typed into a sheet, are read (SPEC §3.2): dates and times as people write
them, the line's fingerprint, and overlaps between lines of one file. Pure: plain values in, values or
``ValueError`` out; no database, no Flask.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timezone, tzinfo

# 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305; an XLSX date cell arrives as 2024-03-05 (a time after it
# when the cell held one: it is ignored here, the start and end columns say the times).
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
# 9:00, 09:30:00, 9点, 9点30分, 9时30, 0930, 下午2:30; a cell holding a date and a time gives its time.
_TIME = re.compile(r"(?:(上午|早上|中午|下午|晚上)\s*)?(\d{1,2})\s*(?:[:：时点]\s*(\d{1,2})?\s*分?(?:\s*[:：]\s*(\d{1,2})"
                   r"(?:\.\d+)?)?)?\s*(am|pm)?")
_COMPACT_TIME = re.compile(r"(\d{2})(\d{2})")
_AFTERNOON = ("中午", "下午", "晚上", "pm")


def parse_date(text: str) -> date:
    """The day of a line, as a person or a spreadsheet wrote it."""
    value = unicodedata.normalize("NFKC", text).strip()
    match = _DATE.fullmatch(value) or _COMPACT_DATE.fullmatch(value)
    if match is None:
        raise ValueError(value)
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))  # ValueError for 2024-02-30


def parse_time(text: str) -> time:
    """A time of day: 9:00, 14:30, 9点30分, 下午2:30, or Excel's fraction of a day (0.375 is 9:00)."""
    value = unicodedata.normalize("NFKC", text).strip().lower()
    if " " in value and _DATE.fullmatch(value):  # "2024-03-05 09:00": a date-and-time cell
        value = value.split(" ", 1)[1].strip()
    if re.fullmatch(r"0?\.\d+", value):
        minutes = round(float(value) * 24 * 60)
        if minutes >= 24 * 60:
            raise ValueError(text)
        return time(minutes // 60, minutes % 60)
    compact = _COMPACT_TIME.fullmatch(value)
    if compact is not None:
        return time(int(compact.group(1)), int(compact.group(2)))
    match = _TIME.fullmatch(value)
    if match is None or (match.group(3) is None and match.group(1) is None and match.group(5) is None
                         and not re.search(r"[:：时点]", value)):
        raise ValueError(text)  # a bare "9" is not a time: it may be a duration or a typo
    period, hour, minute, second = match.group(1) or match.group(5), int(match.group(2)), match.group(3), \
        match.group(4)
    if period in _AFTERNOON and hour < 12:
        hour += 12
    elif period in ("am",) and hour == 12:
        hour = 0
    return time(hour, int(minute or 0), int(second or 0))  # ValueError for 25:00 or 9:75


def local_moment(day: date, at: time, zone: tzinfo) -> datetime:
    """The moment, in UTC, that a day and time of the center's clock (``TIMEBANK_TIMEZONE``) name."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(timezone.utc)


def import_key(*, center_id: int, volunteer_id: int, service_type_id: int, started_at: datetime,
               ended_at: datetime) -> str:
    """The fingerprint of an imported line (64 hex characters): the same service imported twice has the same one,
    whatever file, note or spelling it came in."""
    text = "|".join(("service-record-import-v1", str(center_id), str(volunteer_id), str(service_type_id),
                     started_at.astimezone(timezone.utc).isoformat(), ended_at.astimezone(timezone.utc).isoformat()))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Period:
    line: int
    volunteer_id: int
    started_at: datetime
    ended_at: datetime


def overlaps_within(periods: list[Period]) -> dict[int, int]:
    """``{line: earlier line}`` for every line whose period overlaps another of the same volunteer in the file
    (touching ends do not); the line named is the one with the overlapping period that started first."""
    found: dict[int, int] = {}
    by_volunteer: dict[int, list[Period]] = {}
    for period in periods:
        by_volunteer.setdefault(period.volunteer_id, []).append(period)
    for own in by_volunteer.values():
        own.sort(key=lambda p: (p.started_at, p.line))
        reaching = own[0]  # of the periods so far, the one that ends last
        for period in own[1:]:
            if period.started_at < reaching.ended_at:
                found[period.line] = reaching.line
            if period.ended_at > reaching.ended_at:
                reaching = period
    return found
