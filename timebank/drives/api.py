"""``/api/v1/drives`` (SPEC §8, §8.1): setting a drive up and changing it, reading it, its stock and a center's pick
list. Each view: load, one service, dump. (Reservations, walk-ups and vouchers: ``reservations_api.py``.)"""
from __future__ import annotations

from urllib.parse import quote

from flask import Response
from flask_babel import get_locale

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.drives import exports, planning, queries, reservation_queries
from timebank.drives.permissions import MANAGE_DRIVES, READ_DRIVES, READ_PICK_LIST
from timebank.drives.schemas import (
    CenterQuerySchema,
    DriveCreateSchema,
    DriveListQuerySchema,
    DrivePageSchema,
    DriveSchema,
    DriveUpdateSchema,
    PickListQuerySchema,
    PickListSchema,
    StockListSchema,
)

blp = ApiBlueprint("drives", __name__, description="Redemption drives (兑换活动): centers, stock per item and center, "
                                                   "pick lists")


@blp.post("/drives")
@allow(MANAGE_DRIVES)
@blp.arguments(DriveCreateSchema)
@blp.response(201, DriveSchema, description="the new drive with its stock")
def create_drive(data):
    """Set a drive up: its times, the centers taking part, and per item and center a stock and a limit"""
    return planning.create_drive(get_db(), actor=current_principal(), **data)


@blp.get("/drives")
@allow(READ_DRIVES)
@blp.arguments(DriveListQuerySchema, location="query")
@blp.response(200, DrivePageSchema, description="one page of drives, the latest to open first")
def list_drives(query):
    """The drives; status keeps the upcoming, open, pickup or over ones"""
    return queries.list_drives(get_db(), actor=current_principal(), **query)


@blp.get("/drives/<int:drive_id>")
@allow(READ_DRIVES)
@blp.response(200, DriveSchema, description="the drive, with every item at every center taking part")
def get_drive(drive_id: int):
    """One drive: name, centers, times and items (sku, center, stock, limit_per_volunteer)"""
    return queries.get_drive(get_db(), actor=current_principal(), drive_id=drive_id)


@blp.patch("/drives/<int:drive_id>")
@allow(MANAGE_DRIVES)
@blp.arguments(DriveUpdateSchema, required=False)
@blp.response(200, DriveSchema, description="the drive as it is now")
@blp.refuses(409, "drive_started: its times can no longer change; stock_below_reserved: a stock below what is "
                  "held + sold")
def update_drive(data, drive_id: int):
    """Change a drive: its name, its times until it opens, add centers, set stock (never below held + sold) and
    limits"""
    return planning.update_drive(get_db(), actor=current_principal(), drive_id=drive_id, **data)


@blp.get("/drives/<int:drive_id>/stock")
@allow(READ_DRIVES)
@blp.arguments(CenterQuerySchema, location="query")
@blp.response(200, StockListSchema, description="per item and center: stock, held, sold, left")
def get_drive_stock(query, drive_id: int):
    """The drive's stock per item and center (center: one center's only)"""
    return {"items": queries.drive_stock(get_db(), actor=current_principal(), drive_id=drive_id, **query)}


@blp.get("/drives/<int:drive_id>/pick-list")
@allow(READ_PICK_LIST)
@blp.arguments(PickListQuerySchema, location="query")
@blp.response(200, PickListSchema, description="what to prepare: totals per item, then the reservations, held first")
@blp.doc(responses={"200": {"description": "what to prepare: totals per item, then the reservations, held first",
                             "content": {"application/json": {"schema": PickListSchema},
                                         "text/csv": {"schema": {"type": "string"}}}}})
def get_pick_list(query, drive_id: int):
    """A center's pick list (staff: their own, the default); format=csv downloads it for Excel"""
    pick = reservation_queries.pick_list(get_db(), actor=current_principal(), drive_id=drive_id,
                                         center=query.get("center"))
    if query["format"] != "csv":
        return pick
    english = (locale := get_locale()) is not None and locale.language == "en"
    ascii_name, name = exports.file_name(pick, english=english)
    response = Response(exports.pick_list_csv(pick, english=english), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return response
