"""Service records (服务记录) and what people said about them: the resident's confirmation and rating (评判), and the
supervisors' reviews. A record is pending until staff decide; an approved record is never edited or deleted, only
reversed (its mint and receipt are linked here so an auditor walks from the credits to the service)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime
from timebank.hours.rules import (
    COMMENT_MAX,
    MAX_MINUTES,
    NOTE_MAX,
    RATING_MAX,
    RATING_MIN,
    REASON_MAX,
    RECORD_SOURCES,
    RECORD_STATUSES,
)
from timebank.ledger.models import BigId

IMPORT_KEY_MAX = 64
_APPROVED = text("status = 'approved'")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ServiceRecord(SQLModel, table=True):
    __tablename__ = "service_record"
    __table_args__ = (
        CheckConstraint(_one_of("status", RECORD_STATUSES), name="service_record_status"),
        CheckConstraint(_one_of("source", RECORD_SOURCES), name="service_record_source"),
        CheckConstraint(f"minutes BETWEEN 1 AND {MAX_MINUTES}", name="service_record_minutes"),
        CheckConstraint("ended_at > started_at", name="service_record_ends_after_start"),
        CheckConstraint("status <> 'approved' OR credits IS NOT NULL", name="service_record_approved_has_credits"),
        Index("ix_service_record_volunteer_time", "volunteer_id", "started_at"),
        Index("ix_service_record_center_status", "center_id", "status", "started_at"),
        Index("ix_service_record_activity", "activity_id"),
        # The record book pages a volunteer's records by when they were logged (timebank.record_book).
        Index("ix_service_record_volunteer_entered", "volunteer_id", "entered_at", "id"),
        # The hours report: approved records by start, with all it sums (an index-only scan of the period); the
        # staff's report of one center reads ix_service_record_center_status.
        # (status last: SQLite reads only the index when every column the query names is in it, its WHERE's too).
        Index("ix_service_record_approved_start", "started_at", "center_id", "service_type_id", "minutes", "credits",
              "status", sqlite_where=_APPROVED, postgresql_where=_APPROVED),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    center_id: int = Field(sa_column=Column(BigInteger, ForeignKey("center.id"), nullable=False))
    volunteer_id: int = Field(sa_column=Column(BigInteger, ForeignKey("volunteer.id"), nullable=False))
    service_type_id: int = Field(sa_column=Column(BigInteger, ForeignKey("service_type.id"), nullable=False))
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ended_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    minutes: int = Field(sa_column=Column(Integer, nullable=False))
    note: Optional[str] = Field(default=None, sa_column=Column(String(NOTE_MAX), nullable=True))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    source: str = Field(sa_column=Column(String(16), nullable=False))
    missing_check_out: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, default=False))
    # The records of one activity (a class with five volunteer teachers) share this number: the first record's id.
    activity_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    request_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger, nullable=True, index=True))
    # An imported line's fingerprint: importing the same file again creates nothing new.
    import_key: Optional[str] = Field(default=None, sa_column=Column(String(IMPORT_KEY_MAX), nullable=True,
                                                                     unique=True))
    entered_by: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("app_user.id"),
                                                                     nullable=True))
    entered_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    decided_by: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("app_user.id"),
                                                                     nullable=True))
    decided_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    reject_reason: Optional[str] = Field(default=None, sa_column=Column(String(REASON_MAX), nullable=True))
    credits: Optional[int] = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    mint_transfer_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("transfer.id"),
                                                                           nullable=True, unique=True))
    reversed_by: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("app_user.id"),
                                                                      nullable=True))
    reversed_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    reverse_reason: Optional[str] = Field(default=None, sa_column=Column(String(REASON_MAX), nullable=True))


class RecordConfirmation(SQLModel, table=True):
    """The resident's confirmation of a service and their 1–5 rating (评判), once per record."""

    __tablename__ = "record_confirmation"
    __table_args__ = (CheckConstraint(f"rating BETWEEN {RATING_MIN} AND {RATING_MAX}", name="confirmation_rating"),)

    record_id: int = Field(sa_column=Column(BigInteger, ForeignKey("service_record.id"), primary_key=True,
                                            autoincrement=False))
    rating: int = Field(sa_column=Column(SmallInteger, nullable=False))
    comment: Optional[str] = Field(default=None, sa_column=Column(String(COMMENT_MAX), nullable=True))
    recorded_by: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("app_user.id"),
                                                                      nullable=True))
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class RecordReview(SQLModel, table=True):
    """A supervisor's rating of a record of a center they supervise, once per supervisor and record."""

    __tablename__ = "record_review"
    __table_args__ = (CheckConstraint(f"rating BETWEEN {RATING_MIN} AND {RATING_MAX}", name="review_rating"),
                      Index("ux_record_review_once", "record_id", "reviewer_id", unique=True))

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    record_id: int = Field(sa_column=Column(BigInteger, ForeignKey("service_record.id"), nullable=False))
    reviewer_id: int = Field(sa_column=Column(BigInteger, ForeignKey("app_user.id"), nullable=False))
    rating: int = Field(sa_column=Column(SmallInteger, nullable=False))
    comment: Optional[str] = Field(default=None, sa_column=Column(String(COMMENT_MAX), nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
