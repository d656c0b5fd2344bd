"""``/api/v1`` for volunteers (SPEC §8). Each view: load, one service, dump."""
from __future__ import annotations

from flask import request

from timebank.api import bp, current_principal, load_body, load_query
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.errors import ValidationFailed
from timebank.volunteers import services
from timebank.volunteers import csv_import
from timebank.volunteers.permissions import (
    CHANGE_VOLUNTEER,
    IMPORT_VOLUNTEERS,
    LIST_VOLUNTEERS,
    READ_VOLUNTEER,
    REGISTER_VOLUNTEER,
)
from timebank.volunteers.schemas import (
    ImportReportSchema,
    VolunteerCreateSchema,
    VolunteerImportQuerySchema,
    VolunteerListQuerySchema,
    VolunteerPageSchema,
    VolunteerSchema,
    VolunteerUpdateSchema,
)

MAX_IMPORT_BYTES = 5 * 1024 * 1024  # ~10,000 lines with room to spare


@bp.post("/volunteers")
@allow(REGISTER_VOLUNTEER)
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
@allow(LIST_VOLUNTEERS)
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
@allow(READ_VOLUNTEER)
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
@allow(CHANGE_VOLUNTEER)
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
@allow(IMPORT_VOLUNTEERS)
def import_volunteers():
    """Import volunteers from a CSV file.
    ---
    post:
      tags: [volunteers]
      summary: Import volunteers from a CSV file (all or nothing; dry_run=true only reports)
      description: >
        Columns (header in Chinese or English, any order) - 姓名/name, 手机号/phone, 服务中心/center (code), and
        optionally 身份证后四位/id_card_tail, 出生年份/birth_year. UTF-8 (with or without BOM), GB18030 or UTF-16.
        Send the file as the request body (text/csv) or as the `file` part of a multipart form.
        A dry run answers 200 with a report of every bad line. A real import answers 201 with the report when every
        line is good, and otherwise 422 (validation_error) with fields.lines mapping each bad line number to its
        reasons, creating nothing. Lines whose phone is already registered with the same details are skipped.
      parameters:
        - in: query
          schema: VolunteerImportQuerySchema
      requestBody:
        required: true
        content:
          text/csv:
            schema:
              type: string
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
            lines.setdefault(str(error.line), []).append(error.reason)
        raise ValidationFailed(f"{len(lines)} line(s) of the file have errors; nothing was imported",
                               fields={"lines": lines})
    return ImportReportSchema().dump(report), 200 if report.dry_run else 201


def _uploaded_csv() -> bytes:
    if request.content_length is not None and request.content_length > MAX_IMPORT_BYTES:
        raise ValidationFailed("the file is too large", fields={"file": [f"at most {MAX_IMPORT_BYTES} bytes"]})
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed("no file", fields={"file": ["Missing data for required field."]})
        data = upload.stream.read(MAX_IMPORT_BYTES + 1)
    else:
        data = request.get_data(cache=False)
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationFailed("the file is too large", fields={"file": [f"at most {MAX_IMPORT_BYTES} bytes"]})
    if not data.strip():
        raise ValidationFailed("the file is empty", fields={"file": ["the file is empty"]})
    return data


