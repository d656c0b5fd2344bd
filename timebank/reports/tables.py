"""Each report as one table: its columns (a header in the reader's language and a kind) and its rows of plain
values, the total last. The page's table, the CSV and the XLSX are all written from it, so they hold the same rows."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from timebank.reports import rules
from timebank.reports.queries import DriveReport, HoursReport, LiabilityReport

TEXT, COUNT, CREDITS, HOURS = "text", "count", "credits", "hours"
TOTAL = _l("Total")


@dataclass(frozen=True)
class Column:
    label: object  # a lazy translation
    kind: str  # text | count | credits | hours


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[tuple, ...]  # plain values: str, int, Decimal (credits and hours, two places)
    total: tuple | None = None

    @property
    def headers(self) -> list[str]:
        return [str(c.label) for c in self.columns]

    def all_rows(self) -> tuple[tuple, ...]:
        return self.rows + ((self.total,) if self.total is not None else ())


def credits(hundredths: int) -> Decimal:
    return Decimal(hundredths).scaleb(-2)


def hours(minutes: int) -> Decimal:
    return Decimal(rules.hours_text(minutes))


def cell_text(value, kind: str) -> str:
    """A cell as the page and the CSV write it."""
    if value is None:
        return ""
    if kind in (CREDITS, HOURS):
        return f"{value:.2f}"
    return str(value)


_CENTER = (Column(_l("Center code"), TEXT), Column(_l("Center"), TEXT))


def hours_table(report: HoursReport, *, english: bool) -> Table:
    columns = (Column(_l("Month"), TEXT), *_CENTER, Column(_l("Service type"), TEXT),
               Column(_l("Approved records"), COUNT), Column(_l("Hours"), HOURS), Column(_l("Credits"), CREDITS))
    rows = tuple((r.month, r.center, r.center_name, (r.service_type_name_en if english else r.service_type_name)
                  or r.service_type, r.records, hours(r.minutes), credits(r.credits)) for r in report.rows)
    t = report.totals
    return Table(columns, rows, (str(TOTAL), "", "", "", t.records, hours(t.minutes), credits(t.credits)))


def liability_table(report: LiabilityReport, *, english: bool) -> Table:
    columns = (*_CENTER, Column(_l("Volunteers with credits"), COUNT), Column(_l("Credits outstanding"), CREDITS),
               Column(_l("Held for reservations"), CREDITS), Column(_l("Available"), CREDITS),
               Column(_l("Expiring within 30 days"), CREDITS), Column(_l("Expiring within 90 days"), CREDITS),
               Column(_l("Goods of the coming drive (credits)"), CREDITS))

    def line(r, code, name):
        return (code, name, r.volunteers, credits(r.outstanding), credits(r.held), credits(r.available),
                credits(r.expiring_30d), credits(r.expiring_90d), credits(r.stock_value))

    return Table(columns, tuple(line(r, r.center, r.center_name) for r in report.rows),
                 line(report.total, str(TOTAL), ""))


def drive_table(report: DriveReport, *, english: bool) -> Table:
    columns = (*_CENTER, Column(_l("Reservations made"), COUNT), Column(_l("Picked up"), COUNT),
               Column(_l("Not picked up"), COUNT), Column(_l("Cancelled"), COUNT), Column(_l("Still held"), COUNT),
               Column(_l("Credits redeemed"), CREDITS))

    def line(r, code, name):
        return (code, name, r.reservations, r.fulfilled, r.no_shows, r.cancelled, r.held, credits(r.redeemed))

    return Table(columns, tuple(line(r, r.center, r.center_name) for r in report.rows),
                 line(report.total, str(TOTAL), ""))


TABLES = {rules.HOURS: hours_table, rules.LIABILITY: liability_table, rules.DRIVE: drive_table}
