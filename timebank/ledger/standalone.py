"""The ledger for callers that own no transaction (tests, jobs, the benchmark, ``timebank init``).

Each function here is a thin wrapper: it runs the session form of the same name (``postings``, ``accounts``,
``sweeps``) in a transaction of its own, retried on a conflict, and commits. A posting's refusal is also recorded
under its key, in a second transaction after the refused one rolled back, so that key stays refused (SPEC §4.5).

A feature's use case does not call these: it passes its own session to ``timebank.ledger.postings``.
"""
from __future__ import annotations

import functools
from datetime import datetime
from typing import Callable, TypeVar

from sqlalchemy.orm import Session

from timebank.clock import utcnow
from timebank.db import Database
from timebank.ledger import accounts, errors, postings, sweeps
from timebank.ledger.accounts import Balance
from timebank.ledger.check import check_ledger  # noqa: F401  (read-only: it owns its snapshot already)
from timebank.ledger.postings import Cause
from timebank.ledger.rules import LotView

T = TypeVar("T")


def run(db: Database, work: Callable[[Session], T]) -> T:
    """Run ``work(session)`` (postings composed with anything else) in one transaction of its own and commit.

    When a posting in it is refused, everything ``work`` did rolls back, and then the refusal is recorded under that
    posting's key in a second transaction, so the key stays refused; the refusal is raised again."""
    try:
        return db.transaction(work)
    except errors.LedgerRefusal as refusal:
        if refusal.replayed or refusal.idempotency_key is None:
            raise
        if db.transaction(lambda s, refused=refusal: postings.record_refusal(s, refused)) is not None:
            # A concurrent request under the same key succeeded first: run the work again, which now replays it.
            return db.transaction(work)
        raise


def _standalone(posting):
    @functools.wraps(posting)
    def owned(db: Database, /, **request):
        return run(db, lambda s: posting(s, **request))

    owned.__doc__ = f"``postings.{posting.__name__}`` in a transaction of its own.\n\n{posting.__doc__ or ''}"
    return owned


mint = _standalone(postings.mint)
place_hold = _standalone(postings.place_hold)
post_hold = _standalone(postings.post_hold)
void_hold = _standalone(postings.void_hold)
expire_lot = _standalone(postings.expire_lot)
reverse = _standalone(postings.reverse)
time_out_hold = _standalone(sweeps.time_out_hold)


def open_account(db: Database, *, code: str, kind: str, center_id: int | None = None) -> int:
    return db.transaction(lambda s: accounts.open_account(s, code=code, kind=kind, center_id=center_id))


def ensure_system_accounts(db: Database) -> None:
    db.transaction(accounts.ensure_system_accounts)


def get_balance(db: Database, account_id: int) -> Balance:
    return db.transaction(lambda s: accounts.balance_of(s, account_id), readonly=True)


def live_lots(db: Database, account_id: int) -> list[LotView]:
    return db.transaction(lambda s: accounts.lots_of(s, account_id), readonly=True)


def void_timed_out_holds(db: Database, *, cause: Cause, now: datetime | None = None, batch: int = 500) -> int:
    """Resolve every hold whose time has run out as a ``timeout``, each in its own transaction; how many were."""
    at = now or utcnow()
    done = 0
    while True:
        due = db.transaction(lambda s: sweeps.due_holds(s, now=at, limit=batch), readonly=True)
        for hold_id in due:
            try:
                time_out_hold(db, hold_id=hold_id, cause=cause, now=at)
                done += 1
            except errors.HoldNotPending:
                pass  # posted or voided meanwhile
        if len(due) < batch:
            return done


EXPIRY_BATCH = 5000  # lots per unit of work: a million due lots never hold one long transaction


def expire_due_lots(db: Database, *, cause: Cause, now: datetime | None = None, batch: int = EXPIRY_BATCH) -> int:
    """Expire every lot past its date, ``batch`` lots per transaction (each batch set-based: a few statements, all or
    nothing); returns how many lots gave up credits. Safe to run twice at once (each lot expires once, in whichever
    run reaches it first) and after a crash (the batches committed stay, the next run does the rest)."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    at = now or utcnow()
    expired = 0
    while True:
        gave, taken = db.transaction(lambda s: sweeps.expire_due_batch(s, cause=cause, now=at, limit=batch))
        expired += gave
        if taken < batch:
            return expired
