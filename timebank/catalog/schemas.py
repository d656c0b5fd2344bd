"""What crosses the HTTP boundary for the catalog: the one contract for the API and the pages."""
from __future__ import annotations

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from timebank.catalog.photos import photo_path
from timebank.catalog.rules import (
    NAME_MAX,
    SKU_MAX,
    UNIT_MAX,
    check_price,
    normalize_item_name,
    normalize_sku,
    normalize_unit,
)
from timebank.schemas import REQUIRED, Credits, PageSchema, PagingQuerySchema, Schema, by_rule, text_field


class CatalogItemSchema(Schema):
    id = fields.Integer(dump_only=True)
    sku = fields.String(dump_only=True)
    name = fields.String(dump_only=True, metadata={"description": "the Chinese name"})
    name_zh = fields.String(dump_only=True)
    name_en = fields.String(dump_only=True)
    unit = fields.String(dump_only=True, metadata={"description": "what one is: 袋, 桶, 盒 …"})
    price = Credits(dump_only=True, metadata={"description": "credits for one unit"})
    active = fields.Boolean(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True, format="iso")
    photo_url = fields.Method("_photo", dump_only=True, allow_none=True,
                              metadata={"description": "the photo (a JPEG at most 800 px), or null; a new photo "
                                                       "is a new URL"})
    photo_thumb_url = fields.Method("_thumb", dump_only=True, allow_none=True,
                                    metadata={"description": "its 240 px thumbnail, or null"})

    def _photo(self, item):
        return photo_path(item.id, item.photo_digest, thumb=False)

    def _thumb(self, item):
        return photo_path(item.id, item.photo_digest, thumb=True)


class CatalogItemCreateSchema(Schema):
    sku = text_field(SKU_MAX, rule=normalize_sku, required=True, metadata={"example": "RICE-5KG"})
    name = text_field(NAME_MAX, rule=normalize_item_name,
                      metadata={"description": "the Chinese name (same as name_zh)", "example": "大米 5公斤"})
    name_zh = text_field(NAME_MAX, rule=normalize_item_name)
    name_en = text_field(NAME_MAX, rule=normalize_item_name,
                         metadata={"description": "defaults to the Chinese name", "example": "Rice, 5 kg"})
    unit = text_field(UNIT_MAX, rule=normalize_unit, required=True, metadata={"example": "袋"})
    price = Credits(required=True, validate=by_rule(check_price))

    @validates_schema
    def _needs_a_name(self, data, **kwargs):
        if not data.get("name") and not data.get("name_zh"):
            raise ValidationError(REQUIRED, "name")

    @post_load
    def _one_chinese_name(self, data, **kwargs):
        name = data.pop("name", None)
        data["name_zh"] = data.get("name_zh") or name
        return data


class CatalogItemUpdateSchema(Schema):
    name_zh = text_field(NAME_MAX, rule=normalize_item_name)
    name_en = text_field(NAME_MAX, rule=normalize_item_name)
    unit = text_field(UNIT_MAX, rule=normalize_unit)
    price = Credits(validate=by_rule(check_price))
    active = fields.Boolean()


class CatalogListQuerySchema(PagingQuerySchema):
    active = fields.Boolean()
    search = fields.String(validate=validate.Length(min=1, max=NAME_MAX),
                           metadata={"description": "part of the SKU or of either name"})


class CatalogItemPageSchema(PageSchema):
    items = fields.List(fields.Nested(CatalogItemSchema), required=True)
