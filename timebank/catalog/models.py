"""The redemption catalog (兑换目录): the daily goods volunteers exchange credits for. Kept by the admin; a drive
offers some of them, with stock per center (``timebank.drives``). A photo is not kept yet."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, String
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
