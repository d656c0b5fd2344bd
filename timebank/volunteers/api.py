"""``/api/v1`` for volunteers (SPEC §8). Each view: load, one service, dump."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, request
from flask_babel import get_locale

from timebank.api import bp, current_principal, load_body, load_query
from timebank.auth.access import ROLES, allow
from timebank.db import get_db
from timebank.errors import ValidationFailed
from timebank.volunteers import services
from timebank.volunteers import csv_import
from timebank.volunteers.spreadsheet import check_size, refuse, say, too_large
from timebank.volunteers.schemas import (
    ImportReportSchema,
    ImportTemplateQuerySchema,
    VolunteerCreateSchema,
    VolunteerImportQuerySchema,
    VolunteerListQuerySchema,
    VolunteerPageSchema,
    VolunteerSchema,
    VolunteerUpdateSchema,
)

@bp.post("/volunteers")
@allow("admin", "staff")
def create_volunteer():
    """Register a volunteer.
    ---
    post:
      tags: [volunteers]
      summary: Register a volunteer (staff - in their own center only)
      requestBody:
        required: true
        content:
          application/json:
            schema: VolunteerCreateSchema
      responses:
        201:
          description: the new volunteer
          content:
            application/json:
              schema: VolunteerSchema
        409:
          description: the phone number is already registered (already_exists)
    """
    data = load_body(VolunteerCreateSchema)
    return VolunteerSchema().dump(services.create_volunteer(get_db(), actor=current_principal(), **data)), 201


@bp.get("/volunteers")
@allow("admin", "staff", "supervisor")
def list_volunteers():
    """The volunteers the caller may see.
    ---
    get:
      tags: [volunteers]
      summary: The volunteers of the caller's centers (all for an admin), newest first
      parameters:
        - in: query
          schema: VolunteerListQuerySchema
      responses:
        200:
          description: one page of volunteers
          content:
            application/json:
              schema: VolunteerPageSchema
    """
    query = load_query(VolunteerListQuerySchema)
    return VolunteerPageSchema().dump(services.list_volunteers(get_db(), actor=current_principal(), **query))


@bp.get("/volunteers/<int:volunteer_id>")
@allow(*ROLES)
def get_volunteer(volunteer_id: int):
    """One volunteer.
    ---
    get:
      tags: [volunteers]
      summary: One volunteer (a volunteer may read only their own profile; others are 404)
      responses:
        200:
          description: the volunteer
          content:
            application/json:
              schema: VolunteerSchema
    """
    return VolunteerSchema().dump(services.get_volunteer(get_db(), actor=current_principal(),
                                                         volunteer_id=volunteer_id))


@bp.patch("/volunteers/<int:volunteer_id>")
@allow("admin", "staff")
def update_volunteer(volunteer_id: int):
    """Correct or (de)activate a volunteer.
    ---
    patch:
      tags: [volunteers]
      summary: Change a volunteer's details or home center, or deactivate them
      requestBody:
        required: true
        content:
          application/json:
            schema: VolunteerUpdateSchema
      responses:
        200:
          description: the volunteer as they are now
          content:
            application/json:
              schema: VolunteerSchema
        409:
          description: the new phone number is already registered (already_exists)
    """
    data = load_body(VolunteerUpdateSchema)
    return VolunteerSchema().dump(services.update_volunteer(get_db(), actor=current_principal(),
                                                            volunteer_id=volunteer_id, **data))


@bp.post("/volunteers/import")
@allow("admin", "staff")
def import_volunteers():
    """Import volunteers from a CSV or XLSX file.
    ---
    post:
      tags: [volunteers]
      summary: Import volunteers from a CSV or XLSX file (all or nothing; dry_run=true only reports)
      description: >
        Columns (header in Chinese or English, any order) - 姓名/name, 手机号/phone, 服务中心/center (code), and
        optionally 身份证后四位/id_card_tail, 出生年份/birth_year; any other column is ignored with a warning.
        CSV in UTF-8 (with or without BOM), GB18030 or UTF-16, or an XLSX workbook (its first sheet); at most 5 MB.
        Send the file as the request body or as the `file` part of a multipart form.
        A dry run answers 200 with a report of every bad line. A real import answers 201 with the report when every
        line is good, and otherwise 422 (validation_error) with fields.lines mapping each bad line number to its
        reasons, creating nothing. Lines whose phone is already registered with the same details are skipped.
        A file that is no CSV or XLSX, or is larger than 5 MB, is refused with 422 and fields.file.
      parameters:
        - in: query
          schema: VolunteerImportQuerySchema
      requestBody:
        required: true
        content:
          text/csv:
            schema:
              type: string
          application/vnd.openxmlformats-officedocument.spreadsheetml.sheet:
            schema:
              type: string
              format: binary
          multipart/form-data:
            schema:
              type: object
              properties:
                file:
                  type: string
                  format: binary
      responses:
        200:
          description: the dry run's report
          content:
            application/json:
              schema: ImportReportSchema
        201:
          description: imported; the report
          content:
            application/json:
              schema: ImportReportSchema
    """
    query = load_query(VolunteerImportQuerySchema)
    report = csv_import.import_volunteers(get_db(), actor=current_principal(), csv_text=_uploaded_csv(),
                                          dry_run=query["dry_run"])
    if not report.dry_run and report.errors:
        lines: dict[str, list[str]] = {}
        for error in report.errors:
            lines.setdefault(str(error.line), []).append(error.message)
        raise ValidationFailed(say(csv_import.NOTHING_IMPORTED, count=len(lines)), fields={"lines": lines})
    return ImportReportSchema().dump(report), 200 if report.dry_run else 201


@bp.get("/volunteers/import-template")
@allow("admin", "staff")
def volunteer_import_template():
    """The blank file to fill in for the import.
    ---
    get:
      tags: [volunteers]
      summary: A blank import file (headers only) - CSV with a BOM so that Excel shows the Chinese, or XLSX
      parameters:
        - in: query
          schema: ImportTemplateQuerySchema
      responses:
        200:
          description: the template
          content:
            text/csv:
              schema:
                type: string
            application/vnd.openxmlformats-officedocument.spreadsheetml.sheet:
              schema:
                type: string
                format: binary
    """
    kind = load_query(ImportTemplateQuerySchema)["format"]
    return template_response(kind)


def template_response(kind: str):
    """The template as a download, its headers in the request's language (Chinese unless English is chosen)."""
    locale = get_locale()
    data, content_type, filename = csv_import.import_template(kind, chinese=locale is None or
                                                              locale.language != "en")
    response = Response(data, content_type=content_type)
    response.headers["Content-Disposition"] = (f"attachment; filename=\"volunteer-import-template.{kind}\"; "
                                               f"filename*=UTF-8''{quote(filename)}")
    return response


def _uploaded_csv() -> bytes:
    """The uploaded bytes, never more than the import's cap (the same for the page, the API and the shell)."""
    limit = csv_import.MAX_IMPORT_BYTES
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        raise too_large()  # before reading it
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise refuse(csv_import.NO_FILE)
        data = upload.stream.read(limit + 1)
    else:
        data = request.stream.read(limit + 1)
    check_size(data)
    return data
