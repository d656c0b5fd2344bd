"""A volunteer's profile: who they are, their home center and their ledger account."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, ForeignKey, Index, SmallInteger, String
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime
from timebank.ledger.models import BigId
from timebank.volunteers.rules import BIRTH_YEAR_MIN, BIRTH_YEAR_STORED_MAX, ID_CARD_TAIL_LENGTH, NAME_MAX, PHONE_MAX


class Volunteer(SQLModel, table=True):
    __tablename__ = "volunteer"
    __table_args__ = (
        CheckConstraint(f"birth_year IS NULL OR (birth_year BETWEEN {BIRTH_YEAR_MIN} AND {BIRTH_YEAR_STORED_MAX})",
                        name="volunteer_birth_year"),
        Index("ix_volunteer_home_center", "home_center_id", "id"),
        Index("ix_volunteer_name", "name"),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    name: str = Field(sa_column=Column(String(NAME_MAX), nullable=False))
    phone: str = Field(sa_column=Column(String(PHONE_MAX), nullable=False, unique=True))
    home_center_id: int = Field(sa_column=Column(BigInteger, ForeignKey("center.id"), nullable=False))
    id_card_tail: Optional[str] = Field(default=None, sa_column=Column(String(ID_CARD_TAIL_LENGTH), nullable=True))
    birth_year: Optional[int] = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, default=True))
    account_id: int = Field(sa_column=Column(BigInteger, ForeignKey("account.id"), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
