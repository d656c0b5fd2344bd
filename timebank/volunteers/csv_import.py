"""Importing volunteers from the spreadsheet a center already keeps (CSV or XLSX).

The columns: name, phone, home center code, and optionally the ID card's last four characters and the birth year;
headers in Chinese or English (姓名,手机号,服务中心,身份证后四位,出生年份 / name,phone,center,id_card_tail,birth_year),
in any order. Any other column (备注 …) is ignored, with a warning. A CSV file may be UTF-8 (with or without the BOM
Excel writes), GB18030/GBK (what Excel on a Chinese Windows saves as "CSV") or UTF-16 (Excel's "Unicode text",
tab-separated); ``spreadsheet`` reads the bytes.

A dry run reports every bad line with its line number and reason and changes nothing. The real import runs the same
checks in the transaction that creates the volunteers, and creates nothing unless every line is good. A line whose
phone is already registered with the same name and center is skipped, so importing the same file again creates no
duplicates. A phone registered where the importer cannot see is answered as "cannot be registered here", never as
"registered at another center": an import must not tell staff which numbers other centers hold.

Every message has a stable ``code`` and its parameters; its sentence is written once below with ``lazy_gettext`` and
shown in the reader's language (``LineError.message``), or in English (``LineError.reason``, the shell's and the
API's stable text).
"""
from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass, field as dataclass_field, replace
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from timebank.audit.services import record, record_many
from timebank.auth.access import Forbidden, Principal
from timebank.centers.rules import normalize_center_code
from timebank.centers.services import centers_by_code
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import NotFound
from timebank.ledger.accounts import name_volunteer_accounts, open_volunteer_accounts
from timebank.volunteers.models import PendingImport, Volunteer
from timebank.volunteers.permissions import IMPORT_VOLUNTEERS
from timebank.volunteers.spreadsheet import template_csv, template_xlsx
from timebank.volunteers.rules import NAME_MAX, normalize_birth_year, normalize_id_card_tail, normalize_name, \
    normalize_phone
from timebank.volunteers.services import may_see
from timebank.volunteers.spreadsheet import MAX_IMPORT_BYTES  # noqa: F401  (the views read the cap here)
from timebank.volunteers.spreadsheet import Sheet, csv_sheet, english, read_sheet, say, shown

V = Volunteer.__table__
P = PendingImport.__table__

MAX_ROWS = 10_000
PENDING_FOR = timedelta(minutes=30)  # how long a checked file waits for its confirmation
COLUMNS = ("name", "phone", "center", "id_card_tail", "birth_year")
REQUIRED = ("name", "phone", "center")
# The one name of each column, used by the instructions, the messages, the template and the page.
HEADERS_ZH = {"name": "姓名", "phone": "手机号", "center": "服务中心", "id_card_tail": "身份证后四位",
              "birth_year": "出生年份"}
COLUMN_NAMES = {"name": _l("Name"), "phone": _l("Phone"), "center": _l("Service center"),
                "id_card_tail": _l("ID card tail"), "birth_year": _l("Year of birth")}
_ALIASES = {
    "name": ("姓名", "名字", "志愿者姓名", "name", "fullname", "volunteername"),
    "phone": ("手机号", "手机", "手机号码", "联系电话", "电话", "电话号码", "联系方式", "phone", "mobile", "phonenumber",
              "mobilephone", "telephone", "tel"),
    "center": ("服务中心", "中心", "所属中心", "所属服务中心", "中心代码", "中心编码", "服务中心代码", "服务中心编码",
               "center", "centre", "homecenter", "centercode", "homecentercode"),
    "id_card_tail": ("身份证后四位", "身份证后4位", "身份证尾号", "身份证号后四位", "idcardtail", "idtail", "idcard"),
    "birth_year": ("出生年份", "出生年", "出生年份年", "birthyear", "yearofbirth"),
}
_HEADER_NAMES = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}
_EXPECTED = "姓名/name, 手机号/phone, 服务中心/center, 身份证后四位/id_card_tail, 出生年份/birth_year"

