"""What crosses the HTTP boundary for drives, reservations and vouchers: the one contract for the API and the pages."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from timebank.catalog.rules import SKU_MAX, normalize_sku
from timebank.drives import rules
from timebank.drives.rules import MAX_ENTRIES, MAX_LIMIT, MAX_LINES, MAX_QUANTITY, MAX_STOCK, NAME_MAX, PHASES
from timebank.receipts.links import receipt_url
from timebank.receipts.rules import display_short_code
from timebank.schemas import Credits, PageSchema, PagingQuerySchema, Schema, id_field, text_field

CENTER_CODE = validate.Length(min=1, max=32)


def _localized_name(metadata: str):
    return fields.String(attribute="name_zh", dump_only=True, metadata={"description": metadata})


class _Window(Schema):
    @validates_schema
    def _window(self, data, **kwargs):
        times = [data.get(k) for k in ("opens_at", "closes_at", "pickup_until")]
        if all(times):
            problems = rules.window_problems(*times)
            if problems:
                raise ValidationError({k: [rules.WINDOW_MESSAGES[v]] for k, v in problems.items()})


class DriveEntrySchema(Schema):
    sku = text_field(SKU_MAX, rule=normalize_sku, required=True, metadata={"example": "RICE-5KG"})
    center = fields.String(required=True, validate=CENTER_CODE, metadata={"example": "JK01"})
    stock = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_STOCK))
    limit_per_volunteer = fields.Integer(load_default=None, allow_none=True,
                                         validate=validate.Range(min=1, max=MAX_LIMIT),
                                         metadata={"description": "how many one volunteer may have across all their "
                                                                  "reservations in the drive (null: no limit); the "
                                                                  "same for every center of one SKU"})


class DriveEntryChangeSchema(DriveEntrySchema):
    limit_per_volunteer = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=MAX_LIMIT),
                                         metadata={"description": "left out: the item keeps its limit (a new item "
                                                                  "has none); null: no limit"})


class DriveCreateSchema(_Window):
    name = text_field(NAME_MAX, rule=rules.normalize_drive_name, required=True,
                      metadata={"example": "2026 年第四季度兑换活动"})
    centers = fields.List(fields.String(validate=CENTER_CODE), required=True,
                          validate=validate.Length(min=1, max=rules.MAX_CENTERS),
                          metadata={"description": "the codes of the centers taking part"})
    opens_at = fields.AwareDateTime(required=True, format="iso")
    closes_at = fields.AwareDateTime(required=True, format="iso")
    pickup_until = fields.AwareDateTime(required=True, format="iso")
    items = fields.List(fields.Nested(DriveEntrySchema), load_default=list, validate=validate.Length(max=MAX_ENTRIES))


class DriveUpdateSchema(_Window):
    name = text_field(NAME_MAX, rule=rules.normalize_drive_name)
    centers = fields.List(fields.String(validate=CENTER_CODE), validate=validate.Length(max=rules.MAX_CENTERS),
                          metadata={"description": "centers to add (none is removed)"})
    opens_at = fields.AwareDateTime(format="iso", metadata={"description": "only before the drive opens"})
    closes_at = fields.AwareDateTime(format="iso", metadata={"description": "only before the drive opens"})
    pickup_until = fields.AwareDateTime(format="iso", metadata={"description": "only before the drive opens"})
    items = fields.List(fields.Nested(DriveEntryChangeSchema), validate=validate.Length(max=MAX_ENTRIES),
                        metadata={"description": "stock to set (never below held + sold) and limits; an item or "
                                                 "center new to the drive is added"})


class DriveItemSchema(Schema):
    sku = fields.String(dump_only=True)
    name = _localized_name("the Chinese name")
    name_zh = fields.String(dump_only=True)
    name_en = fields.String(dump_only=True)
    unit = fields.String(dump_only=True)
    price = Credits(dump_only=True, metadata={"description": "the catalog's price now, for one unit"})
    center = fields.String(dump_only=True, metadata={"description": "the center's code"})
    stock = fields.Integer(dump_only=True)
    left = fields.Integer(dump_only=True, metadata={"description": "stock less what is held and sold"})
    limit_per_volunteer = fields.Integer(dump_only=True, allow_none=True)


class DriveSummarySchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    centers = fields.List(fields.String(), dump_only=True, metadata={"description": "center codes"})
    opens_at = fields.AwareDateTime(dump_only=True, format="iso")
    closes_at = fields.AwareDateTime(dump_only=True, format="iso")
    pickup_until = fields.AwareDateTime(dump_only=True, format="iso")
    status = fields.String(dump_only=True, metadata={"enum": list(PHASES),
                                                     "description": "upcoming, open (reserving), pickup, over"})
    created_at = fields.AwareDateTime(dump_only=True, format="iso")


class DriveSchema(DriveSummarySchema):
    items = fields.List(fields.Nested(DriveItemSchema), dump_only=True)


class DrivePageSchema(PageSchema):
    items = fields.List(fields.Nested(DriveSummarySchema), required=True)


class DriveListQuerySchema(PagingQuerySchema):
    status = fields.String(validate=validate.OneOf(PHASES))


class StockSchema(Schema):
    sku = fields.String(dump_only=True)
    name = _localized_name("the Chinese name")
    name_en = fields.String(dump_only=True)
    unit = fields.String(dump_only=True)
    center = fields.String(dump_only=True)
    stock = fields.Integer(dump_only=True)
    held = fields.Integer(dump_only=True)
    sold = fields.Integer(dump_only=True)
    left = fields.Integer(dump_only=True)


class StockListSchema(Schema):
    items = fields.List(fields.Nested(StockSchema), required=True)


class CenterQuerySchema(Schema):
    center = fields.String(validate=CENTER_CODE, metadata={"description": "a center's code"})


class ReservationLineInSchema(Schema):
    sku = text_field(SKU_MAX, rule=normalize_sku, required=True, metadata={"example": "RICE-5KG"})
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class ReservationCreateSchema(Schema):
    volunteer_id = id_field(metadata={"description": "whom it is for: staff name the volunteer; a volunteer may "
                                                     "leave it out (themselves)"})
    center = fields.String(required=True, validate=CENTER_CODE, metadata={"description": "the pickup center"})
    lines = fields.List(fields.Nested(ReservationLineInSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_LINES))


class WalkUpSchema(ReservationCreateSchema):
    volunteer_id = id_field(required=True)


class LineSchema(Schema):
    sku = fields.String(dump_only=True)
    name = _localized_name("the Chinese name")
    name_en = fields.String(dump_only=True)
    unit = fields.String(dump_only=True)
    quantity = fields.Integer(dump_only=True)
    price = Credits(attribute="unit_price", dump_only=True, metadata={"description": "for one, when reserved"})
    amount = Credits(dump_only=True)


class VoucherSchema(Schema):
    code = fields.String(dump_only=True, metadata={"description": "the short code a person reads aloud"})
    url = fields.String(dump_only=True, metadata={"description": "exactly the text the voucher's QR encodes"})


def _voucher(reservation):
    if not reservation.voucher_token:
        return None
    return {"code": display_short_code(reservation.voucher_short_code), "url": receipt_url(reservation.voucher_token)}


class ReservationSchema(Schema):
    id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": list(rules.RESERVATION_STATUSES)})
    total = Credits(dump_only=True)
    voucher = fields.Function(_voucher, dump_only=True, allow_none=True,
                              metadata={"description": "{code, url}: show it at the pickup desk"})
    drive_id = fields.Integer(dump_only=True)
    drive_name = fields.String(dump_only=True)
    volunteer_id = fields.Integer(dump_only=True)
    volunteer_name = fields.String(dump_only=True)
    center = fields.String(dump_only=True, metadata={"description": "the pickup center's code"})
    center_name = fields.String(dump_only=True)
    walk_up = fields.Boolean(dump_only=True)
    lines = fields.List(fields.Nested(LineSchema), dump_only=True)
    pickup_until = fields.AwareDateTime(dump_only=True, format="iso")
    created_at = fields.AwareDateTime(dump_only=True, format="iso")
    fulfilled_at = fields.AwareDateTime(dump_only=True, format="iso", allow_none=True)
    cancelled_at = fields.AwareDateTime(dump_only=True, format="iso", allow_none=True)
    voided_at = fields.AwareDateTime(dump_only=True, format="iso", allow_none=True)


class ReservationPageSchema(PageSchema):
    items = fields.List(fields.Nested(ReservationSchema), required=True)


class ReservationListQuerySchema(PagingQuerySchema):
    drive_id = id_field()
    status = fields.String(validate=validate.OneOf(rules.RESERVATION_STATUSES))
    volunteer_id = id_field()


class RedeemSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000),
                         metadata={"description": "what the scanner read (the QR's text) or the short code typed"})


class RedemptionSchema(Schema):
    status = fields.String(dump_only=True, metadata={"enum": ["fulfilled"]})
    reservation = fields.Nested(ReservationSchema, dump_only=True)


class PickListQuerySchema(CenterQuerySchema):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")),
                           metadata={"description": "json, or csv (UTF-8 with BOM, opens in Excel)"})


class PickItemSchema(Schema):
    sku = fields.String(dump_only=True)
    name = _localized_name("the Chinese name")
    name_en = fields.String(dump_only=True)
    unit = fields.String(dump_only=True)
    stock = fields.Integer(dump_only=True)
    held = fields.Integer(dump_only=True, metadata={"description": "to prepare: reserved, not yet picked up"})
    sold = fields.Integer(dump_only=True, metadata={"description": "picked up"})


class PickListSchema(Schema):
    drive_id = fields.Integer(dump_only=True)
    drive_name = fields.String(dump_only=True)
    center = fields.String(dump_only=True)
    center_name = fields.String(dump_only=True)
    items = fields.List(fields.Nested(PickItemSchema), dump_only=True)
    reservations = fields.List(fields.Nested(ReservationSchema), dump_only=True,
                               metadata={"description": "those to pick up first, then those picked up"})
