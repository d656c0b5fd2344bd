"""``/api/v1/catalog-items`` (SPEC §8). Each view: load, one service, dump."""
from __future__ import annotations

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.catalog import services
from timebank.catalog.permissions import MANAGE_CATALOG, READ_CATALOG
from timebank.catalog.schemas import (
    CatalogItemCreateSchema,
    CatalogItemPageSchema,
    CatalogItemSchema,
    CatalogItemUpdateSchema,
    CatalogListQuerySchema,
)
from timebank.db import get_db

blp = ApiBlueprint("catalog-items", __name__, description="The redemption catalog (兑换目录): daily goods and their "
                                                          "price in credits")


@blp.post("/catalog-items")
@allow(MANAGE_CATALOG)
@blp.arguments(CatalogItemCreateSchema)
@blp.response(201, CatalogItemSchema, description="the new item")
@blp.refuses(409, "already_exists: an item with this SKU exists")
def create_catalog_item(data):
    """Add an item to the catalog, with its price in credits"""
    return services.create_item(get_db(), actor=current_principal(), **data)


@blp.get("/catalog-items")
@allow(READ_CATALOG)
@blp.arguments(CatalogListQuerySchema, location="query")
@blp.response(200, CatalogItemPageSchema, description="one page of the catalog, by SKU")
def list_catalog_items(query):
    """The catalog's items, by SKU"""
    return services.page_of_items(get_db(), actor=current_principal(), **query)


@blp.get("/catalog-items/<int:item_id>")
@allow(READ_CATALOG)
@blp.response(200, CatalogItemSchema, description="the item")
def get_catalog_item(item_id: int):
    """One catalog item"""
    return services.get_item(get_db(), actor=current_principal(), item_id=item_id)


@blp.patch("/catalog-items/<int:item_id>")
@allow(MANAGE_CATALOG)
@blp.arguments(CatalogItemUpdateSchema, required=False)
@blp.response(200, CatalogItemSchema, description="the item as it is now")
def update_catalog_item(data, item_id: int):
    """Change an item's names, unit or price (for reservations made from now on), or deactivate it"""
    return services.update_item(get_db(), actor=current_principal(), item_id=item_id, **data)
