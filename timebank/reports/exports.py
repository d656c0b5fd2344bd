"""A report's table as a download: CSV in UTF-8 with a BOM (so Excel shows the Chinese, not 乱码) or XLSX (openpyxl,
numbers as numbers with two places), headers in the reader's language, the total last."""
from __future__ import annotations

import csv
import io

from timebank.reports.tables import COUNT, CREDITS, HOURS, Table, cell_text

_BOM = "\ufeff"
# A cell Excel would run as a formula (=, +, -, @ first) is written with a leading apostrophe: the text as it is.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _safe(text: str) -> str:
    return "'" + text if text and text.startswith(_FORMULA_STARTS) else text


def table_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers)
    kinds = [c.kind for c in table.columns]
    for row in table.all_rows():
        writer.writerow([_safe(cell_text(value, kind)) if kind not in (COUNT, CREDITS, HOURS)
                         else cell_text(value, kind) for value, kind in zip(row, kinds)])
    return (_BOM + out.getvalue()).encode("utf-8")


def table_xlsx(table: Table, *, sheet_title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = sheet_title[:31]  # Excel's limit on a sheet's name
    sheet.append(table.headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    kinds = [c.kind for c in table.columns]
    for row in table.all_rows():
        sheet.append([_xlsx_value(value, kind) for value, kind in zip(row, kinds)])
    for index, kind in enumerate(kinds, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 14 if kind != "text" else 20
        if kind in (CREDITS, HOURS):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.00"
    if table.total is not None:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_value(value, kind: str):
    if kind in (CREDITS, HOURS):
        return float(value)
    if kind == COUNT:
        return value if value != "" else None
    return _safe(cell_text(value, kind)) or None
