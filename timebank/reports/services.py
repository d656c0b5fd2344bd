"""The reports' use cases, as the API and the pages call them: run a report by name from a request's query, and
turn it into a download. Reports read ``get_read_db`` (the replica when ``TIMEBANK_REPLICA_URL`` is set)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from timebank.auth.access import Principal
from timebank.db import Database
from timebank.errors import NotFound, ValidationFailed
from timebank.reports import exports, queries, rules
from timebank.reports.permissions import READ_REPORTS
from timebank.reports.tables import TABLES, Table


class UnknownReport(NotFound):
    """There is no such report: they are hours, liability and drive."""


@dataclass(frozen=True)
class Download:
    data: bytes
    content_type: str
    ascii_name: str
    name: str


def run_report(db: Database, *, actor: Principal, name: str, zone: str, now: datetime, center: str | None = None,
               from_: date | None = None, to: date | None = None, drive: int | None = None):
    """The report ``name`` as the ``actor`` may see it (``queries``): 404 for an unknown name, 403 for staff asking
    for another center, 422 for a period that is none."""
    READ_REPORTS.require(actor)
    if name not in rules.NAMES:
        raise UnknownReport(report=name)
    if name == rules.HOURS:
        try:
            period = rules.period(from_, to, zone)
        except ValueError as error:
            field, code = error.args
            raise ValidationFailed(fields={field: [rules.PERIOD_MESSAGES[code]]}) from None
        return queries.hours_report(db, actor=actor, center=center, period=period, zone=zone)
    if name == rules.LIABILITY:
        return queries.liability_report(db, actor=actor, center=center, now=now)
    return queries.drive_report(db, actor=actor, center=center, drive_id=drive, now=now)


def report_table(name: str, report, *, english: bool) -> Table:
    return TABLES[name](report, english=english)


def download(name: str, report, *, kind: str, english: bool, today: date) -> Download:
    """The report as a CSV or XLSX file, with its name in ASCII and in the reader's language."""
    table = report_table(name, report, english=english)
    title = str(rules.TITLES[name])
    if kind == "xlsx":
        data = exports.table_xlsx(table, sheet_title=title)
    else:
        data = exports.table_csv(table)
    scope = f"-{report.center}" if report.center else ""
    ascii_name = f"report-{name}{scope}-{today:%Y%m%d}.{kind}"
    return Download(data, exports.CONTENT_TYPES[kind], ascii_name,
                    ascii_name if english else f"{title}{scope}-{today:%Y%m%d}.{kind}")
