"""``POST /api/v1/service-records/import`` (SPEC §8.1) and its template: the record-book import's HTTP face."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response
from flask_babel import get_locale
from marshmallow import fields

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.errors import ValidationFailed
from timebank.hours import import_format, record_import
from timebank.hours.permissions import IMPORT_HOURS
from timebank.request_limits import MAX_UPLOAD_BODY, accepts_body_up_to
from timebank.schemas import Schema
from timebank.spreadsheets.reading import say
from timebank.spreadsheets.schemas import (IMPORT_BODY, ImportQuerySchema, ImportTemplateQuerySchema,
                                           LineErrorSchema, template_responses)
from timebank.spreadsheets.uploads import required_file

blp = ApiBlueprint("service-record-import", __name__,
                   description="Importing the paper record books (纸质记录本) as pending service records")


class RecordImportReportSchema(Schema):
    dry_run = fields.Boolean(required=True)
    ok = fields.Boolean(required=True, metadata={"description": "true when no line has an error"})
    created = fields.Integer(required=True, metadata={"description": "records created (dry run: the good new lines "
                                                                      "that would be)"})
    skipped = fields.Integer(required=True, metadata={"description": "lines imported before: nothing new"})
    total_lines = fields.Integer(required=True, metadata={"description": "data lines (not the header or blanks)"})
    lines_in_file = fields.Integer(required=True)
    encoding = fields.String(required=True, metadata={"description": "utf-8, utf-8-sig, gb18030, utf-16 or xlsx"})
    errors = fields.List(fields.Nested(LineErrorSchema), required=True)
    warnings = fields.List(fields.Nested(LineErrorSchema), required=True,
                           metadata={"description": "what was ignored (an unknown column …); the file imports"})


@blp.post("/service-records/import")
@allow(IMPORT_HOURS)
@accepts_body_up_to(MAX_UPLOAD_BODY)
@blp.arguments(ImportQuerySchema, location="query")
@blp.response(201, RecordImportReportSchema, description="imported: the report")
@blp.alt_response(200, schema=RecordImportReportSchema, description="the dry run's report", success=True)
@blp.refuses(400, "bad_request: the multipart form could not be read")
@blp.refuses(409, "overlap: another record was entered for a volunteer meanwhile (nothing is created)")
@blp.refuses(413, "payload_too_large: the body is larger than 5 MB")
@blp.doc(requestBody=IMPORT_BODY)
def import_service_records(query):
    """Import a record book (CSV or XLSX) as pending service records: all or nothing; dry_run=true only reports

    Columns (header in Chinese or English, any order) - 志愿者手机号/phone or 志愿者编号/volunteer_id, optionally
    志愿者姓名/name, 服务类型/service_type (code or name), 日期/date, 开始时间/start, 结束时间/end, optionally
    备注/note; an admin's file also 服务中心/center (staff import into their own center). Times are the center's
    clock (TIMEBANK_TIMEZONE). CSV in UTF-8 (with or without BOM), GB18030/GBK or UTF-16, or XLSX; at most 5 MB.
    A file that cannot be read is refused with 422 (413 when too large) and fields.file.
    A dry run answers 200 with every bad line: {line, field, code, message}. A real import answers 201 when every
    line is good, else 422 (validation_error) with fields.lines mapping each bad line to its reasons, creating
    nothing. Lines imported before (same center, volunteer, type, start and end) are counted as skipped.
    """
    report = record_import.import_records(get_db(), actor=current_principal(), data=required_file(),
                                          dry_run=query["dry_run"])
    if not report.dry_run and report.errors:
        lines: dict[str, list[str]] = {}
        for error in report.errors:
            lines.setdefault(str(error.line), []).append(error.message)
        raise ValidationFailed(say(import_format.NOTHING_IMPORTED, count=len(lines)), fields={"lines": lines})
    return report, 200 if report.dry_run else 201


@blp.get("/service-records/import-template")
@allow(IMPORT_HOURS)
@blp.arguments(ImportTemplateQuerySchema, location="query")
@blp.doc(responses=template_responses())
def service_record_import_template(query):
    """A blank record-book file (headers only): CSV with a BOM so that Excel shows the Chinese, or XLSX"""
    return template_response(query["format"], actor=current_principal())


def template_response(kind: str, *, actor):
    """The template as a download, its headers in the request's language (Chinese unless English is chosen), with
    the center column for whoever imports into several centers."""
    locale = get_locale()
    data, content_type, filename = import_format.import_template(
        kind, chinese=locale is None or locale.language != "en",
        with_center=record_import.needs_center_column(actor))
    response = Response(data, content_type=content_type)
    response.headers["Content-Disposition"] = (f"attachment; filename=\"service-record-import-template.{kind}\"; "
                                               f"filename*=UTF-8''{quote(filename)}")
    return response
