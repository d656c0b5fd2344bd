"""Targeted races: real threads on separate connections, released together by a barrier, on SQLite and PostgreSQL.

Each test makes many requests collide on one account, one hold, one key or one transfer, then asserts the single
outcome SPEC §4 allows and that ``check_ledger`` finds the books sound. The requests are the session-form postings
inside the caller's ``db.transaction`` (alone, or composed into one unit of work as a feature sends them);
``standalone.run`` adds the record of a refusal under its key, and two tests keep the standalone wrappers in the race.
"""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Callable

from sqlalchemy import func, select

from tests.ledger_helpers import CAUSE, funded, issuer, key, sink, volunteer
from timebank.clock import utcnow
from timebank.ledger import errors, postings, standalone
from timebank.ledger.check import check_ledger
from timebank.ledger.models import Refusal, Transfer
from timebank.ledger.postings import Posted

HOUR = timedelta(hours=1)
JOIN_TIMEOUT_S = 120


def collide(calls: list[Callable[[], object]]) -> list[object]:
    """Run every call on its own thread, all released at once; each result is a return value or the exception."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=JOIN_TIMEOUT_S)
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=JOIN_TIMEOUT_S) for future in futures]


def outcomes(results: list[object]) -> Counter:
    """``Counter`` of outcome names: ``"ok"`` for a transfer, the exception class name otherwise."""
    return Counter("ok" if isinstance(r, Posted) else type(r).__name__ for r in results)


def unexpected(results: list[object], *allowed: type[BaseException]) -> list[BaseException]:
    return [r for r in results if isinstance(r, BaseException) and not isinstance(r, allowed)]


def transfers_where(db, *conditions) -> list:
    return db.transaction(lambda s: s.execute(select(Transfer.__table__).where(*conditions)).all(), readonly=True)


def test_concurrent_holds_beyond_the_balance_let_exactly_one_through(db):
    account, redemption = funded(db, 100), sink(db)

    results = collide([
        lambda: standalone.run(db, lambda s: postings.place_hold(
            s, account_id=account, to_account_id=redemption, amount=60, timeout=HOUR, key=key(), cause=CAUSE))
        for _ in range(100)
    ])

    assert unexpected(results, errors.InsufficientCredits) == []
    assert outcomes(results) == {"ok": 1, "InsufficientCredits": 99}
    balance = standalone.get_balance(db, account)
    assert (balance.balance, balance.held, balance.available) == (100, 60, 40)
    assert len(transfers_where(db, Transfer.kind == "pending", Transfer.debit_account_id == account)) == 1
    refusals = db.transaction(lambda s: s.execute(select(func.count()).select_from(Refusal)).scalar_one())
    assert refusals == 99  # each refused key stays refused
    assert check_ledger(db) == []


def test_concurrent_posts_of_one_hold_post_it_once(db):
    account, redemption = funded(db, 100), sink(db)
    hold = standalone.place_hold(db, account_id=account, to_account_id=redemption, amount=60, timeout=HOUR, key=key(),
                               cause=CAUSE)

    results = collide([lambda: db.transaction(lambda s: postings.post_hold(s, hold_id=hold.id, key=key(), cause=CAUSE))
                       for _ in range(50)])

    assert unexpected(results, errors.HoldNotPending) == []
    assert outcomes(results) == {"ok": 1, "HoldNotPending": 49}
    [winner] = [r for r in results if isinstance(r, Posted)]
    [resolution] = transfers_where(db, Transfer.pending_id == hold.id)
    assert (resolution.id, resolution.kind, resolution.amount) == (winner.id, "post", 60)
    balance = standalone.get_balance(db, account)
    assert (balance.balance, balance.held) == (40, 0)
    assert standalone.get_balance(db, redemption).balance == 60
    assert check_ledger(db) == []


def test_one_idempotency_key_from_many_threads_makes_one_transfer(db):
    account, center = volunteer(db), issuer(db)
    expires, k = utcnow() + timedelta(days=30), key()

    results = collide([
        lambda: db.transaction(lambda s: postings.mint(s, account_id=account, issuer_account_id=center, amount=100,
                                                       expires_at=expires, key=k, cause=CAUSE))
        for _ in range(20)
    ])

    assert unexpected(results) == []
    assert len({r.id for r in results}) == 1
    assert len({r.lot_id for r in results}) == 1 and results[0].lot_id is not None
    assert sum(not r.replayed for r in results) == 1  # one thread made it; nineteen replayed it
    assert len(transfers_where(db, Transfer.idempotency_key == k)) == 1
    assert standalone.get_balance(db, account).balance == 100
    assert [lot.remaining for lot in standalone.live_lots(db, account)] == [100]
    assert check_ledger(db) == []


def test_one_refused_key_from_many_threads_is_refused_once_and_stays_refused(db):
    account, redemption = funded(db, 50), sink(db)
    k = key()

    results = collide([
        lambda: standalone.place_hold(db, account_id=account, to_account_id=redemption, amount=80, timeout=HOUR,
                                    key=k, cause=CAUSE)
        for _ in range(20)
    ])

    assert unexpected(results, errors.InsufficientCredits) == []
    assert outcomes(results) == {"InsufficientCredits": 20}
    stored = db.transaction(lambda s: s.execute(select(Refusal.__table__).where(Refusal.idempotency_key == k)).all())
    assert [row.code for row in stored] == ["insufficient_credits"]
    assert transfers_where(db, Transfer.idempotency_key == k) == []
    assert standalone.get_balance(db, account).held == 0
    assert check_ledger(db) == []


def test_posts_and_voids_of_the_same_holds_at_once_resolve_each_hold_once(db):
    account, redemption = funded(db, 1000), sink(db)
    holds = [standalone.place_hold(db, account_id=account, to_account_id=redemption, amount=50, timeout=HOUR,
                                 key=key(), cause=CAUSE) for _ in range(8)]

    calls = []
    for hold in holds:
        calls += [lambda h=hold.id: db.transaction(lambda s: postings.post_hold(s, hold_id=h, key=key(), cause=CAUSE))
                  for _ in range(2)]
        calls += [lambda h=hold.id: db.transaction(lambda s: postings.void_hold(s, hold_id=h, key=key(), cause=CAUSE))
                  for _ in range(2)]
    results = collide(calls)

    assert unexpected(results, errors.HoldNotPending) == []
    assert outcomes(results) == {"ok": 8, "HoldNotPending": 24}
    posted = 0
    for hold in holds:
        [resolution] = transfers_where(db, Transfer.pending_id == hold.id)
        assert resolution.kind in ("post", "void")
        posted += resolution.kind == "post"
    balance = standalone.get_balance(db, account)
    assert (balance.balance, balance.held) == (1000 - 50 * posted, 0)
    assert standalone.get_balance(db, redemption).balance == 50 * posted
    assert check_ledger(db) == []


def test_reversing_a_mint_while_spending_it_never_overdraws(db):
    """One mint of 1.00 per volunteer; its reversal races five holds of 0.30 on the same credits.

    Whoever locks the account first decides: either the reversal takes everything back and every hold is refused, or
    a hold gets in first, the reversal is refused, and exactly three holds fit in the 1.00.
    """
    center, redemption = issuer(db), sink(db)
    expires = utcnow() + timedelta(days=30)
    rounds = []
    calls = []
    for _ in range(8):
        account = volunteer(db)
        minted = standalone.mint(db, account_id=account, issuer_account_id=center, amount=100, expires_at=expires,
                               key=key(), cause=CAUSE)
        first = len(calls)
        calls.append(lambda m=minted.id: db.transaction(
            lambda s: postings.reverse(s, transfer_id=m, key=key(), cause=CAUSE)))
        calls += [lambda a=account: db.transaction(lambda s: postings.place_hold(
            s, account_id=a, to_account_id=redemption, amount=30, timeout=HOUR, key=key(), cause=CAUSE))
            for _ in range(5)]
        rounds.append((account, first))

    results = collide(calls)

    assert unexpected(results, errors.InsufficientCredits) == []
    for account, first in rounds:
        reversal, holds = results[first], results[first + 1:first + 6]
        held = sum(isinstance(r, Posted) for r in holds)
        balance = standalone.get_balance(db, account)
        if isinstance(reversal, Posted):
            assert held == 0
            assert (balance.balance, balance.held) == (0, 0)
        else:
            assert isinstance(reversal, errors.InsufficientCredits)
            assert held == 3
            assert (balance.balance, balance.held, balance.available) == (100, 90, 10)
    assert check_ledger(db) == []


def test_concurrent_reversals_of_one_spend_reverse_it_once(db):
    account, redemption = funded(db, 100), sink(db)
    hold = standalone.place_hold(db, account_id=account, to_account_id=redemption, amount=100, timeout=HOUR,
                               key=key(), cause=CAUSE)
    spend = standalone.post_hold(db, hold_id=hold.id, key=key(), cause=CAUSE)

    results = collide([lambda: standalone.reverse(db, transfer_id=spend.id, key=key(), cause=CAUSE)
                       for _ in range(20)])

    assert unexpected(results, errors.AlreadyReversed) == []
    assert outcomes(results) == {"ok": 1, "AlreadyReversed": 19}
    assert len(transfers_where(db, Transfer.reverses_id == spend.id)) == 1
    assert standalone.get_balance(db, account).available == 100
    assert standalone.get_balance(db, redemption).balance == 0
    assert check_ledger(db) == []


def test_expiry_racing_spends_of_the_same_lot_takes_only_what_is_left(db):
    """Holds of 0.10 race the expiry of the 1.00 lot they draw from: the expiry takes exactly what the holds left."""
    account, center, redemption = volunteer(db), issuer(db), sink(db)
    now = utcnow()
    minted = standalone.mint(db, account_id=account, issuer_account_id=center, amount=100,
                           expires_at=now + timedelta(seconds=1), key=key(), cause=CAUSE)
    later = now + HOUR

    calls = [lambda: db.transaction(lambda s: postings.expire_lot(s, lot_id=minted.lot_id, cause=CAUSE, now=later))
             for _ in range(3)]
    calls += [lambda: db.transaction(lambda s: postings.place_hold(
        s, account_id=account, to_account_id=redemption, amount=10, timeout=HOUR, key=key(), cause=CAUSE, now=now))
        for _ in range(12)]
    results = collide(calls)

    assert unexpected(results, errors.InsufficientCredits) == []
    expiries, holds = results[:3], results[3:]
    held = 10 * sum(isinstance(r, Posted) for r in holds)
    [expired] = transfers_where(db, Transfer.kind == "expire", Transfer.debit_account_id == account) or [None]
    assert {r.id for r in expiries if isinstance(r, Posted)} <= {expired.id if expired else None}
    assert (expired.amount if expired else 0) == 100 - held
    balance = standalone.get_balance(db, account)
    assert (balance.balance, balance.held, balance.available) == (held, held, 0)
    assert standalone.live_lots(db, account) == []
    assert check_ledger(db) == []


# ------------------------------------------------------------------------------------ composed units of work racing

def test_concurrent_reserve_and_pay_units_beyond_the_balance_let_exactly_one_through(db):
    """Each unit holds 0.60 and posts that hold at once (a redemption in one transaction): on 1.00 exactly one unit
    gets through whole; every other one is refused at its hold and leaves nothing behind, no hold left pending."""
    account, redemption = funded(db, 100), sink(db)

    def reserve_and_pay(s):
        hold = postings.place_hold(s, account_id=account, to_account_id=redemption, amount=60, timeout=HOUR,
                                   key=key(), cause=CAUSE)
        return postings.post_hold(s, hold_id=hold.id, key=key(), cause=CAUSE)

    results = collide([lambda: db.transaction(reserve_and_pay) for _ in range(30)])

    assert unexpected(results, errors.InsufficientCredits) == []
    assert outcomes(results) == {"ok": 1, "InsufficientCredits": 29}
    assert len(transfers_where(db, Transfer.kind == "pending", Transfer.debit_account_id == account)) == 1
    balance = standalone.get_balance(db, account)
    assert (balance.balance, balance.held, balance.available) == (40, 0, 40)
    assert standalone.get_balance(db, redemption).balance == 60
    assert check_ledger(db) == []


def test_one_composed_unit_sent_from_many_threads_takes_effect_once(db):
    """The same unit (a mint and a hold, each under its own key) from 20 threads: the lost races on the keys rerun
    the whole unit, which then replays both postings. One mint, one hold, one lot."""
    account, center, redemption = volunteer(db), issuer(db), sink(db)
    expires, mint_key, hold_key = utcnow() + timedelta(days=30), key(), key()

    def pay_and_reserve(s):
        minted = postings.mint(s, account_id=account, issuer_account_id=center, amount=100, expires_at=expires,
                               key=mint_key, cause=CAUSE)
        hold = postings.place_hold(s, account_id=account, to_account_id=redemption, amount=70, timeout=HOUR,
                                   key=hold_key, cause=CAUSE)
        assert minted.replayed == hold.replayed
        return hold

    results = collide([lambda: db.transaction(pay_and_reserve) for _ in range(20)])

    assert unexpected(results) == []
    assert len({r.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert len(transfers_where(db, Transfer.idempotency_key.in_([mint_key, hold_key]))) == 2
    balance = standalone.get_balance(db, account)
    assert (balance.balance, balance.held, balance.available) == (100, 70, 30)
    assert [lot.remaining for lot in standalone.live_lots(db, account)] == [30]
    assert check_ledger(db) == []