MESSAGES = {
    # the file as a whole (line 1 is the header)
    "empty_file": _l("The file is empty: the first line must name the columns."),
    "duplicate_column": _l("The column %(label)s appears twice."),
    "missing_column": _l("The column %(label)s (%(column)s) is missing."),
    "too_many_lines": _l("Too many lines: at most %(count)s volunteers per file. Split the file."),
    "value_too_long": _l("A value on this line is far too long; nothing after it was read."),
    "unclosed_quote": _l("A quotation mark opened on this line is never closed; nothing after it was read."),
    "unreadable_line": _l("This line cannot be read; nothing after it was read."),
    # one value
    "missing_value": _l("%(column_name)s is empty on this line; it is required."),
    "bad_name": _l("Not a person's name (at most %(max)s letters and the dots or dashes names use): %(value)s."),
    "bad_phone": _l("Not a mainland mobile number: %(value)s."),
    "phone_in_scientific_notation": _l("Not a mainland mobile number: %(value)s. Excel showed the number in "
                                       "scientific notation: format the column as text and type it again."),
    "bad_center": _l("Not a center code: %(value)s."),
    "bad_id_card_tail": _l("Not the last 4 characters of an ID card: %(value)s."),
    "bad_birth_year": _l("Not a year of birth between 1900 and this year: %(value)s."),
    "duplicate_phone": _l("The phone number %(phone)s is already on line %(line)s."),
    "unknown_center": _l("There is no center with code %(code)s."),
    "inactive_center": _l("Center %(code)s is deactivated."),
    "phone_taken": _l("The phone number %(phone)s belongs to volunteer %(name)s (number %(id)s), with other "
                      "details."),
    "phone_unavailable": _l("The phone number %(phone)s cannot be registered here; ask the city admin."),
    # warnings: the file imports all the same
    "unknown_column": _l("Column %(position)s (%(label)s) is not one the import knows; it is ignored. Expected "
                         "columns: %(expected)s."),
    "unnamed_column": _l("Column %(position)s has values but no header; it is ignored."),
}


@dataclass(frozen=True)
class LineError:
    """A problem of one line of the file (the header is line 1), by a stable ``code`` and its parameters."""

    line: int
    code: str
    field: str | None = None  # the column, when one is to blame
    params: dict = dataclass_field(default_factory=dict, hash=False)

    @property
    def message(self) -> str:
        """In the reader's language (English outside a request)."""
        return say(MESSAGES[self.code], **self._params())

    @property
    def reason(self) -> str:
        """In English, whatever the reader's language."""
        return english(MESSAGES[self.code], **self._params())

    def _params(self) -> dict:
        params = dict(self.params)
        if "column" in params and "column_name" not in params:
            params["column_name"] = COLUMN_NAMES.get(params["column"], params["column"])
        return params


@dataclass(frozen=True)
class ImportReport:
    dry_run: bool
    total_lines: int  # data lines: the header and blank lines not counted
    valid: int  # data lines without an error
    created: int  # volunteers created (in a dry run: that would be created)
    skipped_existing: int  # lines whose volunteer is already registered with the same details
    errors: tuple[LineError, ...] = ()
    warnings: tuple[LineError, ...] = ()
    encoding: str = "utf-8"  # how the file was read; "xlsx" for an XLSX file
    lines_in_file: int = 0  # the last line (CSV) or row (XLSX) holding anything, the header being line 1
    created_ids: tuple[int, ...] = dataclass_field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Row:
    line: int
    name: str | None
    phone: str | None
    center: str | None
    id_card_tail: str | None
    birth_year: int | None
    bad: bool = False


@dataclass(frozen=True)
class ParsedFile:
    rows: list[_Row]
    errors: list[LineError]
    warnings: list[LineError]
    encoding: str
    lines_in_file: int


def import_volunteers(db: Database, *, actor: Principal, csv_text: str | bytes, dry_run: bool) -> ImportReport:
    """Check every line; unless ``dry_run`` and only if every line is good, create the new volunteers at once.

    ``csv_text``: the uploaded bytes (CSV or XLSX), or already decoded CSV text."""
    _require_importer(actor)
    parsed = read_file(csv_text)
    return db.transaction(lambda s: _import(s, actor, parsed, dry_run=dry_run), readonly=dry_run)


def read_file(data: str | bytes) -> ParsedFile:
    """Read and check every line of an upload without a database; any bytes give a file or a ``ValidationFailed``."""
    if isinstance(data, str):
        return parse_sheet(csv_sheet(data.lstrip("\ufeff"), "utf-8"))
    return parse_sheet(read_sheet(data))


