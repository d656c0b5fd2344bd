"""``GET /api/v1/reports/{name}`` (SPEC §8.1, §3.7): load the query, run the report on the read database, answer
it as JSON, CSV or XLSX."""
from __future__ import annotations

from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Response, current_app, jsonify
from flask_babel import get_locale

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.clock import utcnow
from timebank.db import get_read_db
from timebank.reports import services
from timebank.reports.permissions import READ_REPORTS
from timebank.reports.schemas import REPORT_SCHEMAS, ReportQuerySchema
from timebank.reports.services import Download

blp = ApiBlueprint("reports", __name__, description="Reports (统计报表): hours and credits, the credits outstanding, "
                                                    "a drive's pickups")

_ANSWERS = {"200": {
    "description": "the report: hours (per center, service type and month), liability (per home center) or drive "
                   "(per pickup center); as CSV or XLSX with format=",
    "content": {
        "application/json": {"schema": {"anyOf": list(REPORT_SCHEMAS.values())}},
        "text/csv": {"schema": {"type": "string"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string",
                                                                                          "format": "binary"}},
    }}}


@blp.get("/reports/<name>")
@allow(READ_REPORTS)
@blp.arguments(ReportQuerySchema, location="query")
@blp.doc(responses=_ANSWERS)
def get_report(query, name: str):
    """A report: hours, liability or drive (admins: every center; staff: their own only)"""
    kind = query.pop("format")
    now = utcnow()
    report = services.run_report(get_read_db(), actor=current_principal(), name=name,
                                 zone=current_app.config["TIMEZONE"], now=now, **query)
    if kind == "json":
        return jsonify(REPORT_SCHEMAS[name]().dump(report))
    english = (locale := get_locale()) is not None and locale.language == "en"
    today = now.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()
    return download_response(services.download(name, report, kind=kind, english=english, today=today))


def download_response(file: Download) -> Response:
    response = Response(file.data, content_type=file.content_type)
    response.headers["Content-Disposition"] = (f"attachment; filename=\"{file.ascii_name}\"; "
                                               f"filename*=UTF-8''{quote(file.name)}")
    return response
