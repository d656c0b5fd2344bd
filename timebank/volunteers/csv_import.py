"""Importing volunteers from the spreadsheet a center already keeps.

The columns: name, phone, home center code, and optionally the ID card's last four characters and the birth year;
headers in Chinese or English (姓名,手机号,服务中心,身份证后四位,出生年份 / name,phone,center,id_card_tail,birth_year),
in any order. The file may be UTF-8 (with or without the BOM Excel writes), GB18030/GBK (what Excel on a Chinese
Windows saves as "CSV") or UTF-16 (Excel's "Unicode text", tab-separated).

A dry run reports every bad line with its line number and reason and changes nothing. The real import runs the same
checks in the transaction that creates the volunteers, and creates nothing unless every line is good. A line whose
phone is already registered with the same name and center is skipped, so importing the same file again creates no
duplicates.
"""
from __future__ import annotations

import csv
import io
import unicodedata
import uuid
from dataclasses import dataclass, field, replace

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from timebank.audit.services import record, record_many
from timebank.auth.access import Principal
from timebank.centers.rules import normalize_center_code
from timebank.centers.services import centers_by_code
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import ValidationFailed, rule_message
from timebank.ledger.models import Account
from timebank.volunteers.models import Volunteer
from timebank.volunteers.rules import normalize_birth_year, normalize_id_card_tail, normalize_name, normalize_phone
from timebank.volunteers.permissions import IMPORT_VOLUNTEERS
from timebank.volunteers.services import may_see

V = Volunteer.__table__
A = Account.__table__

MAX_ROWS = 10_000
COLUMNS = ("name", "phone", "center", "id_card_tail", "birth_year")
REQUIRED = ("name", "phone", "center")
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


@dataclass(frozen=True)
class LineError:
    line: int  # the line of the file, counting the header as line 1
    reason: object  # a sentence that translates itself (a lazy string); str() renders it in the reader's language
    field: str | None = None  # the column, when one is to blame


@dataclass(frozen=True)
class ImportReport:
    dry_run: bool
    total_lines: int  # data lines, blank lines not counted
    valid: int  # lines without an error
    created: int  # volunteers created (in a dry run: that would be created)
    skipped_existing: int  # lines whose volunteer is already registered with the same details
    errors: tuple[LineError, ...] = ()
    encoding: str = "utf-8"
    created_ids: tuple[int, ...] = field(default=(), repr=False)

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


def import_volunteers(db: Database, *, actor: Principal, csv_text: str | bytes, dry_run: bool) -> ImportReport:
    """Check every line; unless ``dry_run`` and only if every line is good, create the new volunteers at once."""
    IMPORT_VOLUNTEERS.require(actor)
    text, encoding = decode_csv(csv_text) if isinstance(csv_text, bytes) else (csv_text.lstrip("\ufeff"), "utf-8")
    rows, errors = parse_rows(text)
    total = len(rows)

    def work(s: Session) -> ImportReport:
        line_errors = list(errors)
        to_create, skipped = _check_against_database(s, actor, rows, line_errors)
        line_errors.sort(key=lambda e: (e.line, COLUMNS.index(e.field) if e.field in COLUMNS else -1))
        bad_lines = {e.line for e in line_errors}
        report = dict(dry_run=dry_run, total_lines=total, valid=total - len(bad_lines - {1}),
                      skipped_existing=skipped, errors=tuple(line_errors), encoding=encoding)
        if dry_run or line_errors:
            return ImportReport(created=len(to_create) if dry_run else 0, **report)
        ids = _create(s, actor, to_create)
        return ImportReport(created=len(ids), created_ids=tuple(ids), **report)

    return db.transaction(work, readonly=dry_run)


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text of an uploaded file and the encoding it was in."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        message = _l("The file is not text in UTF-8 or GB18030. Please save it from Excel as \"CSV UTF-8\".")
        raise ValidationFailed(message, fields={"file": [message]}) from None


def parse_rows(text: str) -> tuple[list[_Row], list[LineError]]:
    """Parse and normalize every data line; pure (no database).

    Returns every data line (a value that broke its rule is ``None``; ``bad`` marks a line with an error) and the
    errors found so far."""
    errors: list[LineError] = []
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        return [], [LineError(1, _l("The file is empty: the first line must name the columns."))]
    columns = _columns(header, errors)
    if errors:
        return [], errors

    rows: list[_Row] = []
    first_line_of_phone: dict[str, int] = {}
    for line, cells in _records(reader, errors):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, and the ",,,," lines spreadsheets leave at the end
        if len(rows) >= MAX_ROWS:
            errors.append(LineError(line, _l("Too many lines: at most %(count)s volunteers per file. Please split "
                                             "the file.", count=MAX_ROWS)))
            break
        if any(cell.strip() for i, cell in enumerate(cells) if i >= len(columns) or columns[i] is None):
            errors.append(LineError(line, _l("A value stands in a column without a header (%(cells)s fields, the "
                                             "header names %(named)s).", cells=len(cells),
                                             named=len([c for c in columns if c]))))
            rows.append(_Row(line, None, None, None, None, None, bad=True))
            continue
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
                errors.append(LineError(line, _l("The phone number %(phone)s is already on line %(line)s.",
                                                 phone=row.phone, line=earlier), "phone"))
        rows.append(replace(row, bad=len(errors) > before))
    return rows, errors


