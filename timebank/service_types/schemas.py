"""What crosses the HTTP boundary for service types: the one contract for the API and the pages."""
from __future__ import annotations

from marshmallow import ValidationError, fields, post_load, validates_schema

from timebank.schemas import REQUIRED, Credits, PageSchema, PagingQuerySchema, Schema, by_rule, text_field
from timebank.service_types.rules import (CODE_MAX, NAME_MAX, check_rate, normalize_service_type_code,
                                          normalize_service_type_name)


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
    code = text_field(CODE_MAX, rule=normalize_service_type_code, required=True, metadata={"example": "meal-delivery"})
    name = text_field(NAME_MAX, rule=normalize_service_type_name,
                      metadata={"description": "the Chinese name (same as name_zh)", "example": "助餐送餐"})
    name_zh = text_field(NAME_MAX, rule=normalize_service_type_name)
    name_en = text_field(NAME_MAX, rule=normalize_service_type_name,
                         metadata={"description": "defaults to the Chinese name", "example": "Meal delivery"})
    credits_per_hour = Credits(required=True, validate=by_rule(check_rate))

    @validates_schema
    def _needs_a_name(self, data, **kwargs):
        if not data.get("name") and not data.get("name_zh"):
            raise ValidationError(REQUIRED, "name")

    @post_load
    def _one_chinese_name(self, data, **kwargs):
        name = data.pop("name", None)
        data["name_zh"] = data.get("name_zh") or name
        return data


class ServiceTypeUpdateSchema(Schema):
    name_zh = text_field(NAME_MAX, rule=normalize_service_type_name)
    name_en = text_field(NAME_MAX, rule=normalize_service_type_name)
    credits_per_hour = Credits(validate=by_rule(check_rate))
    active = fields.Boolean()


class ServiceTypeListQuerySchema(PagingQuerySchema):
    active = fields.Boolean()


class ServiceTypePageSchema(PageSchema):
    items = fields.List(fields.Nested(ServiceTypeSchema), required=True)
