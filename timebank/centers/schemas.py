"""What crosses the HTTP boundary for centers: the one contract for the API and the pages. The schemas dump the
center's row as it is; the limits and rules are the feature's (``centers.rules``)."""
from __future__ import annotations

from marshmallow import fields, validate

from timebank.centers.rules import (
    CODE_MAX,
    DISTRICT_MAX,
    NAME_MAX,
    normalize_center_code,
    normalize_center_name,
    normalize_district,
)
from timebank.schemas import PageSchema, PagingQuerySchema, Schema, text_field


class CenterSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    district = fields.String(dump_only=True)
    active = fields.Boolean(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True, format="iso")


class CenterCreateSchema(Schema):
    code = text_field(CODE_MAX, rule=normalize_center_code, required=True,
                      metadata={"description": "letters, digits, '-', '_'; stored in capitals", "example": "JK01"})
    name = text_field(NAME_MAX, rule=normalize_center_name, required=True,
                      metadata={"description": "kept as typed (full-width brackets and digits too)",
                                "example": "京口区大市口街道养老服务中心（一站）"})
    district = text_field(DISTRICT_MAX, rule=normalize_district, required=True, metadata={"example": "京口区"})


class CenterUpdateSchema(Schema):
    name = text_field(NAME_MAX, rule=normalize_center_name)
    district = text_field(DISTRICT_MAX, rule=normalize_district)
    active = fields.Boolean(metadata={"description": "false closes the center for new volunteers and staff"})


class CenterListQuerySchema(PagingQuerySchema):
    search = fields.String(validate=validate.Length(max=NAME_MAX))
    active = fields.Boolean()


class CenterPageSchema(PageSchema):
    items = fields.List(fields.Nested(CenterSchema), required=True)
