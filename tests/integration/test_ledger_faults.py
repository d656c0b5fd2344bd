"""Fault injection: every posting fails at each of its SQL statements in turn, and at its commit, on both databases.

A ``before_cursor_execute`` hook on the engine first counts the statements a posting runs, then raises at the Nth
one, for every N (and a ``commit`` hook fails the commit itself). The error is not one ``Database.transaction``
retries, so it surfaces. After each failure the ledger's tables must be exactly as before (all or nothing) and sound;
then the same request, with the same key, must go through once and do what an undisturbed run does.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

import pytest
from sqlalchemy import event, select

from tests.ledger_helpers import CAUSE, issuer, key, sink, volunteer
from timebank.clock import utcnow
from timebank.ledger import standalone
from timebank.ledger.check import check_ledger
from timebank.ledger.models import Account, Lot, LotMovement, Refusal, Transfer
from timebank.ledger.postings import Posted

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
LEDGER_TABLES = [Account.__table__, Transfer.__table__, Lot.__table__, LotMovement.__table__, Refusal.__table__]
AT_COMMIT = "commit"


class InjectedFault(RuntimeError):
    """Raised by the hook; not a database error, so ``Database.transaction`` does not retry it."""


class Faults:
    """Counts the SQL statements run through an engine and fails the one numbered ``fail_at`` (or the commit)."""

    def __init__(self, fail_at: int | str | None):
        self.fail_at = fail_at
        self.statements = 0
        self.fired = False

    def before_cursor_execute(self, conn, cursor, statement, parameters, context, executemany):
        self.statements += 1
        if self.statements == self.fail_at:
            self._fire(f"statement {self.statements}: {statement.split()[0]}")

    def commit(self, conn):
        if self.fail_at == AT_COMMIT:
            self._fire("commit")

    def _fire(self, where: str):
        self.fired = True
        raise InjectedFault(f"injected failure at {where}")


@contextmanager
def faults(db, fail_at: int | str | None = None):
    hooks = Faults(fail_at)
    event.listen(db.engine, "before_cursor_execute", hooks.before_cursor_execute)
    event.listen(db.engine, "commit", hooks.commit)
    try:
        yield hooks
    finally:
        event.remove(db.engine, "before_cursor_execute", hooks.before_cursor_execute)
        event.remove(db.engine, "commit", hooks.commit)


def snapshot(db) -> dict[str, list[tuple]]:
    """Every row of every ledger table, in key order."""

    def read(s):
        return {table.name: [tuple(row) for row in s.execute(select(table).order_by(*table.primary_key.columns))]
                for table in LEDGER_TABLES}

    return db.transaction(read, readonly=True)


def rows_added(before: dict, after: dict) -> dict[str, int]:
    return {name: len(after[name]) - len(before[name]) for name in before}


def transfers_under(db, k: str) -> int:
    return len(db.transaction(lambda s: s.execute(
        select(Transfer.id).where(Transfer.idempotency_key == k)).all(), readonly=True))


# ------------------------------------------------------------------------------------------------------- scenarios
# Each scenario sets up fresh accounts in the shared test database and returns the one posting under test.

@dataclass
class Posting:
    key: str
    run: Callable[[], Posted]


def mint(db) -> Posting:
    account, center, k = volunteer(db), issuer(db), key()
    expires = utcnow() + timedelta(days=30)
    return Posting(k, lambda: standalone.mint(db, account_id=account, issuer_account_id=center, amount=100,
                                            expires_at=expires, key=k, cause=CAUSE))


def _two_lots(db, *, early_days: float = 5) -> tuple[int, Posted, Posted]:
    account, center = volunteer(db), issuer(db)
    now = utcnow()
    early = standalone.mint(db, account_id=account, issuer_account_id=center, amount=50,
                          expires_at=now + early_days * DAY, key=key(), cause=CAUSE)
    late = standalone.mint(db, account_id=account, issuer_account_id=center, amount=100,
                         expires_at=now + 50 * DAY, key=key(), cause=CAUSE)
    return account, early, late


def place_hold_across_two_lots(db) -> Posting:
    account, _, _ = _two_lots(db)
    redemption, k = sink(db), key()
    return Posting(k, lambda: standalone.place_hold(db, account_id=account, to_account_id=redemption, amount=120,
                                                  timeout=HOUR, key=k, cause=CAUSE))


def _hold(db, account: int, amount: int) -> Posted:
    return standalone.place_hold(db, account_id=account, to_account_id=sink(db), amount=amount, timeout=HOUR,
                               key=key(), cause=CAUSE)


def post_hold(db) -> Posting:
    account, _, _ = _two_lots(db)
    hold, k = _hold(db, account, 120), key()
    return Posting(k, lambda: standalone.post_hold(db, hold_id=hold.id, key=k, cause=CAUSE))


def void_hold_into_an_expired_lot(db) -> Posting:
    """The void returns credits to a live lot and to an expired one (which expire at once: a second transfer)."""
    account, early, _ = _two_lots(db, early_days=1)
    hold, k = _hold(db, account, 120), key()
    later = utcnow() + 2 * DAY
    standalone.expire_lot(db, lot_id=early.lot_id, cause=CAUSE, now=later)
    return Posting(k, lambda: standalone.void_hold(db, hold_id=hold.id, key=k, cause=CAUSE, now=later))


def time_out_hold(db) -> Posting:
    account, _, _ = _two_lots(db)
    hold, k = _hold(db, account, 120), key()
    return Posting(k, lambda: standalone.void_hold(db, hold_id=hold.id, key=k, cause=CAUSE, now=utcnow() + 2 * HOUR,
                                                 timed_out=True))


def reverse_mint(db) -> Posting:
    account, _, late = _two_lots(db)
    _hold(db, account, 30)
    k = key()
    return Posting(k, lambda: standalone.reverse(db, transfer_id=late.id, key=k, cause=CAUSE))


def reverse_posted_spend(db) -> Posting:
    account, _, _ = _two_lots(db)
    hold = _hold(db, account, 120)
    spend, k = standalone.post_hold(db, hold_id=hold.id, key=key(), cause=CAUSE), key()
    return Posting(k, lambda: standalone.reverse(db, transfer_id=spend.id, key=k, cause=CAUSE))


def expire_lot(db) -> Posting:
    account, early, _ = _two_lots(db, early_days=1)
    _hold(db, account, 20)  # the early lot keeps 30; expiry takes exactly that
    later = utcnow() + 2 * DAY
    return Posting(f"expire-lot:{early.lot_id}",
                   lambda: standalone.expire_lot(db, lot_id=early.lot_id, cause=CAUSE, now=later))


SCENARIOS = [mint, place_hold_across_two_lots, post_hold, void_hold_into_an_expired_lot, time_out_hold, reverse_mint,
             reverse_posted_spend, expire_lot]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_a_posting_interrupted_at_any_statement_leaves_no_trace_and_retries_once(db, scenario):
    posting = scenario(db)
    before = snapshot(db)
    with faults(db) as counted:
        undisturbed = posting.run()
    expected_rows = rows_added(before, snapshot(db))
    statements = counted.statements
    assert not undisturbed.replayed and transfers_under(db, posting.key) == 1
    assert statements >= 5 and expected_rows["transfer"] >= 1

    for fail_at in [*range(1, statements + 1), AT_COMMIT]:
        posting = scenario(db)
        before = snapshot(db)

        with faults(db, fail_at) as hooks, pytest.raises(InjectedFault):
            posting.run()

        assert hooks.fired
        assert snapshot(db) == before, f"{scenario.__name__} left a partial effect when failing at {fail_at}"
        assert check_ledger(db) == [], f"{scenario.__name__} failing at {fail_at}"

        with faults(db) as retried:
            posted = posting.run()
        assert not posted.replayed, f"the failure at {fail_at} committed something under the key"
        assert (posted.kind, posted.amount) == (undisturbed.kind, undisturbed.amount)
        assert retried.statements == statements
        assert transfers_under(db, posting.key) == 1
        assert rows_added(before, snapshot(db)) == expected_rows

    assert check_ledger(db) == []  # and sound after all the retries

