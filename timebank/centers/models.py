"""A center (养老服务中心) and its issuance account."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from timebank.centers.rules import CODE_MAX, DISTRICT_MAX, NAME_MAX
from timebank.db import UTCDateTime
from timebank.ledger.models import BigId


class Center(SQLModel, table=True):
    __tablename__ = "center"

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    code: str = Field(sa_column=Column(String(CODE_MAX), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(NAME_MAX), nullable=False))
    district: str = Field(sa_column=Column(String(DISTRICT_MAX), nullable=False))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, default=True))
    issuance_account_id: int = Field(sa_column=Column(BigInteger, ForeignKey("account.id"), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
