"""Centers, volunteers, service types, users and their roles (SPEC §1, §2)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, SmallInteger, String
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime
from timebank.ledger.models import BigId

ROLES = ("admin", "staff", "supervisor", "volunteer")


class Center(SQLModel, table=True):
    __tablename__ = "center"

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    code: str = Field(sa_column=Column(String(32), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(120), nullable=False))
    district: str = Field(sa_column=Column(String(60), nullable=False))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, default=True))
    issuance_account_id: int = Field(sa_column=Column(BigInteger, ForeignKey("account.id"), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Volunteer(SQLModel, table=True):
    __tablename__ = "volunteer"
    __table_args__ = (
        CheckConstraint("birth_year IS NULL OR (birth_year BETWEEN 1900 AND 2100)", name="volunteer_birth_year"),
        Index("ix_volunteer_home_center", "home_center_id", "id"),
        Index("ix_volunteer_name", "name"),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    name: str = Field(sa_column=Column(String(60), nullable=False))
    phone: str = Field(sa_column=Column(String(20), nullable=False, unique=True))
    home_center_id: int = Field(sa_column=Column(BigInteger, ForeignKey("center.id"), nullable=False))
    id_card_tail: Optional[str] = Field(default=None, sa_column=Column(String(4), nullable=True))
    birth_year: Optional[int] = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, default=True))
    account_id: int = Field(sa_column=Column(BigInteger, ForeignKey("account.id"), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class ServiceType(SQLModel, table=True):
    __tablename__ = "service_type"
    __table_args__ = (CheckConstraint("credits_per_hour > 0", name="service_type_rate_positive"),)

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    code: str = Field(sa_column=Column(String(32), nullable=False, unique=True))
    name_zh: str = Field(sa_column=Column(String(80), nullable=False))
    name_en: str = Field(sa_column=Column(String(80), nullable=False))
    credits_per_hour: int = Field(sa_column=Column(Integer, nullable=False))  # hundredths: 1.00 credit = 100
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, default=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'staff', 'supervisor', 'volunteer')", name="user_role"),
        CheckConstraint("role <> 'staff' OR center_id IS NOT NULL", name="user_staff_has_center"),
        CheckConstraint("role <> 'volunteer' OR volunteer_id IS NOT NULL", name="user_volunteer_has_profile"),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    username: str = Field(sa_column=Column(String(60), nullable=False, unique=True))
    password_hash: str = Field(sa_column=Column(String(200), nullable=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    center_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("center.id"), nullable=True))
    volunteer_id: Optional[int] = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("volunteer.id"), nullable=True, unique=True)
    )
    display_name: str = Field(default="", sa_column=Column(String(60), nullable=False, default=""))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, default=True))
    must_change_password: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, default=False))
    # Bumped when the password changes: every session and token minted under an older epoch stops working.
    auth_epoch: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    locale: Optional[str] = Field(default=None, sa_column=Column(String(10), nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class SupervisorCenter(SQLModel, table=True):
    """The centers a supervisor is assigned to review."""

    __tablename__ = "supervisor_center"

    user_id: int = Field(sa_column=Column(BigInteger, ForeignKey("app_user.id"), primary_key=True))
    center_id: int = Field(sa_column=Column(BigInteger, ForeignKey("center.id"), primary_key=True))
