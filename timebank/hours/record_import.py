"""Importing the paper record books centers kept before (SPEC §3.2): a CSV or XLSX sheet of service records.

The columns (header in Chinese or English, in any order): the volunteer by 志愿者手机号/phone or 志愿者编号/volunteer_id
(and, to catch a mistyped phone, optionally 志愿者姓名/name), 服务类型/service_type (its code or its Chinese or English
name), 日期/date, 开始时间/start, 结束时间/end, and optionally 备注/note. Times are the center's clock
(``TIMEBANK_TIMEZONE``); the date is the day the service began, and an end earlier than the start is on the next day,
as on the staff's form (a night's 陪护 from 22:00 to 02:00). The center is the importer's own for staff; an admin's
file names it in 服务中心/center.

A dry run reports every bad line (its number, the column, a stable code and the reason in the reader's language) and
changes nothing: the rules every record obeys (end after start, at most 12 hours, not in the future, the volunteer and
the service type active, no overlap with another record of the volunteer or with another line of the file). The real
import checks it all again in the unit of work that creates the records, through ``services.insert_records``, and
creates nothing unless every line is good. Each line's fingerprint (``import_rules.import_key``) is stored with its
record: a line imported before is counted as skipped, so importing the same file again creates nothing new.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.auth.access import Principal
from timebank.centers.rules import normalize_center_code
from timebank.centers.services import centers_by_code
from timebank.clock import utcnow
from timebank.db import Database
from timebank.hours import import_rules, rules
from timebank.hours.import_format import FORMAT, PENDING_KIND
from timebank.hours.models import ServiceRecord
from timebank.hours.permissions import IMPORT_HOURS
from timebank.hours.services import NewRecord, insert_records, may_see_volunteer
from timebank.service_types.services import every_service_type
from timebank.spreadsheets.lines import LineError, missing_value, read_lines
from timebank.spreadsheets.pending import hold_file, take_file
from timebank.spreadsheets.reading import read_sheet, shown
from timebank.volunteers.rules import normalize_phone
from timebank.volunteers.services import volunteers_by_id, volunteers_by_phone

SR = ServiceRecord.__table__
_PERIOD_FIELDS = {"started_at": "start", "ended_at": "end"}


@dataclass(frozen=True)
class RecordImportReport:
    dry_run: bool
    total_lines: int  # data lines: the header and blank lines not counted
    created: int  # records created (in a dry run: the good new lines, that would be once every line is good)
    skipped: int  # lines imported before (the same center, volunteer, type, start and end)
    errors: tuple[LineError, ...] = ()
    warnings: tuple[LineError, ...] = ()
    encoding: str = "utf-8"
    lines_in_file: int = 0
    created_ids: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_lines(self) -> int:
        return len({error.line for error in self.errors})


@dataclass
class _Line:
    """A data line as far as it could be read: a value that broke its rule is ``None``."""

    line: int
    phone: str | None = None
    volunteer_number: int | None = None
    name: str = ""
    center_text: str = ""  # as written: empty means the importer's own center
    center_code: str | None = None
    service_type: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    note: str | None = None
    bad: bool = False


def import_records(db: Database, *, actor: Principal, data: bytes, dry_run: bool, now: datetime | None = None,
                   zone: tzinfo | None = None) -> RecordImportReport:
    """Check every line; unless ``dry_run`` and only if every line is good, create the pending records at once."""
    IMPORT_HOURS.require(actor)
    now, zone = now or utcnow(), zone or center_clock()
    sheet = read_sheet(data)  # any bytes: a sheet, or ValidationFailed naming the file
    return db.transaction(lambda s: _import(s, actor, sheet, dry_run=dry_run, now=now, zone=zone), readonly=dry_run)


def hold_for_confirmation(db: Database, *, actor: Principal, data: bytes) -> str:
    """Keep a checked file for its importer's confirmation (the page's second step); the id the form carries."""
    IMPORT_HOURS.require(actor)
    return db.transaction(lambda s: hold_file(s, actor=actor, kind=PENDING_KIND, data=data, now=utcnow()))


def import_pending(db: Database, *, actor: Principal, pending_id: str, now: datetime | None = None,
                   zone: tzinfo | None = None) -> RecordImportReport:
    """Import the held file, checked all over again, in the unit of work that also drops it (used once)."""
    IMPORT_HOURS.require(actor)
    now, zone = now or utcnow(), zone or center_clock()

    def work(s: Session) -> RecordImportReport:
        data = take_file(s, actor=actor, kind=PENDING_KIND, pending_id=pending_id, now=utcnow())
        return _import(s, actor, read_sheet(data), dry_run=False, now=now, zone=zone)

    return db.transaction(work)


def center_clock() -> tzinfo:
    name = current_app.config.get("TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or "Asia/Shanghai")


def needs_center_column(actor: Principal) -> bool:
    """Staff import into their own center; whoever sees several centers says which on every line."""
    return actor.role != "staff"


def _import(s: Session, actor: Principal, sheet, *, dry_run: bool, now: datetime, zone: tzinfo) -> RecordImportReport:
    read = read_lines(sheet, FORMAT)
    errors = list(read.errors)
    lines: list[_Line] = []
    if not errors:
        _require_columns(read.columns, actor, errors)
    if not errors:
        lines = [_parse(line.line, line.values, errors, now=now, zone=zone) for line in read.lines]
    records, keys = _check_against_database(s, actor, lines, errors)
    already = _imported_before(s, list(keys.values()))
    skipped = sum(1 for line in keys if keys[line] in already)
    records = {line: record for line, record in records.items() if keys[line] not in already}
    _check_overlaps(s, records, errors)
    errors.sort(key=lambda e: (e.line, FORMAT.columns.index(e.field) if e.field in FORMAT.columns else -1))
    report = dict(dry_run=dry_run, total_lines=len(read.lines) + (read.broken_line is not None), skipped=skipped,
                  errors=tuple(errors), warnings=tuple(read.warnings), encoding=read.encoding,
                  lines_in_file=read.lines_in_file)
    if errors or dry_run:
        # a dry run counts the good new lines even when others are bad: what the file brings once corrected
        return RecordImportReport(created=len(records) if dry_run else 0, **report)
    ids = insert_records(s, actor=actor, records=[records[line] for line in sorted(records)], now=now,
                         home_center_only=True, field="file") if records else []
    return RecordImportReport(created=len(ids), created_ids=tuple(ids), **report)


def _require_columns(columns: list, actor: Principal, errors: list[LineError]) -> None:
    if "phone" not in columns and "volunteer_id" not in columns:
        errors.append(FORMAT.error(1, "missing_column", "phone", column="phone", label=FORMAT.headers_zh["phone"]))
    if needs_center_column(actor) and "center" not in columns:
        errors.append(FORMAT.error(1, "missing_column", "center", column="center", label=FORMAT.headers_zh["center"]))


def _parse(number: int, values: dict[str, str], errors: list[LineError], *, now: datetime, zone: tzinfo) -> _Line:
    """One line's values by their rules; pure but for the errors it appends."""
    before = len(errors)
    line = _Line(number, name=values["name"], center_text=values["center"], service_type=values["service_type"])
    if values["phone"]:
        try:
            line.phone = normalize_phone(values["phone"])
        except ValueError:
            code = "phone_in_scientific_notation" if "E+" in values["phone"].upper() else "bad_phone"
            errors.append(FORMAT.error(number, code, "phone", value=shown(values["phone"])))
    elif values["volunteer_id"]:
        text = values["volunteer_id"].strip().lstrip("#")
        if text.isdigit() and 0 < int(text) < 2 ** 63:
            line.volunteer_number = int(text)
        else:
            errors.append(FORMAT.error(number, "bad_volunteer_id", "volunteer_id", value=shown(values["volunteer_id"])))
    else:
        errors.append(FORMAT.error(number, "missing_volunteer", "phone"))
    if values["center"]:
        try:
            line.center_code = normalize_center_code(values["center"])
        except ValueError:
            errors.append(FORMAT.error(number, "bad_center", "center", value=shown(values["center"])))
    if not line.service_type:
        errors.append(missing_value(FORMAT, number, "service_type"))
    day = _value(errors, number, "date", import_rules.parse_date, values["date"], "bad_date")
    start = _value(errors, number, "start", import_rules.parse_time, values["start"], "bad_time")
    end = _value(errors, number, "end", import_rules.parse_time, values["end"], "bad_time")
    if day is not None and start is not None and end is not None:
        overnight = rules.ends_next_day(start, end)
        line.started_at = import_rules.local_moment(day, start, zone)
        line.ended_at = import_rules.local_moment(day + timedelta(days=1) if overnight else day, end, zone)
        for field, code in rules.period_problems(line.started_at, line.ended_at, now=now, overnight=overnight).items():
            errors.append(FORMAT.error(number, code, _PERIOD_FIELDS[field], hours=rules.MAX_MINUTES // 60,
                                       end=end.strftime("%H:%M")))
    if values["note"]:
        try:
            line.note = rules.normalize_note(values["note"])
        except ValueError:
            errors.append(FORMAT.error(number, "bad_note", "note", max=rules.NOTE_MAX))
    line.bad = len(errors) > before
    return line


