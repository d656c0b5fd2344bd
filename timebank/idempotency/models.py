"""The idempotency table: one row per (caller, key), holding the request's identity and the answer it got."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, Integer, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime

KEY_MAX_LENGTH = 160  # SPEC §8.1: an Idempotency-Key has 1 to 160 characters


class IdempotencyKey(SQLModel, table=True):
    """A request that ran under an ``Idempotency-Key``, written in the same transaction as its effect.

    The primary key (caller, key) is the claim: a second request under the same key waits on it until the first
    transaction ends, then replays the stored answer (or, if the first rolled back, runs itself).
    """

    __tablename__ = "idempotency_key"
    __table_args__ = (Index("ix_idempotency_key_created_at", "created_at"),)  # for pruning old keys

    caller: str = Field(sa_column=Column(String(80), primary_key=True))  # "user:42", or a system principal's name
    key: str = Field(sa_column=Column(String(KEY_MAX_LENGTH), primary_key=True))
    method: str = Field(sa_column=Column(String(10), nullable=False))
    path: str = Field(sa_column=Column(Text, nullable=False))  # with its canonical query string, if any
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))  # sha256 of the canonical body
    # The answer. Written by the claiming transaction before it commits, so no other transaction ever sees a row
    # without it (0 and empty only between the claim and the end of the view, inside that transaction).
    status: int = Field(sa_column=Column(Integer, nullable=False))
    content_type: str = Field(sa_column=Column(String(200), nullable=False))
    headers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
