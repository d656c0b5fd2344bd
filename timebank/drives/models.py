"""Drives (兑换活动) and reservations: the stock each center has of each item, and what volunteers reserved.

Stock is kept per (drive, center, item) as three counters, ``stock``, ``held`` (reserved, not yet handed over) and
``sold`` (handed over); a check constraint states SPEC §4.3, ``held + sold <= stock``, behind the guarded updates
of ``timebank.drives.stock``. A reservation names its ledger hold (``hold_transfer_id``); its voucher is the receipt
of kind ``voucher`` whose reference is the reservation's id (unique per kind and reference, as every receipt).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
)
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime
from timebank.drives.rules import MAX_LIMIT, MAX_QUANTITY, MAX_STOCK, NAME_MAX, RESERVATION_STATUSES
from timebank.ledger.models import BigId


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Drive(SQLModel, table=True):
    __tablename__ = "drive"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="drive_closes_after_opening"),
        CheckConstraint("pickup_until >= closes_at", name="drive_pickup_after_closing"),
        Index("ix_drive_opens", "opens_at", "id"),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    name: str = Field(sa_column=Column(String(NAME_MAX), nullable=False))
    opens_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    closes_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    pickup_until: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_by: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("app_user.id"),
                                                                     nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class DriveCenter(SQLModel, table=True):
    """A center taking part in a drive: its desk hands goods over."""

    __tablename__ = "drive_center"

    drive_id: int = Field(sa_column=Column(BigInteger, ForeignKey("drive.id"), primary_key=True,
                                           autoincrement=False))
    center_id: int = Field(sa_column=Column(BigInteger, ForeignKey("center.id"), primary_key=True,
                                            autoincrement=False))


class DriveItem(SQLModel, table=True):
    """An item a drive offers, and how many of it one volunteer may have across all their reservations in it."""

    __tablename__ = "drive_item"
    __table_args__ = (
        CheckConstraint(f"limit_per_volunteer IS NULL OR limit_per_volunteer BETWEEN 1 AND {MAX_LIMIT}",
                        name="drive_item_limit"),
    )

    drive_id: int = Field(sa_column=Column(BigInteger, ForeignKey("drive.id"), primary_key=True,
                                           autoincrement=False))
    item_id: int = Field(sa_column=Column(BigInteger, ForeignKey("catalog_item.id"), primary_key=True,
                                          autoincrement=False))
    limit_per_volunteer: Optional[int] = Field(default=None, sa_column=Column(Integer, nullable=True))


class DriveStock(SQLModel, table=True):
    """One item's stock at one center in one drive: the only row reservations of that item there contend on."""

    __tablename__ = "drive_stock"
    __table_args__ = (
        CheckConstraint("held >= 0 AND sold >= 0", name="drive_stock_not_negative"),
        CheckConstraint("held + sold <= stock", name="drive_stock_within_stock"),
        CheckConstraint(f"stock <= {MAX_STOCK}", name="drive_stock_bounded"),
        ForeignKeyConstraint(["drive_id", "item_id"], ["drive_item.drive_id", "drive_item.item_id"],
                             name="fk_drive_stock_item"),
        ForeignKeyConstraint(["drive_id", "center_id"], ["drive_center.drive_id", "drive_center.center_id"],
                             name="fk_drive_stock_center"),
    )

    drive_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    center_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    item_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    stock: int = Field(sa_column=Column(Integer, nullable=False))
    held: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    sold: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))


class Reservation(SQLModel, table=True):
    """A volunteer's order in a drive, for pickup at one center: held (credits and stock), then fulfilled at the
    desk, cancelled before pickup, or voided once ``pickup_until`` passed. A walk-up is fulfilled at once."""

    __tablename__ = "reservation"
    __table_args__ = (
        CheckConstraint(_one_of("status", RESERVATION_STATUSES), name="reservation_status"),
        CheckConstraint("total > 0", name="reservation_total_positive"),
        CheckConstraint("status <> 'fulfilled' OR fulfilled_at IS NOT NULL", name="reservation_fulfilled_when"),
        CheckConstraint("status <> 'cancelled' OR cancelled_at IS NOT NULL", name="reservation_cancelled_when"),
        CheckConstraint("status <> 'voided' OR voided_at IS NOT NULL", name="reservation_voided_when"),
        ForeignKeyConstraint(["drive_id", "center_id"], ["drive_center.drive_id", "drive_center.center_id"],
                             name="fk_reservation_drive_center"),
        # The volunteer's limit per item is counted over their reservations in the drive.
        Index("ix_reservation_drive_volunteer", "drive_id", "volunteer_id"),
        # A center's pick list; the stale sweep (held reservations of drives whose pickup is over).
        Index("ix_reservation_drive_center_status", "drive_id", "center_id", "status"),
        Index("ix_reservation_status_drive", "status", "drive_id"),
        Index("ix_reservation_volunteer_created", "volunteer_id", "created_at"),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    drive_id: int = Field(sa_column=Column(BigInteger, ForeignKey("drive.id"), nullable=False))
    volunteer_id: int = Field(sa_column=Column(BigInteger, ForeignKey("volunteer.id"), nullable=False))
    center_id: int = Field(sa_column=Column(BigInteger, ForeignKey("center.id"), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    total: int = Field(sa_column=Column(BigInteger, nullable=False))  # hundredths of a credit
    walk_up: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, default=False))
    hold_transfer_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("transfer.id"),
                                                                           nullable=True, unique=True))
    created_by: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("app_user.id"),
                                                                     nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    fulfilled_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    fulfilled_by: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("app_user.id"),
                                                                       nullable=True))
    cancelled_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    cancelled_by: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("app_user.id"),
                                                                       nullable=True))
    voided_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class ReservationLine(SQLModel, table=True):
    """How many of one item a reservation holds, at the price it was reserved at."""

    __tablename__ = "reservation_line"
    __table_args__ = (
        CheckConstraint(f"quantity BETWEEN 1 AND {MAX_QUANTITY}", name="reservation_line_quantity"),
        CheckConstraint("unit_price > 0", name="reservation_line_price_positive"),
    )

    reservation_id: int = Field(sa_column=Column(BigInteger, ForeignKey("reservation.id"), primary_key=True,
                                                 autoincrement=False))
    item_id: int = Field(sa_column=Column(BigInteger, ForeignKey("catalog_item.id"), primary_key=True,
                                          autoincrement=False))
    quantity: int = Field(sa_column=Column(Integer, nullable=False))
    unit_price: int = Field(sa_column=Column(BigInteger, nullable=False))
