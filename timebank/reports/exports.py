"""A report's table as a download: CSV in UTF-8 with a BOM (so Excel shows the Chinese, not 乱码) or XLSX (openpyxl,
numbers as numbers with two places), headers in the reader's language, the total last."""
from __future__ import annotations

import csv
import io

from openpyxl.utils import get_column_letter

from timebank.reports.tables import COUNT, CREDITS, HOURS, TEXT, Table, cell_text

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
    """Written in openpyxl's write-only mode (rows streamed, styles per cell only where needed): tens of thousands
    of rows in a second or two, where the ordinary mode takes half a minute."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])  # Excel's limit on a sheet's name
    kinds = [c.kind for c in table.columns]
    for index, kind in enumerate(kinds, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 20 if kind == TEXT else 14
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def styled(value, *, number: bool, strong: bool = False):
        cell = WriteOnlyCell(sheet, value=value)
        if number:
            cell.number_format = "0.00"
        if strong:
            cell.font = bold
        return cell

    sheet.append([styled(header, number=False, strong=True) for header in table.headers])
    decimal = [kind in (CREDITS, HOURS) for kind in kinds]
    for row in table.rows:
        sheet.append([styled(float(value), number=True) if is_decimal else _xlsx_value(value, kind)
                      for value, kind, is_decimal in zip(row, kinds, decimal)])
    if table.total is not None:
        sheet.append([styled(_xlsx_value(value, kind), number=kind in (CREDITS, HOURS), strong=True)
                      for value, kind in zip(table.total, kinds)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_value(value, kind: str):
    if kind in (CREDITS, HOURS):
        return float(value)
    if kind == COUNT:
        return value if value != "" else None
    return _safe(cell_text(value, kind)) or None
