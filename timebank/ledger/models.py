"""Ledger tables: accounts with stored totals, append-only transfers, lots and the movements of credits in them.

The vocabulary follows TigerBeetle: an account keeps four totals (posted/pending × debits/credits); a *pending*
transfer is a hold, resolved exactly once by a later ``post``, ``void`` or ``timeout`` transfer that names it.
Check constraints are the backstop behind the guarded updates in ``postings.py``.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer, String, text
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")

ACCOUNT_KINDS = ("volunteer", "issuance", "redemption", "expiry")
TRANSFER_KINDS = ("mint", "pending", "post", "void", "timeout", "expire", "reversal")
RESOLUTION_KINDS = ("post", "void", "timeout")
POSTING_KINDS = ("mint", "post", "expire", "reversal")


def _kinds(column: str, kinds: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(k) for k in kinds)})"


def _one_sink_per_center(kind: str) -> Index:
    """At most one ``kind`` sink per center, and the index that finds it by ``center_id`` (accounts.center_sink)."""
    where = text(f"kind = '{kind}'")
    return Index(f"ux_account_{kind}_sink", "center_id", unique=True, sqlite_where=where, postgresql_where=where)


class Account(SQLModel, table=True):
    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint(_kinds("kind", ACCOUNT_KINDS), name="account_kind"),
        CheckConstraint(
            "debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 AND credits_posted >= 0",
            name="account_totals_not_negative",
        ),
        CheckConstraint(
            "NOT no_overdraft OR debits_posted + debits_pending <= credits_posted", name="account_no_overdraft"
        ),
        # Each center has its own sinks, so drive-day postings do not queue on one city-wide row.
        _one_sink_per_center("redemption"),
        _one_sink_per_center("expiry"),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    code: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    center_id: Optional[int] = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    no_overdraft: bool = Field(default=False, nullable=False)
    debits_pending: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    debits_posted: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    credits_pending: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    credits_posted: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Transfer(SQLModel, table=True):
    __tablename__ = "transfer"
    __table_args__ = (
        CheckConstraint("amount > 0", name="transfer_amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="transfer_two_accounts"),
        CheckConstraint(_kinds("kind", TRANSFER_KINDS), name="transfer_kind"),
        CheckConstraint(
            f"(pending_id IS NOT NULL) = ({_kinds('kind', RESOLUTION_KINDS)})", name="transfer_resolution_names_hold"
        ),
        CheckConstraint("(timeout_at IS NOT NULL) = (kind = 'pending')", name="transfer_hold_has_timeout"),
        CheckConstraint("(reverses_id IS NOT NULL) = (kind = 'reversal')", name="transfer_reversal_names_original"),
        Index("ix_transfer_debit_account", "debit_account_id", "id"),
        Index("ix_transfer_credit_account", "credit_account_id", "id"),
        # The record book pages an account's transfers by time, newest first (timebank.ledger.statement).
        Index("ix_transfer_debit_time", "debit_account_id", "created_at", "id"),
        Index("ix_transfer_credit_time", "credit_account_id", "created_at", "id"),
        Index("ix_transfer_open_holds", "kind", "timeout_at"),
        Index("ix_transfer_reason", "reason_type", "reason_id"),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    debit_account_id: int = Field(sa_column=Column(BigInteger, ForeignKey("account.id"), nullable=False))
    credit_account_id: int = Field(sa_column=Column(BigInteger, ForeignKey("account.id"), nullable=False))
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    # A post/void/timeout names the hold it resolves; the unique index makes resolution happen at most once.
    pending_id: Optional[int] = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("transfer.id"), nullable=True, unique=True)
    )
    # A reversal names what it reverses; unique, so a transfer is reversed at most once.
    reverses_id: Optional[int] = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("transfer.id"), nullable=True, unique=True)
    )
    timeout_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    idempotency_key: str = Field(sa_column=Column(String(160), nullable=False, unique=True))
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))
    actor: str = Field(sa_column=Column(String(80), nullable=False))  # "user:12", "job:expire-credits"
    reason_type: str = Field(sa_column=Column(String(40), nullable=False))  # "service_record", "job_run", …
    reason_id: str = Field(sa_column=Column(String(80), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


_LIVE = text("expired_at IS NULL")


class Lot(SQLModel, table=True):
    """The credits of one mint, with their own expiry date. ``remaining`` is what is neither held nor spent."""

    __tablename__ = "lot"
    __table_args__ = (
        CheckConstraint("amount > 0", name="lot_amount_positive"),
        CheckConstraint("remaining >= 0 AND remaining <= amount", name="lot_remaining_in_range"),
        CheckConstraint("expired_at IS NULL OR remaining = 0", name="lot_expired_is_empty"),
        Index("ix_lot_fifo", "account_id", "expires_at", "id"),
        # The live lots by date, soonest first: what the expiry job takes in batches and the notices look ahead in.
        # Partial, so a lot leaves it once expired and a daily run never walks the years of lots expired before.
        Index("ix_lot_due", "expires_at", "id", sqlite_where=_LIVE, postgresql_where=_LIVE),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    account_id: int = Field(sa_column=Column(BigInteger, ForeignKey("account.id"), nullable=False))
    mint_transfer_id: int = Field(sa_column=Column(BigInteger, ForeignKey("transfer.id"), nullable=False, unique=True))
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    remaining: int = Field(sa_column=Column(BigInteger, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expired_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class LotMovement(SQLModel, table=True):
    """Which transfer took credits from (negative) or gave them back to (positive) which lot."""

    __tablename__ = "lot_movement"
    __table_args__ = (
        CheckConstraint("delta <> 0", name="lot_movement_not_zero"),
        Index("ix_lot_movement_lot", "lot_id"),
        Index("ix_lot_movement_transfer", "transfer_id"),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    transfer_id: int = Field(sa_column=Column(BigInteger, ForeignKey("transfer.id"), nullable=False))
    lot_id: int = Field(sa_column=Column(BigInteger, ForeignKey("lot.id"), nullable=False))
    delta: int = Field(sa_column=Column(BigInteger, nullable=False))


class Refusal(SQLModel, table=True):
    """A request refused for a domain reason; its idempotency key stays refused (SPEC §4.5)."""

    __tablename__ = "ledger_refusal"

    idempotency_key: str = Field(sa_column=Column(String(160), primary_key=True))
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))
    code: str = Field(sa_column=Column(String(40), nullable=False))
    message: str = Field(sa_column=Column(String(400), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
