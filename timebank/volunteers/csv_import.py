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

from dataclasses import dataclass, field as dataclass_field, replace

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert
from sqlalchemy.orm import Session

from timebank.audit.services import record, record_many
from timebank.auth.access import Principal
from timebank.centers.rules import normalize_center_code
from timebank.centers.services import centers_by_code
from timebank.clock import utcnow
from timebank.db import Database
from timebank.ledger.accounts import name_volunteer_accounts, open_volunteer_accounts
from timebank.spreadsheets.lines import FILE_MESSAGES, ImportFormat, LineError, missing_value, read_lines
from timebank.spreadsheets.pending import PENDING_GONE, hold_file, take_file  # noqa: F401  (PENDING_GONE: tests)
from timebank.spreadsheets.reading import MAX_IMPORT_BYTES  # noqa: F401  (the views read the cap here)
from timebank.spreadsheets.reading import Sheet, csv_sheet, read_sheet, say, shown, template_csv, template_xlsx
from timebank.spreadsheets.uploads import NO_FILE  # noqa: F401  (the views' message)
from timebank.volunteers.models import Volunteer
from timebank.volunteers.permissions import IMPORT_VOLUNTEERS
from timebank.volunteers.rules import NAME_MAX, normalize_birth_year, normalize_id_card_tail, normalize_name, \
    normalize_phone
from timebank.volunteers.services import may_see, volunteers_by_phone

V = Volunteer.__table__

MAX_ROWS = 10_000
PENDING_KIND = "volunteers"
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

MESSAGES = {
    **FILE_MESSAGES,
    "too_many_lines": _l("Too many lines: at most %(count)s volunteers per file. Split the file."),
    # one value
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
}

FORMAT = ImportFormat(columns=COLUMNS, required=REQUIRED, aliases=_ALIASES, headers_zh=HEADERS_ZH,
                      labels=COLUMN_NAMES, messages=MESSAGES, max_rows=MAX_ROWS)


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
    read = read_lines(sheet, FORMAT)
    errors = list(read.errors)
    rows: list[_Row] = []
    first_line_of_phone: dict[str, int] = {}
    for line in read.lines:
        values = line.values
        before = len(errors)
        row = _Row(
            line=line.line,
            name=_rule(errors, line.line, "name", normalize_name, values["name"]),
            phone=_rule(errors, line.line, "phone", normalize_phone, values["phone"]),
            center=_rule(errors, line.line, "center", normalize_center_code, values["center"]),
            id_card_tail=_rule(errors, line.line, "id_card_tail", normalize_id_card_tail,
                               values["id_card_tail"] or None),
            birth_year=_rule(errors, line.line, "birth_year", normalize_birth_year, values["birth_year"] or None),
        )
        if row.phone is not None:
            earlier = first_line_of_phone.setdefault(row.phone, line.line)
            if earlier != line.line:
                errors.append(FORMAT.error(line.line, "duplicate_phone", "phone", phone=row.phone, line=earlier))
        rows.append(replace(row, bad=len(errors) > before))
    if read.broken_line is not None:
        rows.append(_Row(read.broken_line, None, None, None, None, None, bad=True))
    # errors of the header or of a broken record come first in ``read.errors``; keep the file's order
    errors.sort(key=lambda e: e.line)
    return ParsedFile(rows, errors, read.warnings, read.encoding, read.lines_in_file)


def _check_against_database(s: Session, actor: Principal, rows: list[_Row], errors: list[LineError]):
    """Resolve center codes and known phones. Returns (rows to create with their center id, lines skipped)."""
    centers = centers_by_code(s, [row.center for row in rows if row.center])
    existing = volunteers_by_phone(s, [row.phone for row in rows if row.phone])
    to_create, skipped = [], 0
    for row in rows:
        center = centers.get(row.center)
        if row.center is not None:
            if center is None or not actor.can_see_center(center.id):
                errors.append(FORMAT.error(row.line, "unknown_center", "center", code=row.center))
                continue
            if not center.active:
                errors.append(FORMAT.error(row.line, "inactive_center", "center", code=row.center))
                continue
        known = existing.get(row.phone)
        if row.bad or center is None:
            continue  # its errors are reported already; a known phone says nothing more about it
        if known is None:
            to_create.append((row, center.id))
        elif _same_person(known, row, center.id):
            skipped += 1
        elif may_see(actor, known.id, known.home_center_id):
            errors.append(FORMAT.error(row.line, "phone_taken", "phone", phone=row.phone, id=known.id,
                                       name=known.name))
        else:  # registered where this importer cannot see: say so without saying where
            errors.append(FORMAT.error(row.line, "phone_unavailable", "phone", phone=row.phone))
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


def _same_person(known, row: _Row, center_id: int) -> bool:
    """The line describes the registered volunteer: same name and center; optional columns agree when given."""
    return (known.name == row.name and known.home_center_id == center_id
            and row.id_card_tail in (None, known.id_card_tail)
            and row.birth_year in (None, known.birth_year))


_RULE_CODES = {"name": "bad_name", "phone": "bad_phone", "center": "bad_center", "id_card_tail": "bad_id_card_tail",
               "birth_year": "bad_birth_year"}


def _rule(errors: list[LineError], line: int, column: str, rule, value):
    try:
        return rule(value)
    except ValueError:
        if column in REQUIRED and not value:
            errors.append(missing_value(FORMAT, line, column))
        elif column == "phone" and "E+" in value.upper():
            errors.append(FORMAT.error(line, "phone_in_scientific_notation", column, value=shown(value)))
        else:
            params = {"value": shown(value)}
            if column == "name":
                params["max"] = NAME_MAX
            errors.append(FORMAT.error(line, _RULE_CODES[column], column, **params))
        return None


# --------------------------------------------------------------------------------- pending imports (the page's)

def hold_for_confirmation(db: Database, *, actor: Principal, data: bytes) -> str:
    """Keep a checked file until its importer confirms it (``spreadsheets.pending``); returns the id the page's form
    carries."""
    _require_importer(actor)
    return db.transaction(lambda s: hold_file(s, actor=actor, kind=PENDING_KIND, data=data, now=utcnow()))


def import_pending(db: Database, *, actor: Principal, pending_id: str) -> ImportReport:
    """Import the file held by ``hold_for_confirmation``, checking it all again, in one transaction that also drops
    it: a confirmation is used once. Another person's, an expired or an unknown id is "not found"."""
    _require_importer(actor)

    def work(s: Session) -> ImportReport:
        data = take_file(s, actor=actor, kind=PENDING_KIND, pending_id=pending_id, now=utcnow())
        return _import(s, actor, read_file(data), dry_run=False)

    return db.transaction(work)


NOTHING_IMPORTED = _l("%(count)s lines of the file have errors; nothing was imported.")


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
                             notes_title="说明" if chinese else "notes",
                             text_columns=(COLUMNS.index("phone") + 1, COLUMNS.index("id_card_tail") + 1))
    else:
        data = template_csv(headers)
    return data, TEMPLATE_TYPES[kind], f"{name}.{kind}"
