"""The certificates issued: what each one certified, so its receipt's reference points at a row that says it."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, Date, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime
from timebank.ledger.models import BigId

FINGERPRINT_LENGTH = 64  # sha256, hex


class Certificate(SQLModel, table=True):
    """One service certificate (志愿服务记录证明). Issued again on the same day for the same volunteer, period and
    figures, the same row (and receipt) is handed out: the unique index makes that one row, whoever asks twice."""

    __tablename__ = "certificate"
    __table_args__ = (
        CheckConstraint("total_minutes >= 0", name="certificate_minutes_not_negative"),
        CheckConstraint("record_count >= 0", name="certificate_records_not_negative"),
        CheckConstraint("period_to IS NULL OR period_from IS NULL OR period_to >= period_from",
                        name="certificate_period_in_order"),
        Index("ux_certificate_same_day", "volunteer_id", "issued_on", "fingerprint", unique=True),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    volunteer_id: int = Field(sa_column=Column(BigInteger, ForeignKey("volunteer.id"), nullable=False))
    center_id: int = Field(sa_column=Column(BigInteger, ForeignKey("center.id"), nullable=False))
    period_from: Optional[date] = Field(default=None, sa_column=Column(Date, nullable=True))
    period_to: Optional[date] = Field(default=None, sa_column=Column(Date, nullable=True))
    record_count: int = Field(sa_column=Column(Integer, nullable=False))
    total_minutes: int = Field(sa_column=Column(BigInteger, nullable=False))
    # What it certified, as issued: the person as registered (masked), the figures per service type and year.
    content: dict = Field(sa_column=Column(JSON, nullable=False))
    fingerprint: str = Field(sa_column=Column(String(FINGERPRINT_LENGTH), nullable=False))
    issued_on: date = Field(sa_column=Column(Date, nullable=False))  # on the city's clock
    issued_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    issued_by: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("app_user.id"),
                                                                    nullable=True))
