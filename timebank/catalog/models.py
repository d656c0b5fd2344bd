"""The redemption catalog (兑换目录): the daily goods volunteers exchange credits for. Kept by the admin; a drive
offers some of them, with stock per center (``timebank.drives``). An item may have a photo."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, ForeignKey, Integer, LargeBinary, String
from sqlmodel import Field, SQLModel

from timebank.catalog.rules import MAX_PRICE, NAME_MAX, SKU_MAX, UNIT_MAX
from timebank.db import UTCDateTime
from timebank.ledger.models import BigId


class CatalogItem(SQLModel, table=True):
    __tablename__ = "catalog_item"
    __table_args__ = (CheckConstraint(f"price > 0 AND price <= {MAX_PRICE}", name="catalog_item_price"),)

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    sku: str = Field(sa_column=Column(String(SKU_MAX), nullable=False, unique=True))
    name_zh: str = Field(sa_column=Column(String(NAME_MAX), nullable=False))
    name_en: str = Field(sa_column=Column(String(NAME_MAX), nullable=False))
    unit: str = Field(sa_column=Column(String(UNIT_MAX), nullable=False))
    price: int = Field(sa_column=Column(BigInteger, nullable=False))  # hundredths of a credit: 12.50 = 1250
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, default=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class CatalogPhoto(SQLModel, table=True):
    """An item's photo, as the app re-encoded it (a JPEG at most ``FULL_SIDE`` px, and a thumbnail), in the database
    so that a backup holds it and every worker serves it. ``digest`` names this version in its URL, so browsers keep
    it for good and a new photo is a new URL."""
    __tablename__ = "catalog_photo"

    item_id: int = Field(sa_column=Column(BigId, ForeignKey("catalog_item.id", ondelete="CASCADE"),
                                          primary_key=True))
    digest: str = Field(sa_column=Column(String(16), nullable=False))
    full: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    thumb: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    width: int = Field(sa_column=Column(Integer, nullable=False))
    height: int = Field(sa_column=Column(Integer, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