def _value(errors: list[LineError], number: int, column: str, rule, text: str, code: str):
    if not text:
        errors.append(missing_value(FORMAT, number, column))
        return None
    try:
        return rule(text)
    except ValueError:
        errors.append(FORMAT.error(number, code, column, value=shown(text)))
        return None


def _check_against_database(s: Session, actor: Principal, lines: list[_Line], errors: list[LineError]):
    """Resolve each line's center, volunteer and service type. Returns ``({line: NewRecord}, {line: import key})``
    for the lines that are good so far."""
    own_center = None if needs_center_column(actor) else actor.center_id
    centers = centers_by_code(s, [line.center_code for line in lines if line.center_code])
    by_phone = volunteers_by_phone(s, [line.phone for line in lines if line.phone])
    by_id = volunteers_by_id(s, [line.volunteer_number for line in lines if line.volunteer_number])
    types = _service_types_by_name(s)
    records, keys = {}, {}
    for line in lines:
        center_id = _center(line, centers, actor, own_center, errors)
        volunteer = _volunteer(line, by_phone, by_id, actor, errors)
        service_type = _service_type(line, types, errors)
        if line.bad or center_id is None or volunteer is None or service_type is None:
            continue
        keys[line.line] = import_rules.import_key(center_id=center_id, volunteer_id=volunteer.id,
                                                  service_type_id=service_type.id, started_at=line.started_at,
                                                  ended_at=line.ended_at)
        records[line.line] = NewRecord(volunteer_id=volunteer.id, center_id=center_id,
                                       service_type_id=service_type.id, started_at=line.started_at,
                                       ended_at=line.ended_at, note=line.note, source="import",
                                       import_key=keys[line.line])
    first_line_of_key: dict[str, int] = {}
    for number in sorted(keys):
        earlier = first_line_of_key.setdefault(keys[number], number)
        if earlier != number:  # the very same service twice in one file: the copy is the mistake
            errors.append(FORMAT.error(number, "duplicate_line", "start", line=earlier))
            del records[number], keys[number]
    return records, keys


