"""``/api/v1`` for centers, volunteers, users and service types (SPEC §8). Each view: load, one service, dump."""
from __future__ import annotations

from flask import request

from timebank.api import bp, current_principal, load_body, load_query
from timebank.auth.access import ROLES, allow
from timebank.db import get_db
from timebank.errors import ValidationFailed
from timebank.people import services
from timebank.people.schemas import (
    CenterCreateSchema, CenterListQuerySchema, CenterPageSchema, CenterSchema, CenterUpdateSchema,
    ImportReportSchema, NewUserSchema, ServiceTypeCreateSchema, ServiceTypeListQuerySchema, ServiceTypeSchema,
    ServiceTypeUpdateSchema, UserCreateSchema, UserListQuerySchema, UserPageSchema, UserSchema, UserUpdateSchema,
    VolunteerCreateSchema, VolunteerImportQuerySchema, VolunteerListQuerySchema, VolunteerPageSchema,
    VolunteerSchema, VolunteerUpdateSchema,
)

MAX_IMPORT_BYTES = 5 * 1024 * 1024  # ~10,000 lines with room to spare


# ------------------------------------------------------------------------------------------------------------ centers

@bp.post("/centers")
@allow("admin")
def create_center():
    """Open a center.
    ---
    post:
      tags: [centers]
      summary: Open a center (and its issuance account)
      requestBody:
        required: true
        content:
          application/json:
            schema: CenterCreateSchema
      responses:
        201:
          description: the new center
          content:
            application/json:
              schema: CenterSchema
        409:
          description: a center with this code exists (already_exists)
    """
    data = load_body(CenterCreateSchema)
    return CenterSchema().dump(services.create_center(get_db(), actor=current_principal(), **data)), 201


@bp.get("/centers")
@allow("admin", "staff", "supervisor")
def list_centers():
    """The centers the caller works for.
    ---
    get:
      tags: [centers]
      summary: The centers the caller works for (all of them for an admin), by code
      parameters:
        - in: query
          schema: CenterListQuerySchema
      responses:
        200:
          description: one page of centers
          content:
            application/json:
              schema: CenterPageSchema
    """
    query = load_query(CenterListQuerySchema)
    return CenterPageSchema().dump(services.list_centers(get_db(), actor=current_principal(), **query))


@bp.get("/centers/<int:center_id>")
@allow("admin", "staff", "supervisor")
def get_center(center_id: int):
    """One center.
    ---
    get:
      tags: [centers]
      summary: One center (404 for a center the caller does not work for)
      responses:
        200:
          description: the center
          content:
            application/json:
              schema: CenterSchema
    """
    return CenterSchema().dump(services.get_center(get_db(), actor=current_principal(), center_id=center_id))


@bp.patch("/centers/<int:center_id>")
@allow("admin")
def update_center(center_id: int):
    """Rename, move or (de)activate a center.
    ---
    patch:
      tags: [centers]
      summary: Change a center's name or district, or deactivate it
      requestBody:
        required: true
        content:
          application/json:
            schema: CenterUpdateSchema
      responses:
        200:
          description: the center as it is now
          content:
            application/json:
              schema: CenterSchema
    """
    data = load_body(CenterUpdateSchema)
    return CenterSchema().dump(services.update_center(get_db(), actor=current_principal(), center_id=center_id,
                                                      **data))


