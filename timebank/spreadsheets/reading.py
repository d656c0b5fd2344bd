"""Reading an uploaded spreadsheet (CSV in any encoding Excel or WPS writes, or XLSX) into records of cells, and
writing the blank template a center fills in.

Pure: no database, no Flask request. Any bytes at all either give records or raise ``ValidationFailed`` with a
translated message; nothing else escapes (a Hypothesis test sends random bytes). Every size is bounded before it is
read: the upload, an XLSX's unpacked parts, its cells per row and rows per sheet.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Iterator

from flask import has_request_context
from flask_babel import force_locale, lazy_gettext as _l

from timebank.errors import ValidationFailed

MAX_IMPORT_BYTES = 5 * 1024 * 1024  # the one cap of every import (page, API, shell): ~10,000 lines with room
MAX_XLSX_UNPACKED_BYTES = 40 * 1024 * 1024  # a 10,000-row sheet unpacks to a few MB
MAX_XLSX_PARTS = 500
MAX_SHEET_ROWS = 100_000  # rows looked at in a sheet, blank ones included
MAX_CELLS_PER_ROW = 1_000  # cells a sheet row may hold (a real sheet has tens)
MAX_COLUMNS = 64  # columns read; any further one is ignored like an unknown column
SHOWN_VALUE = 40  # characters of a bad value quoted back in a message

NOT_A_SPREADSHEET = _l("This is not a CSV or XLSX file. Save the sheet from Excel or WPS as CSV or as XLSX.")
NOT_TEXT = _l("This file is not text in UTF-8, GB18030 or UTF-16. Save it from Excel as \"CSV UTF-8\" or as XLSX.")
OLD_EXCEL = _l("This is an old Excel file (.xls). Save it from Excel or WPS as XLSX or as CSV.")
BAD_XLSX = _l("This XLSX file cannot be read; it may be damaged. Open it in Excel or WPS and save it again.")
XLSX_TOO_LARGE = _l("This XLSX file is too large to import (at most %(rows)s rows and %(cells)s cells per row).")
FILE_TOO_LARGE = _l("The file is too large: at most %(megabytes)s MB.")
FILE_EMPTY = _l("The file is empty.")

_UTF8_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and .doc)
# Characters no spreadsheet's text holds; their presence means the bytes were not text at all.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def say(template, **params) -> str:
    """``template`` (a lazy_gettext string) in the request's language, or in English outside a request (shell)."""
    if has_request_context():
        return _render(template, params)
    return english(template, **params)


def english(template, **params) -> str:
    with force_locale("en"):
        return _render(template, params)


def _render(template, params: dict) -> str:
    return str(template) % {key: value if isinstance(value, int) else str(value) for key, value in params.items()}


def refuse(template, **params) -> ValidationFailed:
    message = say(template, **params)
    return ValidationFailed(message, fields={"file": [message]})


def shown(value: str) -> str:
    """A cell's value as a message quotes it: a 200,000-character cell is not sent back whole."""
    return value if len(value) <= SHOWN_VALUE else value[:SHOWN_VALUE] + "…"


@dataclass
class Sheet:
    """An uploaded file's records: ``(first line, cells)``; ``encoding`` says how it was read (``xlsx`` for XLSX).

    ``broken`` is set (line, code) when a record could not be read; the records end there."""

    records: Iterator[tuple[int, list[str]]]
    encoding: str
    lines: int = 0  # lines (CSV) or rows (XLSX) read so far, counting the header and blank ones
    broken: tuple[int, str] | None = None


class FileTooLarge(ValidationFailed):
    """The file is larger than the import takes: the same 413 as any body over its limit, naming the file."""

    code = "payload_too_large"
    status = 413
    message = _l("The request is too large.")


def too_large() -> ValidationFailed:
    message = say(FILE_TOO_LARGE, megabytes=MAX_IMPORT_BYTES // (1024 * 1024))
    return FileTooLarge(message, fields={"file": [message]})


def check_size(data: bytes) -> None:
    if len(data) > MAX_IMPORT_BYTES:
        raise too_large()
    if not data.strip():
        raise refuse(FILE_EMPTY)


def read_sheet(data: bytes) -> Sheet:
    """The records of an uploaded CSV or XLSX file."""
    check_size(data)
    if data.startswith(_ZIP_MAGIC):
        return _xlsx_sheet(data)
    if data.startswith(_OLE2_MAGIC):
        raise refuse(OLD_EXCEL)
    text, encoding = decode_csv(data)
    return csv_sheet(text, encoding)


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text of an uploaded CSV file and the encoding it was in."""
    try:
        if data.startswith(_UTF8_BOM):
            text, encoding = data[3:].decode("utf-8"), "utf-8-sig"
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text, encoding = data.decode("utf-16"), "utf-16"
        else:
            text, encoding = _utf8_or_gb18030(data)
    except UnicodeError:
        raise refuse(NOT_A_SPREADSHEET if _looks_binary(data) else NOT_TEXT) from None
    if _CONTROL.search(text):
        raise refuse(NOT_A_SPREADSHEET)
    return text, encoding


def _utf8_or_gb18030(data: bytes) -> tuple[str, str]:
    """UTF-8 unless the bytes read better as GB18030.

    GBK text is sometimes valid UTF-8 by accident (郑伟 is d6a3 ceb0, which UTF-8 reads as ֣ΰ), most often when the
    header is English and so offers no Chinese to fail on. Of two readings the one with more characters a Chinese
    spreadsheet plausibly holds wins; a tie stays UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"
    if text.isascii():
        return text, "utf-8"
    try:
        other = data.decode("gb18030")
    except UnicodeDecodeError:
        return text, "utf-8"
    return (other, "gb18030") if _plausibility(other) > _plausibility(text) else (text, "utf-8")


def _plausibility(text: str) -> int:
    score = 0
    for char in text:
        code = ord(char)
        if code < 0x80:
            continue
        if (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x3000 <= code <= 0x303F
                or 0xFF00 <= code <= 0xFFEF or 0x20000 <= code <= 0x2FFFF):
            score += 1  # Chinese characters, CJK punctuation, full-width forms
        elif 0xC0 <= code <= 0x17F or char in "·\u2014\u2026\u201c\u201d\u2018\u2019":
            score += 1  # accented Latin letters (José), the middle dot of 买买提·艾力, quotes
        else:
            score -= 1  # Hebrew accents, Greek, C1 controls …: what a wrong reading produces
    return score


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:4096] or bool(_CONTROL.search(data[:4096].decode("latin-1")))