def _center(line: _Line, centers: dict, actor: Principal, own_center: int | None, errors: list) -> int | None:
    if line.center_text and line.center_code is None:
        return None  # not a center code: said already
    if line.center_code is None:
        if own_center is None:
            errors.append(missing_value(FORMAT, line.line, "center"))
        return own_center
    center = centers.get(line.center_code)
    if center is None or not actor.can_see_center(center.id) or (own_center is not None and center.id != own_center):
        errors.append(FORMAT.error(line.line, "unknown_center", "center", code=line.center_code))
        return None
    if not center.active:
        errors.append(FORMAT.error(line.line, "inactive_center", "center", code=center.code))
        return None
    return center.id


def _volunteer(line: _Line, by_phone: dict, by_id: dict, actor: Principal, errors: list):
    if line.phone is None and line.volunteer_number is None:
        return None
    field, given = ("phone", line.phone) if line.phone else ("volunteer_id", line.volunteer_number)
    volunteer = by_phone.get(line.phone) if line.phone else by_id.get(line.volunteer_number)
    if volunteer is None or not may_see_volunteer(actor, volunteer):  # out of sight is "no such volunteer"
        errors.append(FORMAT.error(line.line, "unknown_volunteer", field, value=given))
        return None
    if line.name and line.name.replace(" ", "") != volunteer.name.replace(" ", ""):
        errors.append(FORMAT.error(line.line, "name_mismatch", "name", value=given, name=volunteer.name,
                                   written=shown(line.name)))
        return None
    if not volunteer.active:
        errors.append(FORMAT.error(line.line, "inactive_volunteer", field, name=volunteer.name))
        return None
    return volunteer


