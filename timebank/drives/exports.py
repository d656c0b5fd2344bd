"""A center's pick list as a CSV file: UTF-8 with a BOM (so Excel shows the Chinese, not 乱码), headers in the
reader's language; first the totals per item, then one line per item of each reservation, the held ones first."""
from __future__ import annotations

import csv
import io

from flask_babel import lazy_gettext as _l

from timebank.drives.display import status_name
from timebank.drives.reservation_queries import PickList

_BOM = "\ufeff"
TOTAL_HEADERS = (_l("SKU"), _l("Item"), _l("Unit"), _l("Stock"), _l("To prepare"), _l("Picked up"))
LINE_HEADERS = (_l("Reservation number"), _l("Status"), _l("Volunteer number"), _l("Volunteer"), _l("SKU"), _l("Item"),
                _l("Quantity"), _l("Unit"))
# A cell Excel would run as a formula (=, +, -, @ first) is written with a leading apostrophe: the text as it is.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def pick_list_csv(pick: PickList, *, english: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([str(h) for h in TOTAL_HEADERS])
    for item in pick.items:
        writer.writerow([_cell(item.sku), _cell(_name(item, english)), _cell(item.unit), item.stock, item.held,
                         item.sold])
    writer.writerow([])
    writer.writerow([str(h) for h in LINE_HEADERS])
    for reservation in pick.reservations:
        for line in reservation.lines:
            writer.writerow([reservation.id, str(status_name(reservation.status)), reservation.volunteer_id,
                             _cell(reservation.volunteer_name), _cell(line.sku), _cell(_name(line, english)),
                             line.quantity, _cell(line.unit)])
    return (_BOM + out.getvalue()).encode("utf-8")


def file_name(pick: PickList, *, english: bool) -> tuple[str, str]:
    """``(ASCII name, the name in the reader's language)`` of the download."""
    ascii_name = f"pick-list-drive-{pick.drive_id}-{pick.center}.csv"
    return ascii_name, ascii_name if english else f"备货单-{pick.drive_name}-{pick.center_name}.csv"


def _name(thing, english: bool) -> str:
    return thing.name_en if english and thing.name_en else thing.name_zh


def _cell(text: str) -> str:
    return "'" + text if text and text.startswith(_FORMULA_STARTS) else text
