"""The report pages: ``/reports/`` (the three reports) and ``/reports/<name>``: filters, a chart drawn on the server
(inline SVG), the table (paged, scrolling in its box on a phone) and the same report as CSV or XLSX
(``?format=csv``, with the page's session). Each view: load the query, one service, render."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, render_template, request, url_for
from flask_babel import format_date, get_locale
from markupsafe import Markup
from marshmallow import ValidationError

from timebank.auth.access import allow
from timebank.clock import utcnow
from timebank.db import get_read_db
from timebank.errors import ValidationFailed
from timebank.paging import MAX_PAGE, Page
from timebank.reports import queries, rules, services
from timebank.reports.api import download_response
from timebank.reports.charts import CHARTS
from timebank.reports.permissions import READ_REPORTS
from timebank.reports.schemas import ReportQuerySchema
from timebank.reports.tables import cell_text
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FormState

bp = page_blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")

PER_PAGE = 50


@bp.get("/", endpoint="index")
@allow(READ_REPORTS)
def index():
    return render_template("reports/index.html", names=rules.NAMES, titles=rules.TITLES,
                           descriptions=rules.DESCRIPTIONS)


@bp.get("/<name>")
@allow(READ_REPORTS)
def report(name: str):
    db, actor = get_read_db(), current_principal()
    zone = current_app.config["TIMEZONE"]
    now = utcnow()
    today = now.astimezone(ZoneInfo(zone)).date()
    if name not in rules.NAMES:
        raise services.UnknownReport(report=name)
    schema = ReportQuerySchema()
    accepted = {f.data_key or key for key, f in schema.fields.items()}
    values = {key: value.strip() for key, value in request.args.items() if key in accepted and value.strip()}
    if name == rules.HOURS and "from" not in values and "to" not in values:
        first, last = rules.twelve_months_back(today)
        values.update({"from": first.isoformat(), "to": last.isoformat()})
    state = FormState(values=dict(values))
    english = (locale := get_locale()) is not None and locale.language == "en"
    found = None
    try:
        query = schema.load(values)
        kind = query.pop("format")
        found = services.run_report(db, actor=actor, name=name, zone=zone, now=now, **query)
    except (ValidationError, ValidationFailed) as error:
        state.refuse(error)
    if found is not None and kind != "json":
        return download_response(services.download(name, found, kind=kind, english=english, today=today))
    table = chart = rows = None
    if found is not None:
        table = services.report_table(name, found, english=english)
        rows = _page_of(table.rows, request.args.get("page", 1, type=int) or 1)
        chart = Markup(CHARTS[name](found, english=english))  # our own SVG, its text escaped by ElementTree
    centers = queries.center_choices(db, actor=actor)
    drive_options = [(d.id, f"{d.name} ({format_date(d.opens_at, 'yyyy-MM-dd')})")
                     for d in getattr(found, "drives", ())]
    links = {kind: url_for("reports.report", name=name, **{k: v for k, v in values.items() if k != "format"},
                           format=kind) for kind in ("csv", "xlsx")}
    return render_template("reports/report.html", name=name, title=rules.TITLES[name],
                           description=rules.DESCRIPTIONS[name], report=found, table=table, rows=rows, chart=chart,
                           state=state, centers=centers, drive_options=drive_options, links=links,
                           cell_text=cell_text), state.status


def _page_of(items: tuple, page: int) -> Page:
    """One page of the report's grouped rows (the database has grouped them; this only cuts the list)."""
    pages = max(1, -(-len(items) // PER_PAGE))
    page = min(max(page, 1), pages, MAX_PAGE)
    start = (page - 1) * PER_PAGE
    return Page(items=items[start:start + PER_PAGE], total=len(items), page=page, per_page=PER_PAGE, pages=pages)
