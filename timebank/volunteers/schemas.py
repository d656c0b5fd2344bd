"""What crosses the HTTP boundary for volunteers: the one contract for the API and the pages."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from timebank.schemas import PageSchema, PagingQuerySchema, text_field


class VolunteerSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    phone = fields.String(dump_only=True, metadata={"description": "11-digit mainland mobile number"})
    home_center = fields.String(dump_only=True, metadata={"description": "the home center's code"})
    home_center_name = fields.String(dump_only=True)
    id_card_tail = fields.String(dump_only=True, allow_none=True)
    birth_year = fields.Integer(dump_only=True, allow_none=True)
    active = fields.Boolean(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True, format="iso")


class VolunteerCreateSchema(Schema):
    name = text_field(60, required=True, metadata={"example": "王秀英"})
    phone = text_field(30, required=True, metadata={"description": "mainland mobile number; spaces, dashes and +86 are "
                                                              "accepted and removed", "example": "13805291234"})
    home_center = text_field(32, required=True, metadata={"description": "the center's code", "example": "JK01"})
    id_card_tail = fields.String(allow_none=True, validate=validate.Length(max=4),
                                 metadata={"description": "last four characters of the resident ID card"})
    birth_year = fields.Integer(allow_none=True, validate=validate.Range(min=1900, max=2100))


class VolunteerUpdateSchema(Schema):
    name = text_field(60)
    phone = text_field(30)
    home_center = text_field(32)
    id_card_tail = fields.String(allow_none=True, validate=validate.Length(max=4))
    birth_year = fields.Integer(allow_none=True, validate=validate.Range(min=1900, max=2100))
    active = fields.Boolean(metadata={"description": "false deactivates the volunteer (no new service records)"})


class VolunteerListQuerySchema(PagingQuerySchema):
    search = fields.String(validate=validate.Length(max=60),
                           metadata={"description": "part of a name or of a phone number"})
    center = fields.String(validate=validate.Length(max=32), metadata={"description": "a center's code"})
    active = fields.Boolean()


class VolunteerPageSchema(PageSchema):
    items = fields.List(fields.Nested(VolunteerSchema), required=True)


class VolunteerImportQuerySchema(Schema):
    dry_run = fields.Boolean(load_default=False,
                             metadata={"description": "check every line and report, creating nothing"})


class LineErrorSchema(Schema):
    line = fields.Integer(required=True, metadata={"description": "line of the file (row of a sheet); the header is "
                                                                  "line 1"})
    field = fields.String(allow_none=True, metadata={"description": "the column to blame, if one is"})
    code = fields.String(required=True, metadata={"description": "stable: the same in every language"})
    message = fields.String(required=True, metadata={"description": "the problem, in the request's language"})
    reason = fields.String(required=True, metadata={"description": "the problem in English"})


class ImportReportSchema(Schema):
    dry_run = fields.Boolean(required=True)
    ok = fields.Boolean(required=True, metadata={"description": "true when no line has an error"})
    total_lines = fields.Integer(required=True, metadata={"description": "data lines: the header and blank lines "
                                                                         "not counted"})
    lines_in_file = fields.Integer(required=True, metadata={"description": "the last line (row) holding anything, "
                                                                           "the header being line 1"})
    valid = fields.Integer(required=True, metadata={"description": "data lines without an error"})
    created = fields.Integer(required=True, metadata={"description": "created (dry run: would be created)"})
    skipped_existing = fields.Integer(required=True,
                                      metadata={"description": "already registered with the same details"})
    encoding = fields.String(required=True, metadata={"description": "how the file was read: utf-8, utf-8-sig, "
                                                                     "gb18030, utf-16, or xlsx"})
    errors = fields.List(fields.Nested(LineErrorSchema), required=True)
    warnings = fields.List(fields.Nested(LineErrorSchema), required=True,
                           metadata={"description": "what was ignored (an unknown column …); the file imports"})


class ImportTemplateQuerySchema(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")),
                           metadata={"description": "csv (UTF-8 with BOM, opens in Excel) or xlsx"})
