"""The ledger inside the caller's unit of work: postings compose into one transaction that commits or rolls back
whole, on SQLite and PostgreSQL.

An approval mints and changes its record in one unit; a reservation holds credits and stock in one; a redemption
posts the hold and uses up the voucher in one. So: a refusal (or any error) in the middle of a unit rolls back the
postings before it too; a unit that catches a refusal and carries on is not allowed to commit; a savepoint lets it.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.ledger_helpers import CAUSE, funded, issuer, key, sink, volunteer
from timebank.clock import utcnow
from timebank.errors import ValidationFailed
from timebank.ledger import accounts, errors, postings, standalone, sweeps
from timebank.ledger.check import check_ledger, find_violations
from timebank.ledger.models import Account, Lot, Refusal, Transfer

HOUR = timedelta(hours=1)


def _count(db, table, *conditions) -> int:
    return db.transaction(lambda s: s.execute(select(func.count()).select_from(table).where(*conditions))
                          .scalar_one(), readonly=True)


def _totals(db, *account_ids):
    return [standalone.get_balance(db, account_id) for account_id in account_ids]


def test_a_unit_that_mints_then_is_refused_leaves_no_transfer_no_lot_and_no_change(db):
    account, center, redemption = volunteer(db), issuer(db), sink(db)
    before = _totals(db, account, center, redemption)
    transfers, lots = _count(db, Transfer), _count(db, Lot)
    mint_key, hold_key = key(), key()

    def approve_and_reserve(s):
        postings.mint(s, account_id=account, issuer_account_id=center, amount=100,
                      expires_at=utcnow() + timedelta(days=30), key=mint_key, cause=CAUSE)
        postings.place_hold(s, account_id=account, to_account_id=redemption, amount=101, timeout=HOUR,
                            key=hold_key, cause=CAUSE)  # more than the unit just minted: refused

    with pytest.raises(errors.InsufficientCredits):
        db.transaction(approve_and_reserve)

    assert _count(db, Transfer) == transfers and _count(db, Lot) == lots
    assert _count(db, Transfer, Transfer.idempotency_key.in_([mint_key, hold_key])) == 0
    assert _count(db, Lot, Lot.account_id == account) == 0
    assert _totals(db, account, center, redemption) == before
    assert check_ledger(db) == []


def test_an_error_of_the_feature_after_its_postings_rolls_the_postings_back(db):
    account, redemption = funded(db, 100), sink(db)
    before = _totals(db, account, redemption)
    hold_key = key()

    def redeem(s):
        hold = postings.place_hold(s, account_id=account, to_account_id=redemption, amount=40, timeout=HOUR,
                                   key=hold_key, cause=CAUSE)
        postings.post_hold(s, hold_id=hold.id, key=key(), cause=CAUSE)
        raise ValidationFailed("the voucher was already used")  # the feature's own refusal, after the ledger's work

    with pytest.raises(ValidationFailed):
        db.transaction(redeem)

    assert _totals(db, account, redemption) == before
    assert _count(db, Transfer, Transfer.idempotency_key == hold_key) == 0
    assert [lot.remaining for lot in standalone.live_lots(db, account)] == [100]
    assert check_ledger(db) == []


def test_postings_in_one_unit_see_each_other_and_a_key_used_twice_replays(db):
    account, center, redemption = volunteer(db), issuer(db), sink(db)
    mint_key, expires = key(), utcnow() + timedelta(days=30)

    def mint(s):
        return postings.mint(s, account_id=account, issuer_account_id=center, amount=100, expires_at=expires,
                             key=mint_key, cause=CAUSE)

    def work(s):
        first, again = mint(s), mint(s)
        assert (again.id, again.lot_id, again.replayed, first.replayed) == (first.id, first.lot_id, True, False)
        hold = postings.place_hold(s, account_id=account, to_account_id=redemption, amount=100, timeout=HOUR,
                                   key=key(), cause=CAUSE)  # spends what this very unit minted
        spend = postings.post_hold(s, hold_id=hold.id, key=key(), cause=CAUSE)
        assert accounts.balance_of(s, account).balance == 0
        assert find_violations(s) == []  # the books balance inside the unit, before it commits
        return first, spend

    first, spend = db.transaction(work)

    assert (spend.kind, spend.amount) == ("post", 100)
    assert db.transaction(mint).id == first.id  # and the key replays in a later unit too
    assert _count(db, Transfer, Transfer.idempotency_key == mint_key) == 1
    assert standalone.get_balance(db, account).balance == 0
    assert check_ledger(db) == []


def test_a_unit_that_catches_a_refusal_and_carries_on_cannot_commit(db):
    """The refused hold had already raised the sink's pending credits when the volunteer's row refused: committing
    would keep half a posting. The commit is refused, and nothing of the unit stays."""
    redemption = sink(db)  # opened before the volunteer, so its row is changed first
    account, center = volunteer(db), issuer(db)
    before = _totals(db, account, center, redemption)

    def careless(s):
        postings.mint(s, account_id=account, issuer_account_id=center, amount=50,
                      expires_at=utcnow() + timedelta(days=30), key=key(), cause=CAUSE)
        try:
            postings.place_hold(s, account_id=account, to_account_id=redemption, amount=80, timeout=HOUR,
                                key=key(), cause=CAUSE)
        except errors.InsufficientCredits:
            pass  # wrong: carrying on in a unit whose posting failed half-way

    with pytest.raises(postings.RefusedPostingCommitted):
        db.transaction(careless)

    assert _totals(db, account, center, redemption) == before
    assert _count(db, Lot, Lot.account_id == account) == 0
    assert check_ledger(db) == []


def test_a_refusal_inside_a_savepoint_rolls_back_only_that_posting(db):
    redemption = sink(db)
    account, center = volunteer(db), issuer(db)
    sink_before = standalone.get_balance(db, redemption)

    def approve_then_try_to_reserve(s):
        minted = postings.mint(s, account_id=account, issuer_account_id=center, amount=50,
                               expires_at=utcnow() + timedelta(days=30), key=key(), cause=CAUSE)
        try:
            with s.begin_nested():
                postings.place_hold(s, account_id=account, to_account_id=redemption, amount=80, timeout=HOUR,
                                    key=key(), cause=CAUSE)
        except errors.InsufficientCredits:
            return minted, "refused"
        return minted, "held"

    minted, outcome = db.transaction(approve_then_try_to_reserve)

    assert outcome == "refused"
    balance = standalone.get_balance(db, account)
    assert (balance.balance, balance.held) == (50, 0)
    assert standalone.get_balance(db, redemption) == sink_before  # the half-made hold was rolled back
    assert _count(db, Transfer, Transfer.debit_account_id == account) == 0
    assert [lot.id for lot in standalone.live_lots(db, account)] == [minted.lot_id]
    assert check_ledger(db) == []


def test_standalone_run_records_the_refusal_of_a_composed_unit_under_the_refused_key_only(db):
    account, center, redemption = volunteer(db), issuer(db), sink(db)
    mint_key, hold_key, expires = key(), key(), utcnow() + timedelta(days=30)

    def approve_and_reserve(s):
        postings.mint(s, account_id=account, issuer_account_id=center, amount=50, expires_at=expires,
                      key=mint_key, cause=CAUSE)
        return postings.place_hold(s, account_id=account, to_account_id=redemption, amount=80, timeout=HOUR,
                                   key=hold_key, cause=CAUSE)

    with pytest.raises(errors.InsufficientCredits) as first:
        standalone.run(db, approve_and_reserve)
    with pytest.raises(errors.InsufficientCredits) as again:
        standalone.run(db, approve_and_reserve)

    assert (first.value.replayed, again.value.replayed) == (False, True)  # the hold's key stays refused
    stored = db.transaction(lambda s: s.execute(select(Refusal.idempotency_key)).scalars().all(), readonly=True)
    assert stored == [hold_key]
    # The mint's key was never used: the same mint on its own now goes through.
    minted = standalone.mint(db, account_id=account, issuer_account_id=center, amount=50, expires_at=expires,
                             key=mint_key, cause=CAUSE)
    assert (minted.amount, minted.replayed) == (50, False)
    assert check_ledger(db) == []


def test_volunteer_accounts_open_in_bulk_inside_the_callers_unit_and_roll_back_with_it(db):
    center_ids = [7, 7, None]

    def open_and_name(s):
        opened = accounts.open_volunteer_accounts(s, center_ids=center_ids)
        accounts.name_volunteer_accounts(s, {account_id: 900 + n for n, account_id in enumerate(opened)})
        return opened

    opened = db.transaction(open_and_name)

    rows = db.transaction(lambda s: s.execute(select(Account).where(Account.id.in_(opened)).order_by(Account.id))
                          .scalars().all(), readonly=True)
    assert [(row.id, row.code, row.kind, row.center_id, row.no_overdraft) for row in rows] == [
        (opened[0], "volunteer:900", "volunteer", 7, True), (opened[1], "volunteer:901", "volunteer", 7, True),
        (opened[2], "volunteer:902", "volunteer", None, True)]
    assert sorted(opened) == opened and len(set(opened)) == 3
    assert db.transaction(lambda s: accounts.open_volunteer_accounts(s, center_ids=[])) == []

    accounts_before = _count(db, Account)

    def open_then_fail(s):
        accounts.open_volunteer_accounts(s, center_ids=[7] * 5)
        raise ValidationFailed("line 3 is bad")

    with pytest.raises(ValidationFailed):
        db.transaction(open_then_fail)
    assert _count(db, Account) == accounts_before
    assert check_ledger(db) == []


def test_timing_out_holds_runs_inside_the_callers_unit(db):
    account, redemption = funded(db, 100), sink(db)
    now = utcnow()
    hold = standalone.place_hold(db, account_id=account, to_account_id=redemption, amount=30, timeout=HOUR,
                                 key=key(), cause=CAUSE, now=now)
    later = now + 2 * HOUR

    def sweep(s):
        due = [hold_id for hold_id in sweeps.due_holds(s, now=later) if hold_id == hold.id]
        return [sweeps.time_out_hold(s, hold_id=hold_id, cause=CAUSE, now=later) for hold_id in due]

    [released] = db.transaction(sweep)

    assert (released.kind, released.pending_id, released.idempotency_key) == ("timeout", hold.id,
                                                                               sweeps.timeout_key(hold.id))
    assert hold.id not in db.transaction(lambda s: sweeps.due_holds(s, now=later), readonly=True)
    assert standalone.void_timed_out_holds(db, cause=CAUSE, now=later) == 0
    assert standalone.get_balance(db, account).available == 100
    assert check_ledger(db) == []
