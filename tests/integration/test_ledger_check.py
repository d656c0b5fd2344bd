"""``check_ledger`` and ``timebank ledger check`` catch a damaged ledger, rule by rule.

Each test builds a ledger with real activity through the services, damages it behind their back with SQL, and
asserts which rule the checker names. Damage goes through ``db.engine.begin()`` rather than ``db.transaction``,
which would retry a refused statement as if it were a lost race.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from tests.ledger_helpers import CAUSE, issuer, key, sink, volunteer
from timebank import create_app
from timebank.clock import utcnow
from timebank.ledger import postings, standalone
from timebank.ledger.check import check_ledger
from timebank.ledger.models import Transfer

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass
class Activity:
    alice: int
    bob: int
    center: int
    redemption: int
    old_mint: postings.Posted       # alice's first lot, expired with a remainder
    kept_mint: postings.Posted      # alice's long-lived lot
    reversed_mint: postings.Posted  # bob's mint, reversed
    open_hold: postings.Posted
    voided_hold: postings.Posted
    timed_out_hold: postings.Posted
    kept_post: postings.Posted      # a posted spend nothing refers to
    reversed_post: postings.Posted
    post_reversal: postings.Posted
    mint_reversal: postings.Posted


def busy_ledger(db) -> Activity:
    """Mints, holds that are open, posted, voided and timed out, an expired lot and reversals of both kinds."""
    now = utcnow()
    alice, bob, center, redemption = volunteer(db), volunteer(db), issuer(db), sink(db)

    def mint(account, amount, expires):
        return standalone.mint(db, account_id=account, issuer_account_id=center, amount=amount, expires_at=expires,
                             key=key(), cause=CAUSE, now=now)

    def hold(account, amount, timeout=HOUR):
        return standalone.place_hold(db, account_id=account, to_account_id=redemption, amount=amount,
                                   timeout=timeout, key=key(), cause=CAUSE, now=now)

    old_mint = mint(alice, 300, now + DAY)
    kept_mint = mint(alice, 500, now + 700 * DAY)
    reversed_mint = mint(bob, 200, now + 30 * DAY)
    mint(bob, 100, now + 60 * DAY)

    kept_post = standalone.post_hold(db, hold_id=hold(alice, 120).id, key=key(), cause=CAUSE, now=now)
    spent = hold(alice, 80)
    reversed_post = standalone.post_hold(db, hold_id=spent.id, key=key(), cause=CAUSE, now=now)
    post_reversal = standalone.reverse(db, transfer_id=reversed_post.id, key=key(), cause=CAUSE, now=now)
    voided_hold = hold(alice, 50)
    standalone.void_hold(db, hold_id=voided_hold.id, key=key(), cause=CAUSE, now=now)
    timed_out_hold = hold(bob, 40, timeout=HOUR)
    open_hold = hold(alice, 60, timeout=30 * DAY)
    mint_reversal = standalone.reverse(db, transfer_id=reversed_mint.id, key=key(), cause=CAUSE, now=now)

    later = now + 2 * DAY
    assert standalone.void_timed_out_holds(db, cause=CAUSE, now=later) == 1
    assert standalone.expire_due_lots(db, cause=CAUSE, now=later) == 1
    assert check_ledger(db) == [], "the ledger must be sound before it is damaged"
    return Activity(alice, bob, center, redemption, old_mint, kept_mint, reversed_mint, open_hold, voided_hold,
                    timed_out_hold, kept_post, reversed_post, post_reversal, mint_reversal)


def damage(db, sql: str, **params) -> int:
    with db.engine.begin() as connection:
        return connection.execute(text(sql), params).rowcount


def rules_broken(db) -> set[str]:
    return {violation.rule for violation in check_ledger(db)}


def test_a_sound_busy_ledger_passes_every_rule(db):
    busy_ledger(db)
    assert check_ledger(db) == []


def test_an_edited_balance_breaks_stored_totals_and_conservation(db):
    ledger = busy_ledger(db)
    assert damage(db, "UPDATE account SET credits_posted = credits_posted + 25 WHERE id = :id", id=ledger.alice) == 1
    violations = check_ledger(db)
    assert {"stored-totals", "conservation"} <= {v.rule for v in violations}
    [totals] = [v for v in violations if v.rule == "stored-totals"]
    assert totals.row["id"] == ledger.alice
    assert totals.row["credits_posted"] == totals.row["expected_credits_posted"] + 25


def test_an_edited_hold_total_breaks_conservation_of_pending_credits(db):
    ledger = busy_ledger(db)
    damage(db, "UPDATE account SET credits_pending = credits_pending + 10 WHERE id = :id", id=ledger.redemption)
    [conservation] = [v for v in check_ledger(db) if v.rule == "conservation"]
    assert conservation.row["pending_sum"] == 10 and conservation.row["posted_sum"] == 0


def test_a_deleted_transfer_leaves_the_stored_totals_unexplained(db):
    ledger = busy_ledger(db)
    assert damage(db, "DELETE FROM transfer WHERE id = :id", id=ledger.kept_post.id) == 1
    violations = [v for v in check_ledger(db) if v.rule == "stored-totals"]
    assert {v.row["id"] for v in violations} == {ledger.alice, ledger.redemption}


def test_an_edited_lot_remainder_breaks_lot_remaining_and_lots_add_up(db):
    ledger = busy_ledger(db)
    assert damage(db, "UPDATE lot SET remaining = remaining - 10 WHERE id = :id", id=ledger.kept_mint.lot_id) == 1
    violations = check_ledger(db)
    assert {"lot-remaining", "lots-add-up"} <= {v.rule for v in violations}
    [remaining] = [v for v in violations if v.rule == "lot-remaining"]
    assert remaining.row["id"] == ledger.kept_mint.lot_id
    assert remaining.row["remaining"] == remaining.row["movements"] - 10


def test_a_lot_spent_without_a_transfer_breaks_lot_movements_and_lots_add_up(db):
    """An extra movement keeps the lot's remainder consistent with its movements, but no transfer accounts for it."""
    ledger = busy_ledger(db)
    damage(db, "UPDATE lot SET remaining = remaining - 10 WHERE id = :id", id=ledger.kept_mint.lot_id)
    damage(db, "INSERT INTO lot_movement (transfer_id, lot_id, delta) VALUES (:t, :l, -10)",
           t=ledger.kept_post.id, l=ledger.kept_mint.lot_id)
    rules = rules_broken(db)
    assert {"lot-movements-match-transfers", "lots-add-up"} <= rules
    assert "lot-remaining" not in rules