def _import(s: Session, actor: Principal, parsed: ParsedFile, *, dry_run: bool) -> ImportReport:
    rows = parsed.rows
    line_errors = list(parsed.errors)
    to_create, skipped = _check_against_database(s, actor, rows, line_errors)
    line_errors.sort(key=lambda e: (e.line, COLUMNS.index(e.field) if e.field in COLUMNS else -1))
    bad_lines = {e.line for e in line_errors}
    report = dict(dry_run=dry_run, total_lines=len(rows), valid=sum(1 for row in rows if row.line not in bad_lines),
                  skipped_existing=skipped, errors=tuple(line_errors), warnings=tuple(parsed.warnings),
                  encoding=parsed.encoding, lines_in_file=parsed.lines_in_file)
    if dry_run or line_errors:
        return ImportReport(created=len(to_create) if dry_run else 0, **report)
    ids = _create(s, actor, to_create)
    return ImportReport(created=len(ids), created_ids=tuple(ids), **report)


def parse_rows(text: str) -> tuple[list[_Row], list[LineError]]:
    """Parse and normalize every data line of CSV text; pure (no database). Kept for callers that have text."""
    parsed = read_file(text)
    return parsed.rows, parsed.errors


def parse_sheet(sheet: Sheet) -> ParsedFile:
    """Normalize every data line; pure (no database).

    Returns every data line (a value that broke its rule is ``None``; ``bad`` marks a line with an error), the errors
    and the warnings."""
    errors: list[LineError] = []
    warnings: list[LineError] = []
    header = None
    for _line, cells in sheet.records:
        header = cells
        break
    if header is None or not any(cell.strip() for cell in header):
        if sheet.broken is not None:
            return ParsedFile([], [LineError(sheet.broken[0], sheet.broken[1])], [], sheet.encoding, sheet.lines)
        return ParsedFile([], [LineError(1, "empty_file")], [], sheet.encoding, sheet.lines)
    columns = _columns(header, errors, warnings)
    if errors:
        return ParsedFile([], errors, warnings, sheet.encoding, sheet.lines)

    rows: list[_Row] = []
    first_line_of_phone: dict[str, int] = {}
    unnamed_warned: set[int] = set()
    unknown = _unknown_positions(header)
    last_line = 1
    for line, cells in sheet.records:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, and the ",,,," lines spreadsheets leave at the end
        last_line = max(sheet.lines, line)
        if len(rows) >= MAX_ROWS:
            errors.append(LineError(line, "too_many_lines", params={"count": MAX_ROWS}))
            break
        for position, cell in enumerate(cells, start=1):
            if (position > len(columns) or columns[position - 1] is None) and cell.strip() \
                    and position not in unnamed_warned and position - 1 not in unknown \
                    and len(unnamed_warned) < _MAX_UNNAMED_WARNINGS:
                unnamed_warned.add(position)
                warnings.append(LineError(line, "unnamed_column", params={"position": position}))
        values = {column: (cells[i].strip() if i < len(cells) else "")
                  for i, column in enumerate(columns) if column is not None}
        before = len(errors)
        row = _Row(
            line=line,
            name=_rule(errors, line, "name", normalize_name, values["name"]),
            phone=_rule(errors, line, "phone", normalize_phone, values["phone"]),
            center=_rule(errors, line, "center", normalize_center_code, values["center"]),
            id_card_tail=_rule(errors, line, "id_card_tail", normalize_id_card_tail, values.get("id_card_tail")),
            birth_year=_rule(errors, line, "birth_year", normalize_birth_year, values.get("birth_year")),
        )
        if row.phone is not None:
            earlier = first_line_of_phone.setdefault(row.phone, line)
            if earlier != line:
                errors.append(LineError(line, "duplicate_phone", "phone", {"phone": row.phone, "line": earlier}))
        rows.append(replace(row, bad=len(errors) > before))
    if sheet.broken is not None:
        line, code = sheet.broken
        errors.append(LineError(line, code))
        rows.append(_Row(line, None, None, None, None, None, bad=True))
        last_line = max(last_line, line)
    return ParsedFile(rows, errors, warnings, sheet.encoding, last_line)


def _unknown_positions(header: list[str]) -> set[int]:
    """Positions (from 0) of the header's named but unknown columns: already warned about on line 1."""
    return {i for i, cell in enumerate(header) if cell.strip() and _HEADER_NAMES.get(_header_key(cell.strip())) is None}


