"""What crosses the HTTP boundary for signing in and passwords (the API and the pages load with these)."""
from __future__ import annotations

from marshmallow import fields, validate

from timebank.auth.access import ROLES
from timebank.auth.passwords import MAX_LENGTH
from timebank.schemas import Schema


class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=60))
    password = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LENGTH),
                             metadata={"format": "password"})


class TokenSchema(Schema):
    token = fields.String(required=True, metadata={"description": "send as `Authorization: Bearer <token>`"})
    expires_at = fields.AwareDateTime(required=True, format="iso", metadata={"description": "ISO 8601, with offset"})


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LENGTH),
                                     metadata={"format": "password"})
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LENGTH),
                                 metadata={"format": "password",
                                           "description": "at least 8 characters, not a common password"})


class PrincipalSchema(Schema):
    """Who the token belongs to."""

    user_id = fields.Integer(required=True)
    username = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    display_name = fields.String()
    center_id = fields.Integer(allow_none=True)
    supervised_center_ids = fields.List(fields.Integer())
    volunteer_id = fields.Integer(allow_none=True)
    must_change_password = fields.Boolean(required=True)
    locale = fields.String(allow_none=True)