def test_a_lot_cannot_be_overspent_below_zero_even_by_hand(db):
    ledger = busy_ledger(db)
    with pytest.raises(IntegrityError):
        damage(db, "UPDATE lot SET remaining = remaining - amount - 1 WHERE id = :id", id=ledger.kept_mint.lot_id)
    assert check_ledger(db) == []


def _resolution_of(hold: postings.Posted, kind: str) -> dict:
    return dict(kind=kind, debit_account_id=hold.debit_account_id, credit_account_id=hold.credit_account_id,
                amount=hold.amount, pending_id=hold.id, idempotency_key=key(), fingerprint="0" * 64,
                actor="user:intruder", reason_type="test", reason_id="1", created_at=utcnow())


def test_a_hold_cannot_be_resolved_twice_the_unique_index_refuses_it(db):
    ledger = busy_ledger(db)
    for resolved in (ledger.voided_hold, ledger.timed_out_hold):
        for kind in ("post", "void", "timeout"):
            with pytest.raises(IntegrityError) as refused:
                with db.engine.begin() as connection:
                    connection.execute(insert(Transfer.__table__).values(_resolution_of(resolved, kind)))
            assert "pending_id" in str(refused.value.orig)
    assert check_ledger(db) == []


def test_a_transfer_cannot_be_reversed_twice_the_unique_index_refuses_it(db):
    ledger = busy_ledger(db)
    original = ledger.reversed_mint
    with pytest.raises(IntegrityError) as refused:
        with db.engine.begin() as connection:
            connection.execute(insert(Transfer.__table__).values(
                kind="reversal", debit_account_id=original.credit_account_id,
                credit_account_id=original.debit_account_id, amount=original.amount, reverses_id=original.id,
                idempotency_key=key(), fingerprint="0" * 64, actor="user:intruder", reason_type="test",
                reason_id="1", created_at=utcnow()))
    assert "reverses_id" in str(refused.value.orig)