def _check_against_database(s: Session, actor: Principal, rows: list[_Row], errors: list[LineError]):
    """Resolve center codes and known phones. Returns (rows to create with their center id, lines skipped)."""
    centers = centers_by_code(s, [row.center for row in rows if row.center])
    existing = _existing_by_phone(s, [row.phone for row in rows if row.phone])
    to_create, skipped = [], 0
    for row in rows:
        center = centers.get(row.center)
        if row.center is not None:
            if center is None or not actor.can_see_center(center.id):
                errors.append(LineError(row.line, "unknown_center", "center", {"code": row.center}))
                continue
            if not center.active:
                errors.append(LineError(row.line, "inactive_center", "center", {"code": row.center}))
                continue
        known = existing.get(row.phone)
        if row.bad or center is None:
            continue  # its errors are reported already; a known phone says nothing more about it
        if known is None:
            to_create.append((row, center.id))
        elif _same_person(known, row, center.id):
            skipped += 1
        elif may_see(actor, known.id, known.home_center_id):
            errors.append(LineError(row.line, "phone_taken", "phone",
                                    {"phone": row.phone, "id": known.id, "name": known.name}))
        else:  # registered where this importer cannot see: say so without saying where
            errors.append(LineError(row.line, "phone_unavailable", "phone", {"phone": row.phone}))
    return to_create, skipped


def _create(s: Session, actor: Principal, to_create: list[tuple[_Row, int]]) -> list[int]:
    """Insert the volunteers and their accounts in a few statements, whatever the number of lines."""
    if not to_create:
        record(s, actor=actor, action="volunteer.import", object_type="volunteer_import", object_id="-",
               detail={"created": 0})
        return []
    now = utcnow()
    account_ids = open_volunteer_accounts(s, center_ids=[center_id for _, center_id in to_create])
    volunteer_ids = s.execute(insert(V).returning(V.c.id, sort_by_parameter_order=True), [
        {"name": row.name, "phone": row.phone, "home_center_id": center_id, "id_card_tail": row.id_card_tail,
         "birth_year": row.birth_year, "active": True, "account_id": account_id, "created_at": now}
        for (row, center_id), account_id in zip(to_create, account_ids)
    ]).scalars().all()
    name_volunteer_accounts(s, dict(zip(account_ids, volunteer_ids)))
    record_many(s, actor=actor, action="volunteer.create", object_type="volunteer", objects=[
        (volunteer_id, center_id, {"name": row.name, "phone": row.phone, "home_center": row.center, "via": "import"})
        for (row, center_id), volunteer_id in zip(to_create, volunteer_ids)
    ])
    record(s, actor=actor, action="volunteer.import", object_type="volunteer_import",
           object_id=f"{volunteer_ids[0]}-{volunteer_ids[-1]}", detail={"created": len(volunteer_ids)})
    return list(volunteer_ids)


def _existing_by_phone(s: Session, phones: list[str]) -> dict:
    phones = sorted(set(phones))
    found = {}
    for start in range(0, len(phones), 500):
        for row in s.execute(select(V.c.id, V.c.name, V.c.phone, V.c.home_center_id, V.c.id_card_tail,
                                    V.c.birth_year).where(V.c.phone.in_(phones[start:start + 500]))):
            found[row.phone] = row
    return found


def _same_person(known, row: _Row, center_id: int) -> bool:
    """The line describes the registered volunteer: same name and center; optional columns agree when given."""
    return (known.name == row.name and known.home_center_id == center_id
            and row.id_card_tail in (None, known.id_card_tail)
            and row.birth_year in (None, known.birth_year))


def _columns(header: list[str], errors: list[LineError], warnings: list[LineError]) -> list[str | None]:
    columns: list[str | None] = []
    for position, cell in enumerate(header[:_MAX_HEADER], start=1):
        label = cell.strip()
        column = _HEADER_NAMES.get(_header_key(label)) if label else None
        if label and column is None:
            warnings.append(LineError(1, "unknown_column", params={"position": position, "label": shown(label),
                                                                   "expected": _EXPECTED}))
        elif column is not None and column in columns:
            errors.append(LineError(1, "duplicate_column", column, {"label": shown(label)}))
            column = None
        columns.append(column)
    for column in REQUIRED:
        if column not in columns:
            errors.append(LineError(1, "missing_column", column, {"column": column, "label": HEADERS_ZH[column]}))
    while columns and columns[-1] is None:
        columns.pop()
    return columns


_MAX_HEADER = 200  # header cells looked at; a CSV line may be long, a header is not
_MAX_UNNAMED_WARNINGS = 10


def _header_key(label: str) -> str:
    text = unicodedata.normalize("NFKC", label).lower()
    return "".join(ch for ch in text if ch not in " _-()（）*")


