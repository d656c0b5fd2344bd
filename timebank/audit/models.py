"""The audit log: who did what to which object, written in the same transaction as the change."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, BigInteger, Column, Index, String
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime
from timebank.ledger.models import BigId


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_at", "at"),
        Index("ix_audit_object", "object_type", "object_id"),
        Index("ix_audit_actor", "actor_user_id", "at"),
        Index("ix_audit_center", "center_id", "at"),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    actor_user_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger, nullable=True))  # None: system
    actor_name: str = Field(sa_column=Column(String(60), nullable=False))
    actor_role: str = Field(sa_column=Column(String(16), nullable=False))
    center_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    action: str = Field(sa_column=Column(String(60), nullable=False))  # "volunteer.create"
    object_type: str = Field(sa_column=Column(String(40), nullable=False))
    object_id: str = Field(sa_column=Column(String(80), nullable=False))
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
