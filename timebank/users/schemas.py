"""What crosses the HTTP boundary for users: the one contract for the API and the pages."""
from __future__ import annotations

from marshmallow import fields, post_dump, post_load, validate

from timebank.centers.rules import CODE_MAX as CENTER_CODE_MAX
from timebank.schemas import PageSchema, PagingQuerySchema, Schema, by_rule, id_field, text_field
from timebank.users.rules import (DISPLAY_NAME_MAX, LOCALES, ROLES, USERNAME_MAX, normalize_display_name,
                                  normalize_username)


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
    username = text_field(USERNAME_MAX, rule=normalize_username, required=True, metadata={"example": "staff-jk01"})
    password = fields.String(load_only=True, validate=validate.Length(min=1, max=256),
                             metadata={"format": "password",
                                       "description": "omit it to have a one-time password generated and returned"})
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    center = fields.String(allow_none=True, validate=validate.Length(max=CENTER_CODE_MAX),
                           metadata={"description": "staff: the code of their center"})
    supervised_centers = fields.List(fields.String(validate=validate.Length(max=CENTER_CODE_MAX)), load_default=list,
                                     metadata={"description": "supervisor: the codes of the centers they review"})
    volunteer_id = id_field(allow_none=True, metadata={"description": "volunteer: their volunteer profile"})
    display_name = fields.String(load_default="", validate=[validate.Length(max=DISPLAY_NAME_MAX),
                                                            by_rule(normalize_display_name)])
    must_change_password = fields.Boolean(load_default=True,
                                          metadata={"description": "make the user choose a new password when they "
                                                                   "first sign in (always, for a generated one)"})

    @post_load
    def _password_may_be_generated(self, data, **kwargs):
        data.setdefault("password", None)
        return data


class UserUpdateSchema(Schema):
    display_name = fields.String(validate=[validate.Length(max=DISPLAY_NAME_MAX), by_rule(normalize_display_name)])
    role = fields.String(validate=validate.OneOf(ROLES))
    center = fields.String(allow_none=True, validate=validate.Length(max=CENTER_CODE_MAX))
    supervised_centers = fields.List(fields.String(validate=validate.Length(max=CENTER_CODE_MAX)))
    volunteer_id = id_field(allow_none=True)
    active = fields.Boolean(metadata={"description": "false ends all the user's sessions and tokens"})
    locale = fields.String(allow_none=True, validate=validate.OneOf(LOCALES))


class UserListQuerySchema(PagingQuerySchema):
    search = fields.String(validate=validate.Length(max=USERNAME_MAX))
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()


class UserPageSchema(PageSchema):
    items = fields.List(fields.Nested(UserSchema), required=True)


