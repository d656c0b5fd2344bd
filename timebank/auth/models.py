"""The people who sign in (users, their roles and supervised centers), their API tokens and sign-in failures
(the throttle lives in the database so it holds across workers)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime
from timebank.ledger.models import BigId


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


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int = Field(sa_column=Column(BigInteger, ForeignKey("app_user.id"), nullable=False, index=True))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))  # sha256 of the token
    auth_epoch: int = Field(sa_column=Column(Integer, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class SignInFailure(SQLModel, table=True):
    __tablename__ = "sign_in_failure"
    __table_args__ = (
        Index("ix_sign_in_failure_username", "username", "at"),
        Index("ix_sign_in_failure_address", "address", "at"),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    username: str = Field(sa_column=Column(String(60), nullable=False))
    address: str = Field(sa_column=Column(String(64), nullable=False))
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class UserSession(SQLModel, table=True):
    """A signed-in browser. The signed session cookie carries a random key; only its sha256 is stored here. Signing
    out deletes the row, so a copied cookie stops working at once; a password change deletes every row of the user."""

    __tablename__ = "user_session"

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int = Field(sa_column=Column(BigInteger, ForeignKey("app_user.id"), nullable=False, index=True))
    key_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))  # sha256 of the cookie's key
    auth_epoch: int = Field(sa_column=Column(Integer, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
