"""The kinds of service volunteers give, each with its rate in credits per hour."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, CheckConstraint, Column, Integer, String
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime
from timebank.service_types.rules import CODE_MAX, NAME_MAX
from timebank.ledger.models import BigId


class ServiceType(SQLModel, table=True):
    __tablename__ = "service_type"
    __table_args__ = (CheckConstraint("credits_per_hour > 0", name="service_type_rate_positive"),)

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    code: str = Field(sa_column=Column(String(CODE_MAX), nullable=False, unique=True))
    name_zh: str = Field(sa_column=Column(String(NAME_MAX), nullable=False))
    name_en: str = Field(sa_column=Column(String(NAME_MAX), nullable=False))
    credits_per_hour: int = Field(sa_column=Column(Integer, nullable=False))  # hundredths: 1.00 credit = 100
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, default=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
