"""Receipts' tables: the signing keys, every receipt issued, and the revocations (the list offline verifiers sync)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer, LargeBinary, String, text
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime
from timebank.ledger.models import BigId
from timebank.receipts.codec import KIND_LABELS, SINGLE_USE_ID_SIZE
from timebank.receipts.rules import REVOKED_STATUSES, SHORT_CODE_LENGTH

KEY_STATUSES = ("active", "verify_only", "retired")
TOKEN_MAX = 320  # the largest token is 287 digits


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SigningKey(SQLModel, table=True):
    """An Ed25519 key pair. The private half is sealed (AES-GCM under a key derived from ``TIMEBANK_SECRET_KEY``):
    a copy of the database alone cannot sign. Exactly one key is ``active`` (it signs); a rotated key is
    ``verify_only`` until every receipt it signed has expired, then ``retired``."""

    __tablename__ = "signing_key"
    __table_args__ = (
        CheckConstraint(_one_of("status", KEY_STATUSES), name="signing_key_status"),
        Index("ux_signing_key_one_active", "status", unique=True, sqlite_where=text("status = 'active'"),
              postgresql_where=text("status = 'active'")),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    public_key: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False, unique=True))
    sealed_private_key: bytes = Field(sa_column=Column(LargeBinary(128), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    valid_from: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    signs_until: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    valid_until: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))

    def __repr__(self) -> str:  # never the sealed key, not even in a traceback
        return f"SigningKey(id={self.id!r}, status={self.status!r})"


class Receipt(SQLModel, table=True):
    """One signed receipt, as its QR carries it (``token``) and field by field for look-ups and reports."""

    __tablename__ = "receipt"
    __table_args__ = (
        CheckConstraint(_one_of("kind", KIND_LABELS), name="receipt_kind"),
        CheckConstraint("amount >= 0", name="receipt_amount_not_negative"),
        CheckConstraint("expires_at >= issued_at", name="receipt_expires_after_issue"),
        Index("ux_receipt_reference", "kind", "reference", unique=True),
        Index("ix_receipt_key_expiry", "key_id", "expires_at"),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    key_id: int = Field(sa_column=Column(Integer, ForeignKey("signing_key.id"), nullable=False))
    center_id: int = Field(sa_column=Column(BigInteger, ForeignKey("center.id"), nullable=False))
    volunteer_id: int = Field(sa_column=Column(BigInteger, ForeignKey("volunteer.id"), nullable=False, index=True))
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    reference: int = Field(sa_column=Column(BigInteger, nullable=False))
    single_use_id: bytes = Field(sa_column=Column(LargeBinary(SINGLE_USE_ID_SIZE), nullable=False, unique=True))
    short_code: str = Field(sa_column=Column(String(SHORT_CODE_LENGTH), nullable=False, unique=True))
    token: str = Field(sa_column=Column(String(TOKEN_MAX), nullable=False))
    issued_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class ReceiptRevocation(SQLModel, table=True):
    """A receipt that is no longer good, and since when. The primary key is the receipt: a voucher is used once by
    this constraint, not by a check in Python (a second ``INSERT`` fails)."""

    __tablename__ = "receipt_revocation"
    __table_args__ = (
        CheckConstraint(_one_of("status", REVOKED_STATUSES), name="receipt_revocation_status"),
        Index("ix_receipt_revocation_at", "revoked_at", "receipt_id"),
    )

    receipt_id: int = Field(sa_column=Column(BigInteger, ForeignKey("receipt.id"), primary_key=True,
                                             autoincrement=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    revoked_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    center_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger, ForeignKey("center.id"),
                                                                    nullable=True))
