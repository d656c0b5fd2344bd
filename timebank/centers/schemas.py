"""What crosses the HTTP boundary for centers: the one contract for the API and the pages."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from timebank.schemas import PageSchema, PagingQuerySchema, text_field


class CenterSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    district = fields.String(dump_only=True)
    active = fields.Boolean(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True, format="iso")


class CenterCreateSchema(Schema):
    code = text_field(32, required=True, metadata={"description": "letters, digits, '-', '_'; stored in capitals",
                                              "example": "JK01"})
    name = text_field(120, required=True, metadata={"example": "京口区大市口街道养老服务中心"})
    district = text_field(60, required=True, metadata={"example": "京口区"})


class CenterUpdateSchema(Schema):
    name = text_field(120)
    district = text_field(60)
    active = fields.Boolean(metadata={"description": "false closes the center for new volunteers and staff"})


class CenterListQuerySchema(PagingQuerySchema):
    search = fields.String(validate=validate.Length(max=120))
    active = fields.Boolean()


class CenterPageSchema(PageSchema):
    items = fields.List(fields.Nested(CenterSchema), required=True)