_RULE_CODES = {"name": "bad_name", "phone": "bad_phone", "center": "bad_center", "id_card_tail": "bad_id_card_tail",
               "birth_year": "bad_birth_year"}


def _rule(errors: list[LineError], line: int, column: str, rule, value):
    try:
        return rule(value)
    except ValueError:
        if column in REQUIRED and not value:
            errors.append(LineError(line, "missing_value", column, {"column": column}))
        elif column == "phone" and "E+" in value.upper():
            errors.append(LineError(line, "phone_in_scientific_notation", column, {"value": shown(value)}))
        else:
            params = {"value": shown(value)}
            if column == "name":
                params["max"] = NAME_MAX
            errors.append(LineError(line, _RULE_CODES[column], column, params))
        return None


# --------------------------------------------------------------------------------- pending imports (the page's)

def hold_for_confirmation(db: Database, *, actor: Principal, data: bytes) -> str:
    """Keep a checked file until its importer confirms it; returns the random id the page's form carries.

    The file stays on the server (the form carries 43 characters, not the file): a person has at most one import
    waiting, and an unconfirmed one is dropped after ``PENDING_FOR``."""
    _require_importer(actor)
    if actor.user_id is None:
        raise Forbidden()  # only a signed-in person confirms an import
    pending_id = secrets.token_urlsafe(32)
    now = utcnow()

    def work(s: Session) -> str:
        s.execute(delete(P).where((P.c.user_id == actor.user_id) | (P.c.expires_at < now)))
        s.execute(insert(P).values(id=pending_id, user_id=actor.user_id, data=data, created_at=now,
                                   expires_at=now + PENDING_FOR))
        return pending_id

    return db.transaction(work)


def import_pending(db: Database, *, actor: Principal, pending_id: str) -> ImportReport:
    """Import the file held by ``hold_for_confirmation``, checking it all again, in one transaction that also drops
    it: a confirmation is used once. Another person's, an expired or an unknown id is "not found"."""
    _require_importer(actor)

    def work(s: Session) -> ImportReport:
        row = s.execute(select(P.c.data).where(P.c.id == pending_id, P.c.user_id == actor.user_id,
                                               P.c.expires_at >= utcnow())).first()
        if row is None or actor.user_id is None:
            message = say(PENDING_GONE)
            raise NotFound(message, fields={"file": [message]})
        s.execute(delete(P).where(P.c.id == pending_id))
        return _import(s, actor, read_file(bytes(row.data)), dry_run=False)

    return db.transaction(work)


NOTHING_IMPORTED = _l("%(count)s lines of the file have errors; nothing was imported.")
NO_FILE = _l("Choose a CSV or XLSX file to check.")
PENDING_GONE = _l("This check has expired or was already used. Choose the file and check it again.")


def _require_importer(actor: Principal) -> None:
    IMPORT_VOLUNTEERS.require(actor)


# --------------------------------------------------------------------------------------------- the blank template

HEADERS_EN = {column: column for column in COLUMNS}
_COLUMN_NOTES = {
    "name": _l("Required. The volunteer's name, as on the ID card."),
    "phone": _l("Required. An 11-digit mainland mobile number, not yet registered."),
    "center": _l("Required. The home center's code, such as JK01."),
    "id_card_tail": _l("Optional. The last 4 characters of the ID card (digits; the last may be X)."),
    "birth_year": _l("Optional. The year of birth, such as 1956."),
}
OTHER_COLUMNS_NOTE = _l("Any other column (备注 …) is ignored. Headers may be in Chinese or English, in any order.")
TEMPLATE_TYPES = {"csv": "text/csv; charset=utf-8",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def import_template(kind: str, *, chinese: bool) -> tuple[bytes, str, str]:
    """The blank file to fill in: ``(bytes, content type, file name)``; headers in Chinese or English."""
    headers = [(HEADERS_ZH if chinese else HEADERS_EN)[column] for column in COLUMNS]
    name = "志愿者导入模板" if chinese else "volunteer-import-template"
    if kind == "xlsx":
        notes = [(header, say(_COLUMN_NOTES[column])) for header, column in zip(headers, COLUMNS)]
        notes.append(("", say(OTHER_COLUMNS_NOTE)))
        data = template_xlsx(headers, notes, sheet_title="志愿者" if chinese else "volunteers",
                             notes_title="说明" if chinese else "notes")
    else:
        data = template_csv(headers)
    return data, TEMPLATE_TYPES[kind], f"{name}.{kind}"