def csv_sheet(text: str, encoding: str) -> Sheet:
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    sheet = Sheet(records=iter(()), encoding=encoding)

    def records():
        line_end = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                sheet.broken = (line_end + 1, _csv_problem(str(error)))
                sheet.lines = max(reader.line_num, line_end + 1)
                return
            sheet.lines = reader.line_num
            yield line_end + 1, cells
            line_end = reader.line_num

    sheet.records = records()
    return sheet


def _csv_problem(message: str) -> str:
    if "field larger than field limit" in message:
        return "value_too_long"
    if "unexpected end of data" in message or "EOF" in message:
        return "unclosed_quote"
    return "unreadable_line"


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "，")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


# ------------------------------------------------------------------------------------------------------------ XLSX

def _xlsx_sheet(data: bytes) -> Sheet:
    """The records of the workbook's first worksheet (the one a template's data goes in)."""
    from openpyxl import load_workbook  # openpyxl takes ~0.2 s to import: only when an XLSX arrives

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        _check_parts(archive)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        worksheet = next(ws for ws in workbook.worksheets if hasattr(ws, "iter_rows"))
        rows = worksheet.iter_rows(max_row=MAX_SHEET_ROWS, max_col=MAX_COLUMNS, values_only=True)
    except ValidationFailed:
        raise
    except zipfile.BadZipFile:
        raise refuse(NOT_A_SPREADSHEET) from None
    except Exception:  # openpyxl on untrusted bytes raises many kinds (KeyError, ValueError, ParseError …)
        raise refuse(BAD_XLSX) from None
    sheet = Sheet(records=iter(()), encoding="xlsx")

    def records():
        number = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception:  # the sheet's XML is read as the rows are
                raise refuse(BAD_XLSX) from None
            number += 1
            sheet.lines = number
            yield number, [_cell_text(value) for value in (values or ())]

    sheet.records = records()
    return sheet


def _check_parts(archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb before anything is unpacked: the sizes declared bound what zipfile will inflate."""
    parts = archive.infolist()
    if len(parts) > MAX_XLSX_PARTS or sum(part.file_size for part in parts) > MAX_XLSX_UNPACKED_BYTES:
        raise refuse(XLSX_TOO_LARGE, rows=MAX_SHEET_ROWS, cells=MAX_CELLS_PER_ROW)
    if "[Content_Types].xml" not in archive.namelist() or "xl/workbook.xml" not in archive.namelist():
        raise refuse(NOT_A_SPREADSHEET)  # a .docx, a .zip …
    for part in parts:
        if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
            _check_rows(archive, part)


def _check_rows(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> None:
    """openpyxl builds a whole row's cells at once: refuse a sheet with a giant row before it does."""
    from defusedxml.ElementTree import iterparse

    cells = 0
    with archive.open(part) as stream:
        for event, element in iterparse(stream, events=("end",)):
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "c":
                cells += 1
                if cells > MAX_CELLS_PER_ROW:
                    raise refuse(XLSX_TOO_LARGE, rows=MAX_SHEET_ROWS, cells=MAX_CELLS_PER_ROW)
                element.clear()
            elif tag == "row":
                cells = 0
                element.clear()


def _cell_text(value) -> str:
    """A cell as the text a CSV would hold: 13805291234.0 → "13805291234", a date → its ISO form, a time → 09:30."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes" if value.second == 0 else "seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):  # a time typed into a cell: 9:30 → "09:30"
        return value.isoformat(timespec="minutes" if value.second == 0 else "seconds")
    return str(value)


# -------------------------------------------------------------------------------------------------------- template

def template_csv(headers: list[str]) -> bytes:
    """A blank CSV template: the header line, with the BOM that makes Excel open it as UTF-8 (Chinese, not 乱码)."""
    return _UTF8_BOM + (",".join(headers) + "\r\n").encode("utf-8")


def template_xlsx(headers: list[str], notes: list[tuple[str, str]], *, sheet_title: str, notes_title: str,
                  text_columns: tuple[int, ...] = ()) -> bytes:
    """A blank XLSX template: bold headers, the ``text_columns`` (1-based: phones, ID cards, times) formatted as text
    so that Excel keeps what is typed (no 1.38E+10, no dropped zeros), and a sheet of notes on each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    sheet.append(headers)
    for index, _header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = 18
        if index in text_columns:
            for row in range(2, 1002):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    notes_sheet = workbook.create_sheet(notes_title)
    for column, note in notes:
        notes_sheet.append([column, note])
    notes_sheet.column_dimensions["A"].width = 18
    notes_sheet.column_dimensions["B"].width = 80
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
