"""Each rule of SPEC §4, on SQLite and PostgreSQL, through the ledger services."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.ledger_helpers import CAUSE, funded, issuer, key, sink, volunteer
from timebank.clock import utcnow
from timebank.errors import ValidationFailed
from timebank.ledger import accounts, errors, postings, standalone
from timebank.ledger.check import check_ledger
from timebank.ledger.models import Account, Lot, Transfer

HOUR = timedelta(hours=1)


def total_of_balances(db) -> int:
    rows = db.transaction(lambda s: s.execute(select(Account.credits_posted, Account.debits_posted)).all(),
                          readonly=True)
    return sum(c - d for c, d in rows)


def test_mint_credits_a_new_lot_and_debits_the_issuer(db):
    account, center = volunteer(db), issuer(db)
    expires = utcnow() + timedelta(days=730)
    posted = standalone.mint(db, account_id=account, issuer_account_id=center, amount=150, expires_at=expires,
                           key=key(), cause=CAUSE)
    assert posted.kind == "mint" and posted.amount == 150 and posted.lot_id is not None
    assert standalone.get_balance(db, account).balance == 150
    assert standalone.get_balance(db, center).balance == -150
    [lot] = standalone.live_lots(db, account)
    assert (lot.id, lot.remaining) == (posted.lot_id, 150)
    assert abs((lot.expires_at - expires).total_seconds()) < 1e-3
    assert total_of_balances(db) == 0
    assert check_ledger(db) == []


def test_transfers_record_who_and_why(db):
    account = funded(db, 100)
    hold = standalone.place_hold(db, account_id=account, to_account_id=sink(db), amount=40, timeout=HOUR, key=key(),
                               cause=postings.Cause.user(7, "reservation", 12))
    row = db.transaction(lambda s: s.get(Transfer, hold.id))
    assert (row.actor, row.reason_type, row.reason_id) == ("user:7", "reservation", "12")


@pytest.mark.parametrize("amount", [0, -5, 1.5, True])
def test_amounts_must_be_positive_whole_hundredths(db, amount):
    with pytest.raises(ValidationFailed):
        standalone.mint(db, account_id=volunteer(db), issuer_account_id=issuer(db), amount=amount,
                      expires_at=utcnow() + HOUR, key=key(), cause=CAUSE)


def test_mint_only_into_a_volunteer_account_from_an_issuance_account(db):
    with pytest.raises(ValidationFailed):
        standalone.mint(db, account_id=issuer(db, "C002"), issuer_account_id=issuer(db), amount=100,
                      expires_at=utcnow() + HOUR, key=key(), cause=CAUSE)
    assert check_ledger(db) == []


def test_hold_beyond_available_is_refused_counting_other_holds(db):
    account = funded(db, 100)
    standalone.place_hold(db, account_id=account, to_account_id=sink(db), amount=60, timeout=HOUR, key=key(),
                        cause=CAUSE)
    with pytest.raises(errors.InsufficientCredits):
        standalone.place_hold(db, account_id=account, to_account_id=sink(db), amount=41, timeout=HOUR, key=key(),
                            cause=CAUSE)
    balance = standalone.get_balance(db, account)
    assert (balance.balance, balance.held, balance.available) == (100, 60, 40)
    assert check_ledger(db) == []


def test_spending_takes_the_oldest_lots_first(db):
    account, center = volunteer(db), issuer(db)
    now = utcnow()
    late = standalone.mint(db, account_id=account, issuer_account_id=center, amount=100,
                         expires_at=now + timedelta(days=300), key=key(), cause=CAUSE)
    early = standalone.mint(db, account_id=account, issuer_account_id=center, amount=100,
                          expires_at=now + timedelta(days=10), key=key(), cause=CAUSE)
    standalone.place_hold(db, account_id=account, to_account_id=sink(db), amount=150, timeout=HOUR, key=key(),
                        cause=CAUSE)
    remaining = {lot.id: lot.remaining for lot in standalone.live_lots(db, account)}
    assert remaining == {late.lot_id: 50}  # the early lot is drained first, then 50 from the late one
    assert check_ledger(db) == []


def test_post_moves_held_credits_to_the_sink_once(db):
    account, redemption = funded(db, 100), sink(db)
    hold = standalone.place_hold(db, account_id=account, to_account_id=redemption, amount=70, timeout=HOUR, key=key(),
                               cause=CAUSE)
    standalone.post_hold(db, hold_id=hold.id, key=key(), cause=CAUSE)
    balance = standalone.get_balance(db, account)
    assert (balance.balance, balance.held, balance.available) == (30, 0, 30)
    assert standalone.get_balance(db, redemption).balance == 70
    with pytest.raises(errors.HoldNotPending):
        standalone.post_hold(db, hold_id=hold.id, key=key(), cause=CAUSE)
    with pytest.raises(errors.HoldNotPending):
        standalone.void_hold(db, hold_id=hold.id, key=key(), cause=CAUSE)
    assert check_ledger(db) == []


def test_void_returns_credits_to_the_very_lots_they_came_from(db):
    account, center = volunteer(db), issuer(db)
    now = utcnow()
    first = standalone.mint(db, account_id=account, issuer_account_id=center, amount=50,
                          expires_at=now + timedelta(days=5), key=key(), cause=CAUSE)
    second = standalone.mint(db, account_id=account, issuer_account_id=center, amount=50,
                           expires_at=now + timedelta(days=50), key=key(), cause=CAUSE)
    hold = standalone.place_hold(db, account_id=account, to_account_id=sink(db), amount=80, timeout=HOUR, key=key(),
                               cause=CAUSE)
    standalone.void_hold(db, hold_id=hold.id, key=key(), cause=CAUSE)
    remaining = {lot.id: lot.remaining for lot in standalone.live_lots(db, account)}
    assert remaining == {first.lot_id: 50, second.lot_id: 50}
    assert standalone.get_balance(db, account).available == 100
    assert check_ledger(db) == []


def test_a_timed_out_hold_cannot_be_posted_and_is_swept(db):
    account = funded(db, 100)
    now = utcnow()
    hold = standalone.place_hold(db, account_id=account, to_account_id=sink(db), amount=100, timeout=HOUR, key=key(),
                               cause=CAUSE, now=now)
    later = now + 2 * HOUR
    with pytest.raises(errors.HoldExpired):
        standalone.post_hold(db, hold_id=hold.id, key=key(), cause=CAUSE, now=later)
    assert standalone.void_timed_out_holds(db, cause=CAUSE, now=later) == 1
    assert standalone.void_timed_out_holds(db, cause=CAUSE, now=later) == 0
    assert standalone.get_balance(db, account).available == 100
    kinds = db.transaction(lambda s: s.execute(
        select(Transfer.kind).where(Transfer.pending_id == hold.id)).scalars().all())
    assert kinds == ["timeout"]
    assert check_ledger(db) == []


def test_expiry_takes_only_the_remainder_once(db):
    account, center = volunteer(db), issuer(db)
    now = utcnow()
    lot = standalone.mint(db, account_id=account, issuer_account_id=center, amount=100,
                        expires_at=now + timedelta(days=1), key=key(), cause=CAUSE)
    hold = standalone.place_hold(db, account_id=account, to_account_id=sink(db), amount=30, timeout=timedelta(days=9),
                               key=key(), cause=CAUSE)
    standalone.post_hold(db, hold_id=hold.id, key=key(), cause=CAUSE)
    later = now + timedelta(days=2)
    expired = standalone.expire_lot(db, lot_id=lot.lot_id, cause=CAUSE, now=later)
    assert expired.kind == "expire" and expired.amount == 70
    assert standalone.expire_lot(db, lot_id=lot.lot_id, cause=CAUSE, now=later).id == expired.id  # replay
    assert standalone.expire_due_lots(db, cause=CAUSE, now=later) == 0
    expiry = db.transaction(lambda s: s.execute(
        select(Account.id).where(Account.code == accounts.EXPIRY_SINK)).scalar_one())
    assert standalone.get_balance(db, expiry).balance == 70
    assert standalone.get_balance(db, account).balance == 0
    assert check_ledger(db) == []


def test_a_lot_cannot_be_expired_before_its_date(db):
    account = funded(db, 100, days=3)
    [lot] = standalone.live_lots(db, account)
    with pytest.raises(ValidationFailed):
        standalone.expire_lot(db, lot_id=lot.id, cause=CAUSE)


def test_credits_voided_back_into_an_expired_lot_expire_at_once(db):
    account, center = volunteer(db), issuer(db)
    now = utcnow()
    lot = standalone.mint(db, account_id=account, issuer_account_id=center, amount=100,
                        expires_at=now + timedelta(days=1), key=key(), cause=CAUSE)
    hold = standalone.place_hold(db, account_id=account, to_account_id=sink(db), amount=40,
                               timeout=timedelta(days=9), key=key(), cause=CAUSE)
    later = now + timedelta(days=2)
    assert standalone.expire_lot(db, lot_id=lot.lot_id, cause=CAUSE, now=later).amount == 60
    standalone.void_hold(db, hold_id=hold.id, key=key(), cause=CAUSE, now=later)
    balance = standalone.get_balance(db, account)
    assert (balance.balance, balance.held) == (0, 0)
    assert check_ledger(db) == []


def test_reversing_a_mint_takes_that_lot_first_then_the_oldest(db):
    account, center = volunteer(db), issuer(db)
    now = utcnow()
    old = standalone.mint(db, account_id=account, issuer_account_id=center, amount=100,
                        expires_at=now + timedelta(days=10), key=key(), cause=CAUSE)
    wrong = standalone.mint(db, account_id=account, issuer_account_id=center, amount=100,
                          expires_at=now + timedelta(days=700), key=key(), cause=CAUSE)
    standalone.place_hold(db, account_id=account, to_account_id=sink(db), amount=130, timeout=HOUR, key=key(),
                        cause=CAUSE)  # old lot empty, wrong lot has 70 left
    with pytest.raises(errors.InsufficientCredits):
        standalone.reverse(db, transfer_id=wrong.id, key=key(), cause=CAUSE)  # only 70 available
    assert check_ledger(db) == []
    standalone.mint(db, account_id=account, issuer_account_id=center, amount=50,
                  expires_at=now + timedelta(days=20), key=key(), cause=CAUSE)
    reversal = standalone.reverse(db, transfer_id=wrong.id, key=key(), cause=CAUSE)
    assert reversal.kind == "reversal" and reversal.reverses_id == wrong.id and reversal.amount == 100
    lots = {lot.id: lot.remaining for lot in standalone.live_lots(db, account)}
    assert wrong.lot_id not in lots and old.lot_id not in lots and sum(lots.values()) == 20
    with pytest.raises(errors.AlreadyReversed):
        standalone.reverse(db, transfer_id=wrong.id, key=key(), cause=CAUSE)
    assert standalone.get_balance(db, center).balance == -150
    assert check_ledger(db) == []


def test_reversing_a_posted_spend_refunds_the_lots_that_paid(db):
    account, redemption = funded(db, 100), sink(db)
    hold = standalone.place_hold(db, account_id=account, to_account_id=redemption, amount=60, timeout=HOUR, key=key(),
                               cause=CAUSE)
    posted = standalone.post_hold(db, hold_id=hold.id, key=key(), cause=CAUSE)
    standalone.reverse(db, transfer_id=posted.id, key=key(), cause=CAUSE)
    assert standalone.get_balance(db, account).available == 100
    assert standalone.get_balance(db, redemption).balance == 0
    [lot] = standalone.live_lots(db, account)
    assert lot.remaining == 100
    assert check_ledger(db) == []


@pytest.mark.parametrize("kind", ["pending", "reversal", "expire"])
def test_only_mints_and_posted_spends_can_be_reversed(db, kind):
    account, center = volunteer(db), issuer(db)
    now = utcnow()
    minted = standalone.mint(db, account_id=account, issuer_account_id=center, amount=100,
                           expires_at=now + timedelta(days=1), key=key(), cause=CAUSE)
    if kind == "pending":
        target = standalone.place_hold(db, account_id=account, to_account_id=sink(db), amount=10, timeout=HOUR,
                                     key=key(), cause=CAUSE)
    elif kind == "reversal":
        target = standalone.reverse(db, transfer_id=minted.id, key=key(), cause=CAUSE)
    else:
        target = standalone.expire_lot(db, lot_id=minted.lot_id, cause=CAUSE, now=now + timedelta(days=2))
    with pytest.raises(errors.NotReversible):
        standalone.reverse(db, transfer_id=target.id, key=key(), cause=CAUSE)


def test_same_key_and_body_returns_the_original_transfer(db):
    account, center = volunteer(db), issuer(db)
    expires = utcnow() + timedelta(days=30)
    k = key()
    first = standalone.mint(db, account_id=account, issuer_account_id=center, amount=100, expires_at=expires, key=k,
                          cause=CAUSE)
    again = standalone.mint(db, account_id=account, issuer_account_id=center, amount=100, expires_at=expires, key=k,
                          cause=CAUSE)
    assert again.replayed and not first.replayed
    assert (again.id, again.lot_id, again.amount) == (first.id, first.lot_id, first.amount)
    assert standalone.get_balance(db, account).balance == 100


def test_same_key_other_body_is_an_idempotency_conflict(db):
    account, center = volunteer(db), issuer(db)
    expires = utcnow() + timedelta(days=30)
    k = key()
    standalone.mint(db, account_id=account, issuer_account_id=center, amount=100, expires_at=expires, key=k,
                  cause=CAUSE)
    with pytest.raises(errors.IdempotencyConflict):
        standalone.mint(db, account_id=account, issuer_account_id=center, amount=101, expires_at=expires, key=k,
                      cause=CAUSE)
    assert standalone.get_balance(db, account).balance == 100


def test_a_key_refused_for_lack_of_credits_stays_refused_after_a_top_up(db):
    account, redemption = funded(db, 50), sink(db)
    k = key()
    with pytest.raises(errors.InsufficientCredits):
        standalone.place_hold(db, account_id=account, to_account_id=redemption, amount=80, timeout=HOUR, key=k,
                            cause=CAUSE)
    standalone.mint(db, account_id=account, issuer_account_id=issuer(db), amount=100,
                  expires_at=utcnow() + timedelta(days=9), key=key(), cause=CAUSE)
    with pytest.raises(errors.InsufficientCredits) as again:
        standalone.place_hold(db, account_id=account, to_account_id=redemption, amount=80, timeout=HOUR, key=k,
                            cause=CAUSE)
    assert again.value.replayed
    with pytest.raises(errors.IdempotencyConflict):
        standalone.place_hold(db, account_id=account, to_account_id=redemption, amount=10, timeout=HOUR, key=k,
                            cause=CAUSE)
    assert standalone.get_balance(db, account).held == 0
    assert check_ledger(db) == []


def test_database_refuses_an_overdraft_even_past_the_services(db):
    """The check constraint is the backstop: a raw update that would overdraw is rejected by the database."""
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    account = funded(db, 100)
    with pytest.raises(IntegrityError):
        db.transaction(lambda s: s.execute(
            update(Account).where(Account.id == account).values(debits_pending=Account.debits_pending + 101)))
    assert standalone.get_balance(db, account).held == 0


def test_lots_never_hold_more_than_minted(db):
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    account = funded(db, 100)
    [lot] = standalone.live_lots(db, account)
    with pytest.raises(IntegrityError):
        db.transaction(lambda s: s.execute(update(Lot).where(Lot.id == lot.id).values(remaining=101)))
