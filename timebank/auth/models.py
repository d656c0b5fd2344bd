"""API tokens and sign-in failures (the throttle lives in the database so it holds across workers)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime
from timebank.ledger.models import BigId


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
