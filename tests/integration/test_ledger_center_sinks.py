"""Each center has its own redemption and expiry sink, so drive-day postings at different centers never queue on one
city-wide row (issue 9, SPEC §4.9): pickups hold credits for the pickup center's sink, and expired credits go to the
expiry sink of the center that minted them. Real threads on separate connections, on SQLite and PostgreSQL; the
proof that two centers do not wait on each other holds a real row lock open on PostgreSQL (on SQLite one writer at
a time is the design: BEGIN IMMEDIATE)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from tests.integration.test_ledger_races import collide, outcomes
from tests.ledger_helpers import CAUSE, key, volunteer
from timebank.auth.access import Principal
from timebank.centers.services import create_center
from timebank.clock import utcnow
from timebank.db import Database
from timebank.ledger import accounts, errors, postings, standalone
from timebank.ledger.check import check_ledger
from timebank.ledger.models import Account, Transfer

SYSTEM = Principal.system("test")
DAY = timedelta(days=1)
LOCK_WAIT = "1s"  # how long a posting may wait for a row lock before the database gives up (55P03)


class Center:
    def __init__(self, db, code: str):
        row = create_center(db, actor=SYSTEM, code=code, name=f"{code} 养老服务中心", district="京口区")
        self.id, self.issuer = row.id, row.issuance_account_id
        self.redemption = db.transaction(lambda s: accounts.redemption_sink_for(s, row.id), readonly=True)
        self.expiry = db.transaction(lambda s: accounts.expiry_sink_for(s, row.id), readonly=True)


def account_row(db, account_id: int):
    return db.transaction(lambda s: s.execute(select(Account.__table__).where(Account.id == account_id)).one(),
                          readonly=True)


def global_sink(db, code: str) -> int:
    return db.transaction(lambda s: accounts.account_id_for(s, code), readonly=True)


def mint(db, account: int, center: Center, amount: int, *, expires_at):
    return standalone.mint(db, account_id=account, issuer_account_id=center.issuer, amount=amount,
                           expires_at=expires_at, key=key(), cause=CAUSE)


def hold(db, account: int, to: int, amount: int, *, days: int = 9):
    return standalone.place_hold(db, account_id=account, to_account_id=to, amount=amount,
                                 timeout=timedelta(days=days), key=key(), cause=CAUSE)


def expire_transfers(db, debit: int) -> list:
    return db.transaction(lambda s: s.execute(
        select(Transfer.credit_account_id, Transfer.amount, Transfer.idempotency_key)
        .where(Transfer.kind == "expire", Transfer.debit_account_id == debit).order_by(Transfer.id)).all(),
        readonly=True)


def test_a_new_center_opens_its_own_redemption_and_expiry_sinks(db):
    jk = Center(db, "JK01")
    redemption, expiry = account_row(db, jk.redemption), account_row(db, jk.expiry)
    assert (redemption.code, redemption.kind, redemption.center_id) == ("redemption:JK01", "redemption", jk.id)
    assert (expiry.code, expiry.kind, expiry.center_id) == ("expiry:JK01", "expiry", jk.id)
    assert account_row(db, jk.issuer).center_id == jk.id
    rz = Center(db, "RZ02")
    assert len({jk.redemption, jk.expiry, rz.redemption, rz.expiry, global_sink(db, accounts.REDEMPTION_SINK),
                global_sink(db, accounts.EXPIRY_SINK)}) == 6
    assert check_ledger(db) == []


def test_a_center_without_sinks_is_named_and_a_second_sink_is_refused(db):
    jk = Center(db, "JK01")
    with pytest.raises(errors.AccountNotFound):
        db.transaction(lambda s: accounts.redemption_sink_for(s, jk.id + 1000), readonly=True)
    with pytest.raises(IntegrityError):  # the unique partial index: one expiry sink per center
        db.transaction(lambda s: accounts.open_account(s, code="expiry:JK01-second", kind="expiry", center_id=jk.id),
                       attempts=1)
    # …while any number of volunteer accounts may name the same center
    for n in range(2):
        standalone.open_account(db, code=f"volunteer:jk-{n}", kind="volunteer", center_id=jk.id)
    with db.engine.begin() as connection:  # damage behind the services' back: the center loses its expiry sink
        connection.execute(text("UPDATE account SET center_id = NULL WHERE id = :id"), {"id": jk.expiry})
    assert {v.rule for v in check_ledger(db)} == {"center-sinks"}


def test_expired_credits_go_to_the_sink_of_the_center_that_minted_them(db):
    jk, rz = Center(db, "JK01"), Center(db, "RZ02")
    account, now = volunteer(db), utcnow()
    from_jk = mint(db, account, jk, 100, expires_at=now + DAY)
    from_rz = mint(db, account, rz, 70, expires_at=now + DAY)
    spent = hold(db, account, jk.redemption, 130)  # oldest first: all of the JK lot, 30 of the RZ lot
    standalone.post_hold(db, hold_id=spent.id, key=key(), cause=CAUSE)
    later = now + 2 * DAY
    assert standalone.expire_lot(db, lot_id=from_jk.lot_id, cause=CAUSE, now=later) is None  # nothing was left
    expired = standalone.expire_lot(db, lot_id=from_rz.lot_id, cause=CAUSE, now=later)
    assert (expired.credit_account_id, expired.amount) == (rz.expiry, 40)
    assert standalone.get_balance(db, rz.expiry).balance == 40
    assert standalone.get_balance(db, jk.expiry).balance == 0
    assert standalone.get_balance(db, global_sink(db, accounts.EXPIRY_SINK)).balance == 0
    assert standalone.get_balance(db, jk.redemption).balance == 130
    assert check_ledger(db) == []


def test_a_hold_voided_after_its_lots_expired_sends_each_part_to_its_minting_centers_sink(db):
    jk, rz = Center(db, "JK01"), Center(db, "RZ02")
    account, now = volunteer(db), utcnow()
    lots = [mint(db, account, jk, 50, expires_at=now + DAY), mint(db, account, rz, 80, expires_at=now + DAY)]
    held = standalone.place_hold(db, account_id=account, to_account_id=jk.redemption, amount=110,
                                 timeout=timedelta(days=9), key="void-me", cause=CAUSE)  # 50 from JK, 60 from RZ
    later = now + 2 * DAY
    assert standalone.expire_due_lots(db, cause=CAUSE, now=later) == 1  # only RZ's lot had 20 left
    standalone.void_hold(db, hold_id=held.id, key="void-me/void", cause=CAUSE, now=later)
    assert expire_transfers(db, account) == [
        (rz.expiry, 20, f"expire-lot:{lots[1].lot_id}"),
        (jk.expiry, 50, f"void-me/void/expire:{jk.expiry}"),
        (rz.expiry, 60, f"void-me/void/expire:{rz.expiry}"),
    ]
    assert standalone.get_balance(db, jk.expiry).balance == 50
    assert standalone.get_balance(db, rz.expiry).balance == 80
    balance = standalone.get_balance(db, account)
    assert (balance.balance, balance.held) == (0, 0)
    assert check_ledger(db) == []


def test_a_hold_timing_out_after_its_lot_expired_sends_it_to_the_minting_centers_sink(db):
    jk, rz = Center(db, "JK01"), Center(db, "RZ02")
    account, now = volunteer(db), utcnow()
    mint(db, account, rz, 60, expires_at=now + DAY)
    held = hold(db, account, jk.redemption, 60, days=1)  # to JK's sink: where it was minted decides the expiry
    later = now + 2 * DAY
    assert standalone.expire_due_lots(db, cause=CAUSE, now=later) == 0  # the lot expires empty: all of it is held
    assert standalone.void_timed_out_holds(db, cause=CAUSE, now=later) == 1
    assert expire_transfers(db, account) == [(rz.expiry, 60, f"timeout:{held.id}/expire")]
    assert standalone.get_balance(db, jk.expiry).balance == 0
    assert check_ledger(db) == []


def test_reversing_a_spend_whose_lot_expired_sends_it_to_the_minting_centers_sink(db):
    jk = Center(db, "JK01")
    account, now = volunteer(db), utcnow()
    lot = mint(db, account, jk, 90, expires_at=now + DAY)
    spent = hold(db, account, jk.redemption, 90)
    posted = standalone.post_hold(db, hold_id=spent.id, key=key(), cause=CAUSE)
    later = now + 2 * DAY
    assert standalone.expire_lot(db, lot_id=lot.lot_id, cause=CAUSE, now=later) is None
    standalone.reverse(db, transfer_id=posted.id, key=key(), cause=CAUSE, now=later)
    assert [(credit, amount) for credit, amount, _ in expire_transfers(db, account)] == [(jk.expiry, 90)]
    assert standalone.get_balance(db, jk.redemption).balance == 0
    assert check_ledger(db) == []


def test_an_expiry_credited_to_another_centers_sink_breaks_the_check(db):
    jk, rz = Center(db, "JK01"), Center(db, "RZ02")
    account, now = volunteer(db), utcnow()
    lot = mint(db, account, jk, 100, expires_at=now + DAY)
    expired = standalone.expire_lot(db, lot_id=lot.lot_id, cause=CAUSE, now=now + 2 * DAY)
    with db.engine.begin() as connection:  # move it, totals and all, to the wrong center's sink
        connection.execute(text("UPDATE transfer SET credit_account_id = :rz WHERE id = :id"),
                           {"rz": rz.expiry, "id": expired.id})
        connection.execute(text("UPDATE account SET credits_posted = credits_posted + 100 WHERE id = :rz"),
                           {"rz": rz.expiry})
        connection.execute(text("UPDATE account SET credits_posted = credits_posted - 100 WHERE id = :jk"),
                           {"jk": jk.expiry})
    assert {v.rule for v in check_ledger(db)} == {"expiry-to-minting-center"}


def test_holds_at_many_centers_at_once_each_credit_their_own_centers_sink(db):
    centers = [Center(db, f"C{n:02d}") for n in range(4)]
    volunteers = []
    for n in range(12):
        account = volunteer(db)
        mint(db, account, centers[n % 4], 100, expires_at=utcnow() + 365 * DAY)
        volunteers.append(account)
    results = collide([lambda a=account, c=centers[n % 4]: standalone.place_hold(
        db, account_id=a, to_account_id=c.redemption, amount=40, timeout=DAY, key=key(), cause=CAUSE)
        for n, account in enumerate(volunteers)])
    assert outcomes(results) == {"ok": 12}
    for center in centers:
        assert standalone.get_balance(db, center.redemption).credits_pending == 3 * 40
    assert standalone.get_balance(db, global_sink(db, accounts.REDEMPTION_SINK)).credits_pending == 0
    assert check_ledger(db) == []


# ------------------------------------------------- PostgreSQL: one center's open posting does not hold up another's

class OpenPosting:
    """A posting run in a transaction on its own thread that stays open (its row locks held) until ``release``."""

    def __init__(self, db: Database, posting):
        self.locked, self.released, self.error = threading.Event(), threading.Event(), None

        def work(s):
            posting(s)
            self.locked.set()
            assert self.released.wait(timeout=60), "the test never released the open posting"

        def run():
            try:
                db.transaction(work, attempts=1)
            except BaseException as error:  # noqa: BLE001 — reported by the test
                self.error = error
                self.locked.set()

        self.thread = threading.Thread(target=run)

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(timeout=30) and self.error is None, self.error
        return self

    def __exit__(self, *exc):
        self.released.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive() and self.error is None, self.error


def without_waiting(db: Database, posting):
    """Run ``posting`` in a transaction that gives up after LOCK_WAIT on a row lock, and is not retried."""
    def work(s):
        s.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
        return posting(s)

    return db.transaction(work, attempts=1)


def assert_waits_for_a_lock(call) -> None:
    with pytest.raises(OperationalError) as raised:
        call()
    assert raised.value.orig.sqlstate == "55P03", raised.value  # lock_not_available: it queued on a held row


@pytest.fixture
def pg_db(pg_url):
    database = Database(pg_url, pool_size=5)
    yield database
    database.dispose()


def test_a_hold_for_one_centers_sink_does_not_wait_for_an_open_hold_at_another(pg_db):
    db = pg_db
    jk, rz = Center(db, "JK01"), Center(db, "RZ02")
    first, second, third = (volunteer(db) for _ in range(3))
    for account in (first, second, third):
        mint(db, account, jk, 100, expires_at=utcnow() + 365 * DAY)

    def hold_for(account, center):
        return lambda s: postings.place_hold(s, account_id=account, to_account_id=center.redemption, amount=25,
                                             timeout=DAY, key=key(), cause=CAUSE)

    with OpenPosting(db, hold_for(first, jk)):  # JK's sink row is locked until this commits
        placed = without_waiting(db, hold_for(second, rz))
        assert placed.credit_account_id == rz.redemption
        # The same test against the same center queues on JK's sink: the lock above is real, so this could fail.
        assert_waits_for_a_lock(lambda: without_waiting(db, hold_for(third, jk)))
    assert standalone.get_balance(db, jk.redemption).credits_pending == 25
    assert standalone.get_balance(db, rz.redemption).credits_pending == 25
    assert standalone.get_balance(db, third).held == 0
    assert check_ledger(db) == []


def test_an_expiry_at_one_center_does_not_wait_for_an_open_expiry_at_another(pg_db):
    db = pg_db
    jk, rz = Center(db, "JK01"), Center(db, "RZ02")
    now = utcnow()
    lots = {}
    for name, center in (("first", jk), ("second", rz), ("third", jk)):
        lots[name] = mint(db, volunteer(db), center, 100, expires_at=now + DAY).lot_id
    later = now + 2 * DAY

    def expire(name):
        return lambda s: postings.expire_lot(s, lot_id=lots[name], cause=CAUSE, now=later)

    with OpenPosting(db, expire("first")):  # JK's expiry sink row is locked until this commits
        assert without_waiting(db, expire("second")).credit_account_id == rz.expiry
        assert_waits_for_a_lock(lambda: without_waiting(db, expire("third")))
    assert standalone.get_balance(db, jk.expiry).balance == 100
    assert standalone.get_balance(db, rz.expiry).balance == 100
    assert check_ledger(db) == []