def test_a_transfer_without_its_cause_breaks_causes(db):
    ledger = busy_ledger(db)
    damaged = {"actor": ledger.open_hold.id, "reason_type": ledger.kept_mint.id, "reason_id": ledger.kept_post.id}
    for column, transfer_id in damaged.items():
        damage(db, f"UPDATE transfer SET {column} = '' WHERE id = :id", id=transfer_id)
    violations = check_ledger(db)
    assert {v.rule for v in violations} == {"causes"}
    assert sorted(v.row["id"] for v in violations) == sorted(damaged.values())


def test_a_reversal_of_the_wrong_amount_breaks_reversals(db):
    ledger = busy_ledger(db)
    damage(db, "UPDATE transfer SET amount = amount - 1 WHERE id = :id", id=ledger.post_reversal.id)
    violations = check_ledger(db)
    assert "reversals" in {v.rule for v in violations}
    [reversal] = [v for v in violations if v.rule == "reversals"]
    assert (reversal.row["reversal_id"], reversal.row["reverses_id"]) == (ledger.post_reversal.id,
                                                                          ledger.reversed_post.id)


def test_a_resolution_of_another_amount_breaks_holds_resolve_once(db):
    ledger = busy_ledger(db)
    [void_id] = db.transaction(lambda s: s.execute(
        select(Transfer.id).where(Transfer.pending_id == ledger.voided_hold.id)).scalars().all(), readonly=True)
    damage(db, "UPDATE transfer SET amount = amount + 1 WHERE id = :id", id=void_id)
    assert "holds-resolve-once" in rules_broken(db)


def test_a_hold_posted_after_its_timeout_breaks_holds_resolve_once(db):
    ledger = busy_ledger(db)
    damage(db, "UPDATE transfer SET kind = 'post' WHERE pending_id = :id", id=ledger.timed_out_hold.id)
    assert "holds-resolve-once" in rules_broken(db)


def test_an_overdraft_written_by_hand_is_refused_by_the_database(db):
    ledger = busy_ledger(db)
    with pytest.raises(IntegrityError):
        damage(db, "UPDATE account SET debits_posted = credits_posted + 1 WHERE id = :id", id=ledger.alice)
    assert check_ledger(db) == []


# ------------------------------------------------------------------------------------------------------------- CLI

def ledger_check_cli(url: str):
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test"})
    try:
        return app.test_cli_runner().invoke(args=["ledger", "check"])
    finally:
        app.extensions["timebank.db"].dispose()


def test_ledger_check_command_says_ok_on_a_sound_ledger(db, database_url):
    busy_ledger(db)
    result = ledger_check_cli(database_url)
    assert result.exit_code == 0, result.output
    assert "ok" in result.stdout
    assert "VIOLATION" not in result.output


def test_ledger_check_command_exits_1_naming_the_broken_rule(db, database_url):
    ledger = busy_ledger(db)
    damage(db, "UPDATE transfer SET actor = '' WHERE id = :id", id=ledger.kept_post.id)
    result = ledger_check_cli(database_url)
    assert result.exit_code == 1, result.output
    assert "VIOLATION causes:" in result.stderr
    assert "1 violation(s)" in result.stderr
    assert "ok" not in result.stdout
