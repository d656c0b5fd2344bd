"""``/api/v1/volunteers`` (SPEC §8). Each view: load, one service, dump."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response
from flask_babel import get_locale

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.errors import ValidationFailed
from timebank.request_limits import MAX_UPLOAD_BODY, accepts_body_up_to
from timebank.volunteers import csv_import, services
from timebank.volunteers.permissions import (CHANGE_VOLUNTEER, IMPORT_VOLUNTEERS, LIST_VOLUNTEERS, READ_VOLUNTEER,
                                             REGISTER_VOLUNTEER)
from timebank.spreadsheets.reading import say
from timebank.spreadsheets.schemas import IMPORT_BODY, template_responses
from timebank.spreadsheets.uploads import required_file
from timebank.volunteers.schemas import (
    ImportQuerySchema,
    ImportReportSchema,
    ImportTemplateQuerySchema,
    VolunteerCreateSchema,
    VolunteerListQuerySchema,
    VolunteerPageSchema,
    VolunteerSchema,
    VolunteerUpdateSchema,
)

blp = ApiBlueprint("volunteers", __name__, description="Volunteers (志愿者) and their profiles")


@blp.post("/volunteers")
@allow(REGISTER_VOLUNTEER)
@blp.arguments(VolunteerCreateSchema)
@blp.response(201, VolunteerSchema, description="the new volunteer")
@blp.refuses(409, "already_exists: the phone number is already registered")
def create_volunteer(data):
    """Register a volunteer (staff - in their own center only)"""
    return services.create_volunteer(get_db(), actor=current_principal(), **data)


@blp.get("/volunteers")
@allow(LIST_VOLUNTEERS)
@blp.arguments(VolunteerListQuerySchema, location="query")
@blp.response(200, VolunteerPageSchema, description="one page of volunteers")
def list_volunteers(query):
    """The volunteers of the caller's centers (all for an admin), newest first"""
    return services.list_volunteers(get_db(), actor=current_principal(), **query)


@blp.get("/volunteers/<int:volunteer_id>")
@allow(READ_VOLUNTEER)
@blp.response(200, VolunteerSchema, description="the volunteer")
def get_volunteer(volunteer_id: int):
    """One volunteer (a volunteer may read only their own profile; others are 404)"""
    return services.get_volunteer(get_db(), actor=current_principal(), volunteer_id=volunteer_id)


@blp.patch("/volunteers/<int:volunteer_id>")
@allow(CHANGE_VOLUNTEER)
@blp.arguments(VolunteerUpdateSchema, required=False)
@blp.response(200, VolunteerSchema, description="the volunteer as they are now")
@blp.refuses(409, "already_exists: the new phone number is already registered")
def update_volunteer(data, volunteer_id: int):
    """Change a volunteer's details or home center, or deactivate them"""
    return services.update_volunteer(get_db(), actor=current_principal(), volunteer_id=volunteer_id, **data)


@blp.post("/volunteers/import")
@allow(IMPORT_VOLUNTEERS)
@accepts_body_up_to(MAX_UPLOAD_BODY)
@blp.arguments(ImportQuerySchema, location="query")
@blp.response(201, ImportReportSchema, description="imported; the report")
@blp.alt_response(200, schema=ImportReportSchema, description="the dry run's report", success=True)
@blp.refuses(400, "bad_request: the multipart form could not be read")
@blp.refuses(413, "payload_too_large: the body is larger than 5 MB")
@blp.doc(requestBody=IMPORT_BODY)
def import_volunteers(query):
    """Import volunteers from a CSV or XLSX file (all or nothing; dry_run=true only reports)

    Columns (header in Chinese or English, any order) - 姓名/name, 手机号/phone, 服务中心/center (code), and
    optionally 身份证后四位/id_card_tail, 出生年份/birth_year; any other column is ignored with a warning.
    CSV in UTF-8 (with or without BOM), GB18030 or UTF-16, or an XLSX workbook (its first sheet); at most 5 MB.
    A file that is no CSV or XLSX, or is larger than 5 MB, is refused with 422 and fields.file.
    A dry run answers 200 with a report of every bad line. A real import answers 201 with the report when every
    line is good, and otherwise 422 (validation_error) with fields.lines mapping each bad line number to its
    reasons, creating nothing. Lines whose phone is already registered with the same details are skipped.
    """
    report = csv_import.import_volunteers(get_db(), actor=current_principal(), csv_text=required_file(),
                                          dry_run=query["dry_run"])
    if not report.dry_run and report.errors:
        lines: dict[str, list[str]] = {}
        for error in report.errors:
            lines.setdefault(str(error.line), []).append(error.message)
        raise ValidationFailed(say(csv_import.NOTHING_IMPORTED, count=len(lines)), fields={"lines": lines})
    return report, 200 if report.dry_run else 201


@blp.get("/volunteers/import-template")
@allow(IMPORT_VOLUNTEERS)
@blp.arguments(ImportTemplateQuerySchema, location="query")
@blp.doc(responses=template_responses())
def volunteer_import_template(query):
    """A blank import file (headers only): CSV with a BOM so that Excel shows the Chinese, or XLSX"""
    return template_response(query["format"])


def template_response(kind: str):
    """The template as a download, its headers in the request's language (Chinese unless English is chosen)."""
    locale = get_locale()
    data, content_type, filename = csv_import.import_template(kind, chinese=locale is None or
                                                              locale.language != "en")
    response = Response(data, content_type=content_type)
    response.headers["Content-Disposition"] = (f"attachment; filename=\"volunteer-import-template.{kind}\"; "
                                               f"filename*=UTF-8''{quote(filename)}")
    return response
