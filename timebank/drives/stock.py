"""A drive's stock, moved in the caller's unit of work by guarded ``UPDATE``s (SPEC §4.3, §4.9).

Each (drive, center, item) row is changed by one statement whose ``WHERE`` states the rule on the values after the
change (``held + sold + q <= stock`` to hold; ``held >= q`` to release or sell), so two reservations of the last
units cannot both succeed: the second waits on the row and then finds its guard false. Rows are always changed in
one order (center, then item), so two requests never wait on each other crosswise; the check constraint on the table
is the backstop. None of these commits.
"""
from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from timebank.drives.models import DriveStock

DS = DriveStock.__table__

_KEY = (DS.c.drive_id == bindparam("drive"), DS.c.center_id == bindparam("center"), DS.c.item_id == bindparam("item"))
_HOLD = update(DS).where(*_KEY, DS.c.held + DS.c.sold + bindparam("qty") <= DS.c.stock).values(
    held=DS.c.held + bindparam("qty"))
_RELEASE = update(DS).where(*_KEY, DS.c.held >= bindparam("qty")).values(held=DS.c.held - bindparam("qty"))
_SELL = update(DS).where(*_KEY, DS.c.held >= bindparam("qty")).values(held=DS.c.held - bindparam("qty"),
                                                                      sold=DS.c.sold + bindparam("qty"))
_SET_STOCK = update(DS).where(*_KEY, DS.c.held + DS.c.sold <= bindparam("new_stock")).values(
    stock=bindparam("new_stock"))
_LEFT = select(DS.c.stock - DS.c.held - DS.c.sold).where(*_KEY)


class StockInvariantBroken(AssertionError):
    """A reservation's stock is not where its status says: a bug or corruption. Assertions stay on."""


def hold(s: Session, *, drive_id: int, center_id: int, quantities: dict[int, int]) -> int | None:
    """Hold ``{item_id: quantity}`` at one center, in item order. Returns the first item there is not enough of
    (the caller refuses, rolling back what was held before it), or ``None`` when every line is held."""
    for item_id in sorted(quantities):
        params = {"drive": drive_id, "center": center_id, "item": item_id, "qty": quantities[item_id]}
        if s.execute(_HOLD, params).rowcount != 1:
            return item_id
    return None


def release(s: Session, *, drive_id: int, center_id: int, quantities: dict[int, int]) -> None:
    """Give held stock back (a cancelled or voided reservation)."""
    _move(s, _RELEASE, drive_id, center_id, quantities, "release")


def sell(s: Session, *, drive_id: int, center_id: int, quantities: dict[int, int]) -> None:
    """Held stock handed over at the desk: from ``held`` to ``sold``."""
    _move(s, _SELL, drive_id, center_id, quantities, "sell")


def left(s: Session, *, drive_id: int, center_id: int, item_id: int) -> int:
    """What is left of an item at a center (0 where the drive has none of it there)."""
    found = s.execute(_LEFT, {"drive": drive_id, "center": center_id, "item": item_id}).scalar()
    return max(0, found or 0)


def set_stock(s: Session, *, drive_id: int, center_id: int, item_id: int, stock: int) -> bool:
    """Set one row's stock, never below what is held and sold (then ``False``)."""
    params = {"drive": drive_id, "center": center_id, "item": item_id, "new_stock": stock}
    return s.execute(_SET_STOCK, params).rowcount == 1


def _move(s: Session, statement, drive_id: int, center_id: int, quantities: dict[int, int], what: str) -> None:
    for item_id in sorted(quantities):
        params = {"drive": drive_id, "center": center_id, "item": item_id, "qty": quantities[item_id]}
        if s.execute(statement, params).rowcount != 1:
            raise StockInvariantBroken(f"cannot {what} {quantities[item_id]} of item {item_id} at center "
                                       f"{center_id} in drive {drive_id}: it is not held there")
