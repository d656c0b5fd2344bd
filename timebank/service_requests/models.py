"""Service requests (点单) and who claimed them (领办). A claim row per volunteer keeps "never more volunteers than
needed" checkable and, once the request is completed, points at the service record it became."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, SmallInteger, String
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime
from timebank.ledger.models import BigId
from timebank.service_requests.rules import (
    NEEDED_MAX,
    NEEDED_MIN,
    NOTE_MAX,
    PLACE_MAX,
    REASON_MAX,
    REQUEST_STATUSES,
    RESIDENT_MAX,
)


class ServiceRequest(SQLModel, table=True):
    __tablename__ = "service_request"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in REQUEST_STATUSES)})",
                        name="service_request_status"),
        CheckConstraint(f"volunteers_needed BETWEEN {NEEDED_MIN} AND {NEEDED_MAX}",
                        name="service_request_needed"),
        CheckConstraint("claimed_count BETWEEN 0 AND volunteers_needed", name="service_request_not_over_claimed"),
        CheckConstraint("ends_at > starts_at", name="service_request_ends_after_start"),
        Index("ix_service_request_center_time", "center_id", "starts_at"),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    center_id: int = Field(sa_column=Column(BigInteger, ForeignKey("center.id"), nullable=False))
    service_type_id: int = Field(sa_column=Column(BigInteger, ForeignKey("service_type.id"), nullable=False))
    # Free text, kept minimal: personal data shown only to the center's staff and the claiming volunteers.
    resident: str = Field(sa_column=Column(String(RESIDENT_MAX), nullable=False))
    starts_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    place: str = Field(sa_column=Column(String(PLACE_MAX), nullable=False))
    note: Optional[str] = Field(default=None, sa_column=Column(String(NOTE_MAX), nullable=True))
    volunteers_needed: int = Field(sa_column=Column(SmallInteger, nullable=False))
    # Kept on the row (and checked by the table) so a claim is one guarded UPDATE and a full request says so at once.
    claimed_count: int = Field(default=0, sa_column=Column(SmallInteger, nullable=False, default=0))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    created_by: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("app_user.id"),
                                                                     nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    closed_by: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("app_user.id"),
                                                                    nullable=True))
    closed_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    cancel_reason: Optional[str] = Field(default=None, sa_column=Column(String(REASON_MAX), nullable=True))


class RequestClaim(SQLModel, table=True):
    """One volunteer on one request: claimed by themselves or assigned by staff (``claimed_by`` says who)."""

    __tablename__ = "service_request_claim"

    request_id: int = Field(sa_column=Column(BigInteger, ForeignKey("service_request.id"), primary_key=True,
                                             autoincrement=False))
    volunteer_id: int = Field(sa_column=Column(BigInteger, ForeignKey("volunteer.id"), primary_key=True,
                                               autoincrement=False, index=True))
    claimed_by: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("app_user.id"),
                                                                     nullable=True))
    claimed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # The pending service record this claim became when the request was completed (none: did not serve).
    record_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("service_record.id"),
                                                                    nullable=True))
