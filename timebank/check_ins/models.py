"""A check-in: a volunteer at a center from the scan that opened it until the scan (or the job) that closed it."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, String, text
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime
from timebank.ledger.models import BigId

# How a check-in ended: the volunteer scanned again; it stayed open too long (a flagged record); or the time was
# already in another record (staff logged it), so none was made.
CLOSINGS = ("checked_out", "stale", "overlap")
_OPEN = text("closed_at IS NULL")


class CheckIn(SQLModel, table=True):
    __tablename__ = "check_in"
    __table_args__ = (
        CheckConstraint("closing IN ('checked_out', 'stale', 'overlap')", name="check_in_closing"),
        CheckConstraint("(closed_at IS NULL) = (closing IS NULL)", name="check_in_closed_with_closing"),
        # At most one open check-in per volunteer, whatever the races: the database's word, on both backends.
        Index("ux_check_in_open", "volunteer_id", unique=True, sqlite_where=_OPEN, postgresql_where=_OPEN),
        # The job looks for the open ones that are too old.
        Index("ix_check_in_open_since", "checked_in_at", sqlite_where=_OPEN, postgresql_where=_OPEN),
        Index("ix_check_in_volunteer_closed", "volunteer_id", "closed_at"),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    volunteer_id: int = Field(sa_column=Column(BigInteger, ForeignKey("volunteer.id"), nullable=False))
    center_id: int = Field(sa_column=Column(BigInteger, ForeignKey("center.id"), nullable=False))
    checked_in_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    closed_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    closing: Optional[str] = Field(default=None, sa_column=Column(String(16), nullable=True))
    record_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("service_record.id"),
                                                                    nullable=True))
    # What the volunteer said they are doing (on the result page or in the scan): the check-out's record takes it.
    service_type_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("service_type.id"),
                                                                          nullable=True))