def _records(reader, errors: list[LineError]):
    """``(first line, cells)`` of each record (a quoted cell may span lines); a broken record ends the file."""
    line_end = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            errors.append(LineError(line_end + 1, _l("This line cannot be read: %(problem)s", problem=str(error))))
            return
        yield line_end + 1, cells
        line_end = reader.line_num


def _check_against_database(s: Session, actor: Principal, rows: list[_Row], errors: list[LineError]):
    """Resolve center codes and known phones. Returns (rows to create with their center id, lines skipped)."""
    centers = centers_by_code(s, [row.center for row in rows if row.center])
    existing = _existing_by_phone(s, [row.phone for row in rows if row.phone])
    to_create, skipped = [], 0
    for row in rows:
        center = centers.get(row.center)
        if row.center is not None:
            if center is None or not actor.can_see_center(center.id):
                errors.append(LineError(row.line, _l("There is no center with code %(code)s.", code=row.center),
                                        "center"))
                continue
            if not center.active:
                errors.append(LineError(row.line, _l("Center %(code)s is deactivated.", code=row.center), "center"))
                continue
        known = existing.get(row.phone)
        if row.bad or center is None:
            continue  # its errors are reported already; a known phone says nothing more about it
        if known is None:
            to_create.append((row, center.id))
        elif _same_person(known, row, center.id):
            skipped += 1
        elif may_see(actor, known.id, known.home_center_id):
            errors.append(LineError(row.line, _l("The phone number %(phone)s belongs to volunteer %(name)s (number "
                                                 "%(id)s), with other details.", phone=row.phone, name=known.name,
                                                 id=known.id), "phone"))
        else:
            errors.append(LineError(row.line, _l("The phone number %(phone)s is already registered at another center.",
                                                 phone=row.phone), "phone"))
    return to_create, skipped


def _create(s: Session, actor: Principal, to_create: list[tuple[_Row, int]]) -> list[int]:
    """Insert the volunteers and their accounts in a few statements, whatever the number of lines."""
    if not to_create:
        record(s, actor=actor, action="volunteer.import", object_type="volunteer_import", object_id="-",
               detail={"created": 0})
        return []
    now = utcnow()
    account_ids = s.execute(insert(A).returning(A.c.id, sort_by_parameter_order=True), [
        {"code": f"volunteer:new:{uuid.uuid4().hex}", "kind": "volunteer", "center_id": center_id,
         "no_overdraft": True, "created_at": now} for _, center_id in to_create
    ]).scalars().all()
    volunteer_ids = s.execute(insert(V).returning(V.c.id, sort_by_parameter_order=True), [
        {"name": row.name, "phone": row.phone, "home_center_id": center_id, "id_card_tail": row.id_card_tail,
         "birth_year": row.birth_year, "active": True, "account_id": account_id, "created_at": now}
        for (row, center_id), account_id in zip(to_create, account_ids)
    ]).scalars().all()
    s.execute(update(A).where(A.c.id == bindparam("account_id")).values(code=bindparam("account_code")), [
        {"account_id": account_id, "account_code": f"volunteer:{volunteer_id}"}
        for account_id, volunteer_id in zip(account_ids, volunteer_ids)
    ])
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


def _columns(header: list[str], errors: list[LineError]) -> list[str | None]:
    columns: list[str | None] = []
    for position, cell in enumerate(header, start=1):
        label = cell.strip()
        if not label:
            columns.append(None)  # an unnamed column is allowed only if it stays empty (checked per line)
            continue
        column = _HEADER_NAMES.get(_header_key(label))
        if column is None:
            errors.append(LineError(1, _l("Unknown column %(label)s (column %(position)s). Expected 姓名/name, "
                                          "手机号/phone, 服务中心/center, 身份证后四位/id_card_tail, 出生年份/birth_year.",
                                          label=label, position=position)))
        elif column in columns:
            errors.append(LineError(1, _l("The column %(label)s appears twice.", label=label)))
        columns.append(column)
    for column in REQUIRED:
        if column not in columns:
            errors.append(LineError(1, _l("The column %(label)s (%(column)s) is missing.", label=_ALIASES[column][0],
                                          column=column), column))
    while columns and columns[-1] is None:
        columns.pop()
    return columns


def _header_key(label: str) -> str:
    text = unicodedata.normalize("NFKC", label).lower()
    return "".join(ch for ch in text if ch not in " _-()（）*")


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "，")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _rule(errors: list[LineError], line: int, column: str, rule, value):
    try:
        return rule(value)
    except ValueError as error:
        reason = _l("%(value)s: %(problem)s", value=value, problem=rule_message(error))
        if column in REQUIRED and not value:
            reason = _l("This line has no value in the column %(column)s.",
                        column=f"{_ALIASES[column][0]}/{column}")
        elif column == "phone" and "E+" in value.upper():
            reason = _l("%(value)s: Excel showed the number in scientific notation. Please format the column as "
                        "text.", value=value)
        errors.append(LineError(line, reason, column))
        return None