def _service_types_by_name(s: Session) -> dict[str, object]:
    """Each service type under its code, its Chinese name and its English name, compared without case or spaces."""
    found: dict[str, object] = {}
    for row in every_service_type(s):
        for name in (row.name_en, row.name_zh, row.code):  # the code last: it wins a clash with a name
            if name:
                found[_compact(name)] = row
    return found


def _compact(text: str) -> str:
    return "".join(text.split()).casefold()


def _service_type(line: _Line, types: dict, errors: list):
    if not line.service_type:
        return None
    row = types.get(_compact(line.service_type))
    if row is None:
        errors.append(FORMAT.error(line.line, "unknown_service_type", "service_type",
                                   value=shown(line.service_type)))
        return None
    if not row.active:
        errors.append(FORMAT.error(line.line, "inactive_service_type", "service_type", name=row.name_zh))
        return None
    return row


def _imported_before(s: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(s.execute(select(SR.c.import_key).where(SR.c.import_key.in_(keys[start:start + 500]))).scalars())
    return found


def _check_overlaps(s: Session, records: dict[int, NewRecord], errors: list[LineError]) -> None:
    """A line overlapping another line of the file, or a record the volunteer already has (at any center)."""
    periods = [import_rules.Period(line, r.volunteer_id, r.started_at, r.ended_at) for line, r in records.items()]
    for line, earlier in import_rules.overlaps_within(periods).items():
        errors.append(FORMAT.error(line, "overlaps_line", "start", line=earlier))
    if not records:
        return
    existing: dict[int, list] = {}
    volunteer_ids = sorted({r.volunteer_id for r in records.values()})
    first = min(r.started_at for r in records.values())
    last = max(r.ended_at for r in records.values())
    for start in range(0, len(volunteer_ids), 500):
        for row in s.execute(select(SR.c.id, SR.c.volunteer_id, SR.c.started_at, SR.c.ended_at).where(
                SR.c.volunteer_id.in_(volunteer_ids[start:start + 500]), SR.c.status.in_(rules.OCCUPYING_STATUSES),
                SR.c.started_at < last, SR.c.ended_at > first)):
            existing.setdefault(row.volunteer_id, []).append(row)
    for line, record in sorted(records.items()):
        for row in existing.get(record.volunteer_id, ()):
            if rules.overlaps(record.started_at, record.ended_at, _aware(row.started_at), _aware(row.ended_at)):
                errors.append(FORMAT.error(line, "overlaps_record", "start", id=row.id,
                                           start=_local_text(row.started_at), end=_local_text(row.ended_at)))
                break


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _local_text(moment: datetime) -> str:
    return _aware(moment).astimezone(center_clock()).strftime("%Y-%m-%d %H:%M")
