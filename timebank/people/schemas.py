"""What crosses the HTTP boundary for centers, volunteers, users and service types.

The one contract for the API and the pages: both load requests with the ``*CreateSchema``/``*UpdateSchema``/
``*QuerySchema`` classes and dump results with the others; ``GET /api/v1/openapi.json`` is generated from them.
They check shape (types, lengths, choices); the services normalize and apply the rules (phone numbers, codes …).
Unknown fields are refused (marshmallow's default, ``RAISE``).
"""
from __future__ import annotations

import math

from marshmallow import Schema, ValidationError, fields, post_dump, post_load, validate, validates_schema

from timebank.auth.access import ROLES
from timebank.ledger.rules import format_credits, parse_credits
from timebank.paging import MAX_PAGE, MAX_PER_PAGE


class Credits(fields.Field):
    """Credits as a decimal string with two places (``"1.50"``), stored as integer hundredths (150)."""

    default_error_messages = {"invalid": 'Not a credit amount: a decimal number with at most two places, like "1.50".'}

    def __init__(self, **kwargs):
        metadata = {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "example": "1.50", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format_credits(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.make_error("invalid")
            value = repr(value)
        elif isinstance(value, int):
            value = str(value)
        try:
            return parse_credits(value.strip() if isinstance(value, str) else value)
        except ValueError:
            raise self.make_error("invalid") from None


def _text(max_length: int, **kwargs):
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


class _PageSchema(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class _PagingQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


# ------------------------------------------------------------------------------------------------------------ centers

class CenterSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    district = fields.String(dump_only=True)
    active = fields.Boolean(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True, format="iso")


class CenterCreateSchema(Schema):
    code = _text(32, required=True, metadata={"description": "letters, digits, '-', '_'; stored in capitals",
                                              "example": "JK01"})
    name = _text(120, required=True, metadata={"example": "京口区大市口街道养老服务中心"})
    district = _text(60, required=True, metadata={"example": "京口区"})


class CenterUpdateSchema(Schema):
    name = _text(120)
    district = _text(60)
    active = fields.Boolean(metadata={"description": "false closes the center for new volunteers and staff"})


class CenterListQuerySchema(_PagingQuerySchema):
    search = fields.String(validate=validate.Length(max=120))
    active = fields.Boolean()


class CenterPageSchema(_PageSchema):
    items = fields.List(fields.Nested(CenterSchema), required=True)


# --------------------------------------------------------------------------------------------------------- volunteers

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
    name = _text(60, required=True, metadata={"example": "王秀英"})
    phone = _text(30, required=True, metadata={"description": "mainland mobile number; spaces, dashes and +86 are "
                                                              "accepted and removed", "example": "13805291234"})
    home_center = _text(32, required=True, metadata={"description": "the center's code", "example": "JK01"})
    id_card_tail = fields.String(allow_none=True, validate=validate.Length(max=4),
                                 metadata={"description": "last four characters of the resident ID card"})
    birth_year = fields.Integer(allow_none=True, validate=validate.Range(min=1900, max=2100))


class VolunteerUpdateSchema(Schema):
    name = _text(60)
    phone = _text(30)
    home_center = _text(32)
    id_card_tail = fields.String(allow_none=True, validate=validate.Length(max=4))
    birth_year = fields.Integer(allow_none=True, validate=validate.Range(min=1900, max=2100))
    active = fields.Boolean(metadata={"description": "false deactivates the volunteer (no new service records)"})


class VolunteerListQuerySchema(_PagingQuerySchema):
    search = fields.String(validate=validate.Length(max=60),
                           metadata={"description": "part of a name or of a phone number"})
    center = fields.String(validate=validate.Length(max=32), metadata={"description": "a center's code"})
    active = fields.Boolean()


class VolunteerPageSchema(_PageSchema):
    items = fields.List(fields.Nested(VolunteerSchema), required=True)


class VolunteerImportQuerySchema(Schema):
    dry_run = fields.Boolean(load_default=False,
                             metadata={"description": "check every line and report, creating nothing"})


class LineErrorSchema(Schema):
    line = fields.Integer(required=True, metadata={"description": "line of the file; the header is line 1"})
    field = fields.String(allow_none=True, metadata={"description": "the column to blame, if one is"})
    reason = fields.String(required=True)


class ImportReportSchema(Schema):
    dry_run = fields.Boolean(required=True)
    ok = fields.Boolean(required=True, metadata={"description": "true when no line has an error"})
    total_lines = fields.Integer(required=True, metadata={"description": "data lines, blank lines not counted"})
    valid = fields.Integer(required=True)
    created = fields.Integer(required=True, metadata={"description": "created (dry run: would be created)"})
    skipped_existing = fields.Integer(required=True,
                                      metadata={"description": "already registered with the same details"})
    encoding = fields.String(required=True)
    errors = fields.List(fields.Nested(LineErrorSchema), required=True)


# -------------------------------------------------------------------------------------------------------------- users

class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    role = fields.String(dump_only=True, validate=validate.OneOf(ROLES))
    center = fields.String(dump_only=True, allow_none=True, metadata={"description": "staff: their center's code"})
    supervised_centers = fields.List(fields.String(), dump_only=True,
                                     metadata={"description": "supervisor: the codes of the centers they review"})
    volunteer_id = fields.Integer(dump_only=True, allow_none=True)
    display_name = fields.String(dump_only=True)
    active = fields.Boolean(dump_only=True)
    must_change_password = fields.Boolean(dump_only=True)
    locale = fields.String(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True, format="iso")


class NewUserSchema(UserSchema):
    """A user just created or given a new password: the one-time password appears here once, and never again."""

    one_time_password = fields.String(dump_only=True, metadata={"description": "present only when generated"})

    @post_dump
    def _omit_absent_password(self, data, **kwargs):
        if data.get("one_time_password") is None:
            data.pop("one_time_password", None)
        return data


class UserCreateSchema(Schema):
    username = _text(60, required=True, metadata={"example": "staff-jk01"})
    password = fields.String(load_only=True, validate=validate.Length(min=1, max=256),
                             metadata={"format": "password",
                                       "description": "omit it to have a one-time password generated and returned"})
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    center = fields.String(allow_none=True, validate=validate.Length(max=32),
                           metadata={"description": "staff: the code of their center"})
    supervised_centers = fields.List(fields.String(validate=validate.Length(max=32)), load_default=list,
                                     metadata={"description": "supervisor: the codes of the centers they review"})
    volunteer_id = fields.Integer(allow_none=True, metadata={"description": "volunteer: their volunteer profile"})
    display_name = fields.String(load_default="", validate=validate.Length(max=60))
    must_change_password = fields.Boolean(load_default=True,
                                          metadata={"description": "make the user choose a new password when they "
                                                                   "first sign in (always, for a generated one)"})

    @post_load
    def _password_may_be_generated(self, data, **kwargs):
        data.setdefault("password", None)
        return data


class UserUpdateSchema(Schema):
    display_name = fields.String(validate=validate.Length(max=60))
    role = fields.String(validate=validate.OneOf(ROLES))
    center = fields.String(allow_none=True, validate=validate.Length(max=32))
    supervised_centers = fields.List(fields.String(validate=validate.Length(max=32)))
    volunteer_id = fields.Integer(allow_none=True)
    active = fields.Boolean(metadata={"description": "false ends all the user's sessions and tokens"})
    locale = fields.String(allow_none=True, validate=validate.OneOf(("zh", "en")))


class UserListQuerySchema(_PagingQuerySchema):
    search = fields.String(validate=validate.Length(max=60))
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()


class UserPageSchema(_PageSchema):
    items = fields.List(fields.Nested(UserSchema), required=True)


# ------------------------------------------------------------------------------------------------------ service types

class ServiceTypeSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True, metadata={"description": "the Chinese name"})
    name_zh = fields.String(dump_only=True)
    name_en = fields.String(dump_only=True)
    credits_per_hour = Credits(dump_only=True)
    active = fields.Boolean(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True, format="iso")


class ServiceTypeCreateSchema(Schema):
    code = _text(32, required=True, metadata={"example": "meal-delivery"})
    name = _text(80, metadata={"description": "the Chinese name (same as name_zh)", "example": "助餐送餐"})
    name_zh = _text(80)
    name_en = _text(80, metadata={"description": "defaults to the Chinese name", "example": "Meal delivery"})
    credits_per_hour = Credits(required=True)

    @validates_schema
    def _needs_a_name(self, data, **kwargs):
        if not data.get("name") and not data.get("name_zh"):
            raise ValidationError("Missing data for required field.", "name")

    @post_load
    def _one_chinese_name(self, data, **kwargs):
        name = data.pop("name", None)
        data["name_zh"] = data.get("name_zh") or name
        return data


class ServiceTypeUpdateSchema(Schema):
    name_zh = _text(80)
    name_en = _text(80)
    credits_per_hour = Credits()
    active = fields.Boolean()


class ServiceTypeListQuerySchema(Schema):
    active = fields.Boolean()
