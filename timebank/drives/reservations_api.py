"""``/api/v1/drives/{id}/reservations``, ``/walk-ups``, ``/reservations``, ``/vouchers/redeem`` (SPEC §8, §8.1).
Every POST here moves credits and stock, so it requires an ``Idempotency-Key``: the same key and body answer the
first answer again, a refusal included."""
from __future__ import annotations

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.drives import desk, reservation_queries, reservations
from timebank.drives.permissions import CANCEL_RESERVATION, READ_RESERVATIONS, REDEEM_VOUCHER, RESERVE, WALK_UP
from timebank.drives.schemas import (
    RedeemSchema,
    RedemptionSchema,
    ReservationCreateSchema,
    ReservationListQuerySchema,
    ReservationPageSchema,
    ReservationSchema,
    WalkUpSchema,
)
from timebank.idempotency.http import idempotent

blp = ApiBlueprint("reservations", __name__, description="Reservations in a drive, their vouchers, the pickup desk")

KEY_MISSING = "validation_error: the Idempotency-Key header is missing or not 1-160 characters"


@blp.post("/drives/<int:drive_id>/reservations")
@allow(RESERVE)
@idempotent(required=True)
@blp.arguments(ReservationCreateSchema)
@blp.response(201, ReservationSchema, description="held: the credits and stock, and the voucher to show at pickup")
@blp.refuses(409, "drive_closed, out_of_stock, limit_exceeded, insufficient_credits: nothing is held")
@blp.refuses(422, KEY_MISSING)
def create_reservation(data, drive_id: int):
    """Reserve goods for pickup at one center (a volunteer for themselves, staff for a volunteer): all lines or
    none"""
    return reservations.reserve(get_db(), actor=current_principal(), drive_id=drive_id, **data)


@blp.post("/drives/<int:drive_id>/walk-ups")
@allow(WALK_UP)
@idempotent(required=True)
@blp.arguments(WalkUpSchema)
@blp.response(201, ReservationSchema, description="fulfilled: reserved and handed over at once")
@blp.refuses(409, "drive_closed, out_of_stock, limit_exceeded, insufficient_credits: nothing is handed over")
@blp.refuses(422, KEY_MISSING)
def create_walk_up(data, drive_id: int):
    """A volunteer at the desk without a reservation: reserve and hand over in one step (staff: their center)"""
    return desk.walk_up(get_db(), actor=current_principal(), drive_id=drive_id, **data)


@blp.get("/reservations")
@allow(READ_RESERVATIONS)
@blp.arguments(ReservationListQuerySchema, location="query")
@blp.response(200, ReservationPageSchema, description="one page of reservations, the newest first")
def list_reservations(query):
    """The reservations the caller may see (a volunteer: their own; staff: those picked up at their center)"""
    return reservation_queries.list_reservations(get_db(), actor=current_principal(), **query)


@blp.get("/reservations/<int:reservation_id>")
@allow(READ_RESERVATIONS)
@blp.response(200, ReservationSchema, description="the reservation, its lines and its voucher")
def get_reservation(reservation_id: int):
    """One reservation"""
    return reservation_queries.get_reservation(get_db(), actor=current_principal(), reservation_id=reservation_id)


@blp.post("/reservations/<int:reservation_id>/cancel")
@allow(CANCEL_RESERVATION)
@idempotent(required=True)
@blp.response(200, ReservationSchema, description="cancelled: the credits and stock are back, the voucher void")
@blp.refuses(409, "reservation_not_held: it was picked up, cancelled or voided already")
@blp.refuses(422, KEY_MISSING)
def cancel_reservation(reservation_id: int):
    """Cancel a reservation before pickup (a volunteer: their own; staff: at their center)"""
    return reservations.cancel_reservation(get_db(), actor=current_principal(), reservation_id=reservation_id)


@blp.post("/vouchers/redeem")
@allow(REDEEM_VOUCHER)
@idempotent(required=True)
@blp.arguments(RedeemSchema)
@blp.response(200, RedemptionSchema, description="fulfilled: hand these goods over to this volunteer")
@blp.refuses(404, "not_found: no voucher has this short code")
@blp.refuses(409, "already_redeemed (says when and where), already_cancelled, voucher_expired, wrong_center (names "
                  "the voucher's center), voucher_not_valid (says why)")
@blp.refuses(422, KEY_MISSING)
def redeem_voucher(data):
    """Redeem a voucher at the pickup desk: what the scanner read, or its short code typed"""
    return desk.redeem_voucher(get_db(), actor=current_principal(), **data)
