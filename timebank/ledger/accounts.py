"""Accounts and what they hold: opening them, the system sinks, balances (one row) and live lots."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from timebank.clock import utcnow
from timebank.db import Database
from timebank.ledger import errors
from timebank.ledger.models import Account, Lot
from timebank.ledger.rules import LotView

A = Account.__table__
L = Lot.__table__

EXPIRY_SINK = "sink:expiry"
REDEMPTION_SINK = "sink:redemption"

# Built once: these run on every balance read and every spend.
_LIVE_LOTS = (select(L.c.id, L.c.remaining, L.c.expires_at)
              .where(L.c.account_id == bindparam("account_id"), L.c.expired_at.is_(None), L.c.remaining > 0)
              .order_by(L.c.expires_at, L.c.id))
_BALANCE = select(A.c.credits_posted, A.c.debits_posted, A.c.credits_pending, A.c.debits_pending).where(
    A.c.id == bindparam("account_id"))


@dataclass(frozen=True)
class Balance:
    account_id: int
    credits_posted: int
    debits_posted: int
    credits_pending: int
    debits_pending: int

    @property
    def balance(self) -> int:
        return self.credits_posted - self.debits_posted

    @property
    def held(self) -> int:
        return self.debits_pending

    @property
    def available(self) -> int:
        return self.balance - self.debits_pending


def open_account(db: Database, *, code: str, kind: str, center_id: int | None = None) -> int:
    """Open an account (or return the one with this code). Every account but issuance refuses overdraft."""
    return db.transaction(lambda s: open_account_in(s, code=code, kind=kind, center_id=center_id))


def open_account_in(s: Session, *, code: str, kind: str, center_id: int | None = None) -> int:
    """``open_account`` inside the caller's transaction, so an owner and its account appear together or not at all."""
    found = s.execute(select(A.c.id).where(A.c.code == code)).scalar()
    if found is not None:
        return found
    return s.execute(
        insert(A).values(code=code, kind=kind, center_id=center_id, no_overdraft=kind != "issuance",
                         created_at=utcnow()).returning(A.c.id)
    ).scalar_one()


def label_account(s: Session, account_id: int, *, code: str | None = None, center_id: int | None = None) -> None:
    """Name a just-opened account after its owner, whose id exists only now (``volunteer:<id>``, the center)."""
    values = {k: v for k, v in {"code": code, "center_id": center_id}.items() if v is not None}
    s.execute(update(A).where(A.c.id == account_id).values(values))


def ensure_system_accounts(db: Database) -> None:
    open_account(db, code=REDEMPTION_SINK, kind="redemption")
    open_account(db, code=EXPIRY_SINK, kind="expiry")


def get_balance(db: Database, account_id: int) -> Balance:
    """One row, whatever the number of transfers (SPEC §4.8)."""

    def work(s: Session) -> Balance:
        row = s.connection().execute(_BALANCE, {"account_id": account_id}).first()
        if row is None:
            raise errors.AccountNotFound()
        return Balance(account_id, *row)

    return db.transaction(work, readonly=True)


def live_lots(db: Database, account_id: int) -> list[LotView]:
    return db.transaction(lambda s: lots_of(s, account_id), readonly=True)


def lots_of(s: Session, account_id: int) -> list[LotView]:
    """The live lots of an account, oldest expiry first (inside the caller's transaction)."""
    rows = s.execute(_LIVE_LOTS, {"account_id": account_id}).all()
    return [LotView(row.id, row.remaining, row.expires_at) for row in rows]


def account_id_for(s: Session, code: str) -> int:
    found = s.execute(select(A.c.id).where(A.c.code == code)).scalar()
    if found is None:
        raise errors.AccountNotFound(f"no account {code}; run `timebank init`")
    return found