# --------------------------------------------------------------------------------------------------------- volunteers

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
    report = services.import_volunteers(get_db(), actor=current_principal(), csv_text=_uploaded_csv(),
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


# -------------------------------------------------------------------------------------------------------------- users

@bp.post("/users")
@allow("admin")
def create_user():
    """Create a user.
    ---
    post:
      tags: [users]
      summary: Create a user of any role; without a password a one-time password is generated and returned once
      requestBody:
        required: true
        content:
          application/json:
            schema: UserCreateSchema
      responses:
        201:
          description: the new user (with one_time_password when it was generated)
          content:
            application/json:
              schema: NewUserSchema
        409:
          description: the username is taken (already_exists)
    """
    data = load_body(UserCreateSchema)
    return NewUserSchema().dump(services.create_user(get_db(), actor=current_principal(), **data)), 201


@bp.get("/users")
@allow("admin")
def list_users():
    """The users.
    ---
    get:
      tags: [users]
      summary: The users, by username
      parameters:
        - in: query
          schema: UserListQuerySchema
      responses:
        200:
          description: one page of users
          content:
            application/json:
              schema: UserPageSchema
    """
    query = load_query(UserListQuerySchema)
    return UserPageSchema().dump(services.list_users(get_db(), actor=current_principal(), **query))


@bp.get("/users/<int:user_id>")
@allow(*ROLES)
def get_user(user_id: int):
    """One user.
    ---
    get:
      tags: [users]
      summary: One user (an admin may read anyone; others only themselves)
      responses:
        200:
          description: the user
          content:
            application/json:
              schema: UserSchema
    """
    return UserSchema().dump(services.get_user(get_db(), actor=current_principal(), user_id=user_id))


@bp.patch("/users/<int:user_id>")
@allow("admin")
def update_user(user_id: int):
    """Change or (de)activate a user.
    ---
    patch:
      tags: [users]
      summary: Change a user's role, centers or name, or deactivate them (ends their sessions and tokens)
      requestBody:
        required: true
        content:
          application/json:
            schema: UserUpdateSchema
      responses:
        200:
          description: the user as they are now
          content:
            application/json:
              schema: UserSchema
        409:
          description: the last active admin cannot be deactivated or demoted (last_admin)
    """
    data = load_body(UserUpdateSchema)
    return UserSchema().dump(services.update_user(get_db(), actor=current_principal(), user_id=user_id, **data))


@bp.post("/users/<int:user_id>/reset-password")
@allow("admin")
def reset_password(user_id: int):
    """Give a user a new one-time password.
    ---
    post:
      tags: [users]
      summary: Give a user a new one-time password (returned once), ending all their sessions and tokens
      responses:
        200:
          description: the user, with one_time_password
          content:
            application/json:
              schema: NewUserSchema
    """
    return NewUserSchema().dump(services.reset_password(get_db(), actor=current_principal(), user_id=user_id))


# ------------------------------------------------------------------------------------------------------ service types

@bp.post("/service-types")
@allow("admin")
def create_service_type():
    """Add a service type.
    ---
    post:
      tags: [service-types]
      summary: Add a service type and its rate in credits per hour
      requestBody:
        required: true
        content:
          application/json:
            schema: ServiceTypeCreateSchema
      responses:
        201:
          description: the new service type
          content:
            application/json:
              schema: ServiceTypeSchema
        409:
          description: a service type with this code exists (already_exists)
    """
    data = load_body(ServiceTypeCreateSchema)
    return ServiceTypeSchema().dump(services.create_service_type(get_db(), actor=current_principal(), **data)), 201


@bp.get("/service-types")
@allow(*ROLES)
def list_service_types():
    """The service types.
    ---
    get:
      tags: [service-types]
      summary: Every service type, by code
      parameters:
        - in: query
          schema: ServiceTypeListQuerySchema
      responses:
        200:
          description: the service types
          content:
            application/json:
              schema:
                type: array
                items: ServiceTypeSchema
    """
    query = load_query(ServiceTypeListQuerySchema)
    types = services.list_service_types(get_db(), actor=current_principal(), **query)
    return ServiceTypeSchema(many=True).dump(types)


@bp.patch("/service-types/<int:service_type_id>")
@allow("admin")
def update_service_type(service_type_id: int):
    """Change or (de)activate a service type.
    ---
    patch:
      tags: [service-types]
      summary: Change a service type's names or rate (for records approved from now on), or deactivate it
      requestBody:
        required: true
        content:
          application/json:
            schema: ServiceTypeUpdateSchema
      responses:
        200:
          description: the service type as it is now
          content:
            application/json:
              schema: ServiceTypeSchema
    """
    data = load_body(ServiceTypeUpdateSchema)
    return ServiceTypeSchema().dump(services.update_service_type(get_db(), actor=current_principal(),
                                                                 service_type_id=service_type_id, **data))
