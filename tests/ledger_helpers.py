"""Small builders for ledger tests: a center's issuance account, volunteers, and a cause."""
from __future__ import annotations

import uuid
from datetime import timedelta

from timebank.clock import utcnow
from timebank.ledger import accounts, postings, standalone
from timebank.ledger.postings import Cause

CAUSE = Cause("user:test", "test", "1")


def key() -> str:
    return uuid.uuid4().hex


def issuer(db, code: str = "C001") -> int:
    return standalone.open_account(db, code=f"issuance:{code}", kind="issuance")


def volunteer(db, name: str | None = None) -> int:
    return standalone.open_account(db, code=f"volunteer:{name or uuid.uuid4().hex[:12]}", kind="volunteer")


def sink(db) -> int:
    return standalone.open_account(db, code=accounts.REDEMPTION_SINK, kind="redemption")


def funded(db, amount: int, *, days: int = 730) -> int:
    """A new volunteer account holding one lot of ``amount``, opened and minted in one unit of work."""
    center = issuer(db)

    def work(s) -> int:
        account = accounts.open_account(s, code=f"volunteer:{uuid.uuid4().hex[:12]}", kind="volunteer")
        postings.mint(s, account_id=account, issuer_account_id=center, amount=amount,
                      expires_at=utcnow() + timedelta(days=days), key=key(), cause=CAUSE)
        return account

    return db.transaction(work)
