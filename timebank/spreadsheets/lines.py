"""From a sheet's records to the lines of an import: the header names the columns (in Chinese or English, in any
order), every further non-blank record is a line of values by column. What an import does with the values (the
volunteers', the service records') is its own; what every import says about the file is here, once.

Every problem is a ``LineError``: a stable ``code`` and its parameters, its sentence written once with
``lazy_gettext`` (here for the file's problems, in the import's ``ImportFormat.messages`` for its own) and shown in
the reader's language (``message``) or in English (``reason``, the shell's and the logs' stable text).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field as dataclass_field
from typing import Mapping

from flask_babel import lazy_gettext as _l

from timebank.spreadsheets.reading import Sheet, english, say, shown

FILE_MESSAGES = {
    # the file as a whole (line 1 is the header)
    "empty_file": _l("The file is empty: the first line must name the columns."),
    "duplicate_column": _l("The column %(label)s appears twice."),
    "missing_column": _l("The column %(label)s (%(column)s) is missing."),
    "too_many_lines": _l("Too many lines: at most %(count)s lines per file. Split the file."),
    "value_too_long": _l("A value on this line is far too long; nothing after it was read."),
    "unclosed_quote": _l("A quotation mark opened on this line is never closed; nothing after it was read."),
    "unreadable_line": _l("This line cannot be read; nothing after it was read."),
    # one value
    "missing_value": _l("%(column_name)s is empty on this line; it is required."),
    # warnings: the file imports all the same
    "unknown_column": _l("Column %(position)s (%(label)s) is not one the import knows; it is ignored. Expected "
                         "columns: %(expected)s."),
    "unnamed_column": _l("Column %(position)s has values but no header; it is ignored."),
}

MAX_HEADER = 200  # header cells looked at; a CSV line may be long, a header is not
MAX_UNNAMED_WARNINGS = 10


@dataclass(frozen=True)
class ImportFormat:
    """What one kind of import reads: its columns (in the template's order), the ones it requires, the header names
    each may go by, and its own messages (which take precedence over ``FILE_MESSAGES``)."""

    columns: tuple[str, ...]
    required: tuple[str, ...]
    aliases: Mapping[str, tuple[str, ...]]
    headers_zh: Mapping[str, str]
    labels: Mapping[str, object]  # the column's name in the reader's language (lazy)
    messages: Mapping[str, object] = dataclass_field(default_factory=dict)
    max_rows: int = 10_000
    header_names: Mapping[str, str] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "header_names", {header_key(alias): column for column, aliases in
                                                  self.aliases.items() for alias in aliases})

    @property
    def expected(self) -> str:
        """The columns as the messages list them: 姓名/name, 手机号/phone …"""
        return ", ".join(f"{self.headers_zh[column]}/{column}" for column in self.columns)

    def message(self, code: str):
        return self.messages.get(code) or FILE_MESSAGES[code]

    def error(self, line: int, code: str, field: str | None = None, /, **params) -> "LineError":
        return LineError(line, code, field, params, format=self)


@dataclass(frozen=True)
class LineError:
    """A problem of one line of the file (the header is line 1), by a stable ``code`` and its parameters."""

    line: int
    code: str
    field: str | None = None  # the column, when one is to blame
    params: dict = dataclass_field(default_factory=dict, hash=False)
    format: ImportFormat | None = dataclass_field(default=None, compare=False, hash=False, repr=False)

    @property
    def message(self) -> str:
        """In the reader's language (English outside a request)."""
        return say(self._template(), **self._params())

    @property
    def reason(self) -> str:
        """In English, whatever the reader's language."""
        return english(self._template(), **self._params())

    def _template(self):
        return self.format.message(self.code) if self.format is not None else FILE_MESSAGES[self.code]

    def _params(self) -> dict:
        params = dict(self.params)
        if "column" in params and "column_name" not in params and self.format is not None:
            params["column_name"] = self.format.labels.get(params["column"], params["column"])
        return params


@dataclass(frozen=True)
class Line:
    line: int
    values: dict[str, str]  # every column of the format: its value stripped, "" when empty or absent


@dataclass
class Lines:
    lines: list[Line]
    columns: list[str | None]  # by position: the column each header cell names (None: ignored)
    errors: list[LineError]
    warnings: list[LineError]
    encoding: str
    lines_in_file: int
    broken_line: int | None = None  # the line a record could not be read at (its error is in ``errors``)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_lines(sheet: Sheet, fmt: ImportFormat) -> Lines:
    """The lines of a sheet and what is wrong with its header or its records; pure (no database). A header error
    gives no lines at all (nothing else can be read right)."""
    errors: list[LineError] = []
    warnings: list[LineError] = []
    header = next((cells for _line, cells in sheet.records), None)
    if header is None or not any(cell.strip() for cell in header):
        code = sheet.broken[1] if sheet.broken is not None else "empty_file"
        line = sheet.broken[0] if sheet.broken is not None else 1
        return Lines([], [], [fmt.error(line, code)], [], sheet.encoding, sheet.lines)
    columns = _columns(header, fmt, errors, warnings)
    if errors:
        return Lines([], columns, errors, warnings, sheet.encoding, sheet.lines)

    lines: list[Line] = []
    unnamed_warned: set[int] = set()
    unknown = {i for i, cell in enumerate(header) if cell.strip() and fmt.header_names.get(header_key(cell)) is None}
    last_line = 1
    for line, cells in sheet.records:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, and the ",,,," lines spreadsheets leave at the end
        last_line = max(sheet.lines, line)
        if len(lines) >= fmt.max_rows:
            errors.append(fmt.error(line, "too_many_lines", count=fmt.max_rows))
            break
        for position, cell in enumerate(cells, start=1):
            if (position > len(columns) or columns[position - 1] is None) and cell.strip() \
                    and position not in unnamed_warned and position - 1 not in unknown \
                    and len(unnamed_warned) < MAX_UNNAMED_WARNINGS:
                unnamed_warned.add(position)
                warnings.append(fmt.error(line, "unnamed_column", position=position))
        values = dict.fromkeys(fmt.columns, "")
        values.update({column: cells[i].strip() for i, column in enumerate(columns)
                       if column is not None and i < len(cells)})
        lines.append(Line(line, values))
    broken_line = None
    if sheet.broken is not None:
        broken_line, code = sheet.broken
        errors.append(fmt.error(broken_line, code))
        last_line = max(last_line, broken_line)
    return Lines(lines, columns, errors, warnings, sheet.encoding, last_line, broken_line)


def missing_value(fmt: ImportFormat, line: int, column: str) -> LineError:
    return fmt.error(line, "missing_value", column, column=column)


def header_key(label: str) -> str:
    """A header as it is matched: 手机号（必填）, "Phone Number" and phone_number all mean one thing."""
    text = unicodedata.normalize("NFKC", label.strip()).lower()
    return "".join(ch for ch in text if ch not in " _-()（）*")


def _columns(header: list[str], fmt: ImportFormat, errors: list[LineError],
             warnings: list[LineError]) -> list[str | None]:
    columns: list[str | None] = []
    for position, cell in enumerate(header[:MAX_HEADER], start=1):
        label = cell.strip()
        column = fmt.header_names.get(header_key(label)) if label else None
        if label and column is None:
            warnings.append(fmt.error(1, "unknown_column", position=position, label=shown(label),
                                      expected=fmt.expected))
        elif column is not None and column in columns:
            errors.append(fmt.error(1, "duplicate_column", column, label=shown(label)))
            column = None
        columns.append(column)
    for column in fmt.required:
        if column not in columns:
            errors.append(fmt.error(1, "missing_column", column, column=column, label=fmt.headers_zh[column]))
    while columns and columns[-1] is None:
        columns.pop()
    return columns
