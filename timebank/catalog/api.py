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
from timebank.catalog.upload import PHOTO_BODY, PHOTO_REQUEST_BODY, uploaded_photo
from timebank.db import get_db
from timebank.request_limits import accepts_body_up_to

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


@blp.put("/catalog-items/<int:item_id>/photo")
@allow(MANAGE_CATALOG)
@accepts_body_up_to(PHOTO_BODY)
@blp.response(200, CatalogItemSchema, description="the item with its new photo (photo_url, photo_thumb_url)")
@blp.refuses(413, "payload_too_large: the body is larger than 5 MB")
@blp.doc(requestBody=PHOTO_REQUEST_BODY)
def put_catalog_item_photo(item_id: int):
    """Give an item a photo, or a new one: re-encoded as a JPEG (at most 800 px, and a 240 px thumbnail), upright,
    without its metadata. A file that is not a JPEG, PNG or WebP image is refused with 422 and fields.photo"""
    return services.set_photo(get_db(), actor=current_principal(), item_id=item_id,
                              data=uploaded_photo(raw_body=True))


@blp.delete("/catalog-items/<int:item_id>/photo")
@allow(MANAGE_CATALOG)
@blp.response(200, CatalogItemSchema, description="the item without a photo")
def delete_catalog_item_photo(item_id: int):
    """Take an item's photo away"""
    return services.remove_photo(get_db(), actor=current_principal(), item_id=item_id)
