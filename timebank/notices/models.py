"""Two tables: the notices sent (one per lot and window, whatever the races) and the outbox a channel reads."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, String, text
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime
from timebank.ledger.models import BigId
from timebank.notices.rules import CHANNELS, KINDS, TEXT_MAX

_UNSENT = text("sent_at IS NULL")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ExpiryNotice(SQLModel, table=True):
    """"Credits of this lot expire soon", as told to its volunteer: ``credits`` is what was left in the lot then."""

    __tablename__ = "expiry_notice"
    __table_args__ = (
        CheckConstraint(_one_of("kind", KINDS), name="expiry_notice_kind"),
        CheckConstraint("credits > 0", name="expiry_notice_credits_positive"),
        # Never twice for the same lot and window: the database's word, so two runs at once make each notice once.
        Index("ux_expiry_notice_lot_kind", "lot_id", "kind", unique=True),
        # A volunteer's notices, newest first (their list and pages).
        Index("ix_expiry_notice_volunteer", "volunteer_id", "created_at", "id"),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    volunteer_id: int = Field(sa_column=Column(BigInteger, ForeignKey("volunteer.id"), nullable=False))
    lot_id: int = Field(sa_column=Column(BigInteger, ForeignKey("lot.id"), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    credits: int = Field(sa_column=Column(BigInteger, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class OutboxMessage(SQLModel, table=True):
    """A message to a volunteer, waiting for its channel to send it (``sent_at`` is null until then)."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(_one_of("channel", CHANNELS), name="outbox_message_channel"),
        # One message per notice and channel, even if a notice were ever written twice.
        Index("ux_outbox_message_notice_channel", "notice_id", "channel", unique=True),
        # What a channel reads: its unsent messages, oldest first, along a small index that sent ones leave.
        Index("ix_outbox_message_unsent", "channel", "id", sqlite_where=_UNSENT, postgresql_where=_UNSENT),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    volunteer_id: int = Field(sa_column=Column(BigInteger, ForeignKey("volunteer.id"), nullable=False))
    notice_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("expiry_notice.id"),
                                                                    nullable=True))
    text: str = Field(sa_column=Column(String(TEXT_MAX), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    sent_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
