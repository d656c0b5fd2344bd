"""Small builders for ledger tests: a center's issuance account, volunteers, and a cause."""
from __future__ import annotations

import uuid
from datetime import timedelta

from timebank.clock import utcnow
from timebank.ledger import accounts, postings
from timebank.ledger.postings import Cause

CAUSE = Cause("user:test", "test", "1")


def key() -> str:
    return uuid.uuid4().hex


def issuer(db, code: str = "C001") -> int:
    return accounts.open_account(db, code=f"issuance:{code}", kind="issuance")


def volunteer(db, name: str | None = None) -> int:
    return accounts.open_account(db, code=f"volunteer:{name or uuid.uuid4().hex[:12]}", kind="volunteer")


def sink(db) -> int:
    return accounts.open_account(db, code=accounts.REDEMPTION_SINK, kind="redemption")


def funded(db, amount: int, *, days: int = 730) -> int:
    account = volunteer(db)
    postings.mint(db, account_id=account, issuer_account_id=issuer(db), amount=amount,
                  expires_at=utcnow() + timedelta(days=days), key=key(), cause=CAUSE)
    return account
