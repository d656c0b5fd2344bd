"""What crosses the HTTP boundary for volunteers: the one contract for the API and the pages."""
from __future__ import annotations

from marshmallow import fields, validate

from timebank.centers.rules import CODE_MAX as CENTER_CODE_MAX
from timebank.centers.rules import normalize_center_code
from timebank.schemas import LengthThenRule, PageSchema, PagingQuerySchema, Schema, by_rule, text_field
from timebank.spreadsheets.schemas import ImportQuerySchema, ImportTemplateQuerySchema, LineErrorSchema  # noqa: F401
from timebank.volunteers.rules import (
    BIRTH_YEAR_STORED_MAX, BIRTH_YEAR_MIN,
    ID_CARD_TAIL_LENGTH,
    NAME_MAX,
    PHONE_INPUT_MAX,
    normalize_birth_year,
    normalize_id_card_tail,
    normalize_name,
    normalize_phone,
)


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


# Each field is checked by the rule the service applies, so a form reports every bad field at once, in one message
# each: a birth year of 1890, a 10-digit phone and the ID tail "12a" are three messages, not one.
def _name(**kwargs):
    return text_field(NAME_MAX, rule=normalize_name, metadata={"description": "kept as typed", "example": "王秀英"},
                      **kwargs)


def _phone(**kwargs):
    return text_field(PHONE_INPUT_MAX, rule=normalize_phone, **kwargs,
                      metadata={"description": "mainland mobile number; spaces, dashes and +86 are accepted and "
                                               "removed", "example": "13805291234"})


def _home_center(**kwargs):
    return text_field(CENTER_CODE_MAX, rule=normalize_center_code, **kwargs,
                      metadata={"description": "the center's code", "example": "JK01"})


def _id_card_tail():
    return fields.String(allow_none=True, validate=LengthThenRule(normalize_id_card_tail, max=ID_CARD_TAIL_LENGTH),
                         metadata={"description": "last four characters of the resident ID card"})


def _birth_year():
    # The rule's range ends this year; the document states the fixed lower bound.
    return fields.Integer(allow_none=True, validate=by_rule(normalize_birth_year),
                          metadata={"minimum": BIRTH_YEAR_MIN, "maximum": BIRTH_YEAR_STORED_MAX,
                                    "description": "from 1900 to this year"})


class VolunteerCreateSchema(Schema):
    name = _name(required=True)
    phone = _phone(required=True)
    home_center = _home_center(required=True)
    id_card_tail = _id_card_tail()
    birth_year = _birth_year()


class VolunteerUpdateSchema(Schema):
    name = _name()
    phone = _phone()
    home_center = _home_center()
    id_card_tail = _id_card_tail()
    birth_year = _birth_year()
    active = fields.Boolean(metadata={"description": "false deactivates the volunteer (no new service records)"})


class VolunteerListQuerySchema(PagingQuerySchema):
    search = fields.String(validate=validate.Length(max=NAME_MAX),
                           metadata={"description": "part of a name or of a phone number"})
    center = fields.String(validate=validate.Length(max=CENTER_CODE_MAX), metadata={"description": "a center's code"})
    active = fields.Boolean()


class VolunteerPageSchema(PageSchema):
    items = fields.List(fields.Nested(VolunteerSchema), required=True)


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
