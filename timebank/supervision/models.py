"""The tables of review periods: the periods, each center's sample (drawn once), the supervisors' evaluations,
staff's explanations of anomalies, and the figures published when a period closes (stored, never recomputed)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer, SmallInteger, String
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime
from timebank.ledger.models import BigId
from timebank.supervision.rules import (
    ANOMALY_KEY_MAX,
    ASPECTS,
    COMMENT_MAX,
    NOTE_MAX,
    PERIODS_PER_YEAR,
    SCORE_MAX,
    SCORE_MIN,
    STATUSES,
)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ReviewPeriod(SQLModel, table=True):
    """Two months of a year (``number`` 1 = January–February); open until an admin closes it."""

    __tablename__ = "review_period"
    __table_args__ = (
        CheckConstraint(_one_of("status", STATUSES), name="review_period_status"),
        CheckConstraint(f"number BETWEEN 1 AND {PERIODS_PER_YEAR}", name="review_period_number"),
        CheckConstraint("ends_at > starts_at", name="review_period_ends_after_start"),
        # One row per two months, however many requests open it at once.
        Index("ux_review_period_year_number", "year", "number", unique=True),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    year: int = Field(sa_column=Column(Integer, nullable=False))
    number: int = Field(sa_column=Column(SmallInteger, nullable=False))
    starts_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    closed_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    closed_by: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("app_user.id"),
                                                                    nullable=True))


class ReviewDraw(SQLModel, table=True):
    """That a center's sample of a period was drawn, when and by whom: its primary key makes it happen once."""

    __tablename__ = "review_draw"

    period_id: int = Field(sa_column=Column(BigInteger, ForeignKey("review_period.id"), primary_key=True))
    center_id: int = Field(sa_column=Column(BigInteger, ForeignKey("center.id"), primary_key=True))
    size: int = Field(sa_column=Column(Integer, nullable=False))
    drawn_by: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("app_user.id"),
                                                                   nullable=True))
    drawn_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class ReviewSample(SQLModel, table=True):
    """One approved record of a center's sample, in the order drawn."""

    __tablename__ = "review_sample"
    __table_args__ = (Index("ux_review_sample_record", "period_id", "center_id", "record_id", unique=True),)

    period_id: int = Field(sa_column=Column(BigInteger, ForeignKey("review_period.id"), primary_key=True))
    center_id: int = Field(sa_column=Column(BigInteger, ForeignKey("center.id"), primary_key=True))
    position: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    record_id: int = Field(sa_column=Column(BigInteger, ForeignKey("service_record.id"), nullable=False))


class ReviewEvaluation(SQLModel, table=True):
    """A supervisor's scores of a center for a period, one per (period, center, supervisor); edited until close."""

    __tablename__ = "review_evaluation"
    __table_args__ = (
        *(CheckConstraint(f"{aspect} BETWEEN {SCORE_MIN} AND {SCORE_MAX}", name=f"review_evaluation_{aspect}")
          for aspect in ASPECTS),
        Index("ux_review_evaluation_once", "period_id", "center_id", "supervisor_id", unique=True),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    period_id: int = Field(sa_column=Column(BigInteger, ForeignKey("review_period.id"), nullable=False))
    center_id: int = Field(sa_column=Column(BigInteger, ForeignKey("center.id"), nullable=False))
    supervisor_id: int = Field(sa_column=Column(BigInteger, ForeignKey("app_user.id"), nullable=False))
    punctuality: int = Field(sa_column=Column(SmallInteger, nullable=False))
    service_quality: int = Field(sa_column=Column(SmallInteger, nullable=False))
    record_keeping: int = Field(sa_column=Column(SmallInteger, nullable=False))
    satisfaction: int = Field(sa_column=Column(SmallInteger, nullable=False))
    comment: Optional[str] = Field(default=None, sa_column=Column(String(COMMENT_MAX), nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class AnomalyExplanation(SQLModel, table=True):
    """Staff's note on an anomaly of their center (``anomaly_key``: ``rules.anomaly_key``); edited until close."""

    __tablename__ = "anomaly_explanation"
    __table_args__ = (Index("ux_anomaly_explanation_key", "period_id", "center_id", "anomaly_key", unique=True),)

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    period_id: int = Field(sa_column=Column(BigInteger, ForeignKey("review_period.id"), nullable=False))
    center_id: int = Field(sa_column=Column(BigInteger, ForeignKey("center.id"), nullable=False))
    anomaly_key: str = Field(sa_column=Column(String(ANOMALY_KEY_MAX), nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    note: str = Field(sa_column=Column(String(NOTE_MAX), nullable=False))
    explained_by: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("app_user.id"),
                                                                       nullable=True))
    explained_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class ReviewResult(SQLModel, table=True):
    """A center's published figures of a closed period, as computed at close (``figures``: see ``services``)."""

    __tablename__ = "review_result"
    __table_args__ = (Index("ix_review_result_center", "center_id", "period_id"),)

    period_id: int = Field(sa_column=Column(BigInteger, ForeignKey("review_period.id"), primary_key=True))
    center_id: int = Field(sa_column=Column(BigInteger, ForeignKey("center.id"), primary_key=True))
    figures: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    published_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
