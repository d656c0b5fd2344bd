"""The ``expire-credits`` sweep (``standalone.expire_due_lots``), set-based and in batches, on SQLite and PostgreSQL,
with the clock given to every call (no sleeping): a lot expires on its date and only its remainder, once; a lot partly
held expires only its free part; credits a hold gives back to an expired lot expire at once; batches; reruns; runs at
once (threads, and processes on PostgreSQL); holds and voids racing the sweep; a crash between batches."""
from __future__ import annotations

import hashlib
import multiprocessing
import queue
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, literal, select

from tests.drive_helpers import RICE, make_city, volunteer_with
from tests.integration.test_ledger_center_sinks import Center, OpenPosting, assert_waits_for_a_lock, without_waiting
from tests.integration.test_ledger_races import collide, outcomes, unexpected
from tests.ledger_helpers import CAUSE, issuer, key, volunteer
from timebank.auth.access import Principal
from timebank.db import Database, sha256_hex
from timebank.drives import reservations
from timebank.drives.stale import void_stale_reservations
from timebank.errors import ValidationFailed
from timebank.ledger import accounts, errors, postings, standalone, sweeps
from timebank.ledger.check import check_ledger
from timebank.ledger.models import Lot, LotMovement, Transfer
from timebank.ledger.postings import Cause, Posted
from timebank.ledger.rules import fingerprint
from timebank.volunteers.services import get_volunteer

T0 = datetime(2027, 3, 1, 16, 0, tzinfo=timezone.utc)  # a lot's date; every call below is told the time
DAY = timedelta(days=1)
JOB = Cause.job("expire-credits", 41)
JOIN_TIMEOUT_S = 180


def mint(db, account: int, issuer_account: int, amount: int, *, expires_at: datetime = T0):
    return standalone.mint(db, account_id=account, issuer_account_id=issuer_account, amount=amount,
                           expires_at=expires_at, key=key(), cause=CAUSE, now=T0 - 30 * DAY)


def hold(db, account: int, to: int, amount: int, *, at: datetime = T0 - DAY, days: int = 30):
    return standalone.place_hold(db, account_id=account, to_account_id=to, amount=amount,
                                 timeout=timedelta(days=days), key=key(), cause=CAUSE, now=at)


def lot_of(db, lot_id: int):
    return db.transaction(lambda s: s.execute(select(Lot.__table__).where(Lot.id == lot_id)).one(), readonly=True)


def transfers(db, *conditions) -> list:
    return db.transaction(lambda s: s.execute(select(Transfer.__table__).where(*conditions)
                                              .order_by(Transfer.id)).all(), readonly=True)


def expiries(db) -> list:
    return transfers(db, Transfer.kind == "expire")


def movements_of(db, transfer_id: int) -> list[tuple[int, int]]:
    return db.transaction(lambda s: s.execute(
        select(LotMovement.lot_id, LotMovement.delta).where(LotMovement.transfer_id == transfer_id)
        .order_by(LotMovement.lot_id)).all(), readonly=True)


def balance(db, account: int) -> tuple[int, int, int]:
    b = standalone.get_balance(db, account)
    return b.balance, b.held, b.available


# ---------------------------------------------------------------------------------------------- one lot, its date

def test_a_lot_expires_on_its_date_and_gives_only_its_remainder_to_its_centers_sink(db):
    jk = Center(db, "JK01")
    account = volunteer(db)
    lot = mint(db, account, jk.issuer, 100)
    later_lot = mint(db, account, jk.issuer, 50, expires_at=T0 + 30 * DAY)
    spent = hold(db, account, jk.redemption, 30)  # the oldest lot pays: 70 left in it
    standalone.post_hold(db, hold_id=spent.id, key=key(), cause=CAUSE, now=T0 - DAY)

    assert standalone.expire_due_lots(db, cause=JOB, now=T0 - timedelta(microseconds=1)) == 0  # not yet
    assert lot_of(db, lot.lot_id).expired_at is None and expiries(db) == []

    assert standalone.expire_due_lots(db, cause=JOB, now=T0) == 1  # on its date
    [expired] = expiries(db)
    assert (expired.debit_account_id, expired.credit_account_id, expired.amount) == (account, jk.expiry, 70)
    assert expired.idempotency_key == f"expire-lot:{lot.lot_id}"
    assert expired.fingerprint == fingerprint("expire-lot", lot=lot.lot_id)  # written by SQL, equal to Python's
    assert (expired.actor, expired.reason_type, expired.reason_id) == ("job:expire-credits", "job_run", "41")
    assert (expired.created_at, expired.pending_id, expired.reverses_id, expired.timeout_at) == (T0, None, None, None)
    assert movements_of(db, expired.id) == [(lot.lot_id, -70)]
    assert (lot_of(db, lot.lot_id).remaining, lot_of(db, lot.lot_id).expired_at) == (0, T0)
    assert (lot_of(db, later_lot.lot_id).remaining, lot_of(db, later_lot.lot_id).expired_at) == (50, None)
    assert balance(db, account) == (50, 0, 50)
    assert standalone.get_balance(db, jk.expiry).balance == 70
    assert check_ledger(db) == []

    # Once: the sweep again, a day later, and the lot by hand, change nothing; by hand it names the same transfer.
    assert standalone.expire_due_lots(db, cause=JOB, now=T0 + DAY) == 0
    again = standalone.expire_lot(db, lot_id=lot.lot_id, cause=JOB, now=T0 + DAY)
    assert (again.id, again.replayed) == (expired.id, True)
    assert len(expiries(db)) == 1 and standalone.get_balance(db, jk.expiry).balance == 70
    assert check_ledger(db) == []


def test_expire_lot_by_hand_is_the_batch_of_one(db):
    account, center = volunteer(db), issuer(db)  # an issuer of no center: the city-wide expiry sink
    lot = mint(db, account, center, 100)
    with pytest.raises(ValidationFailed):  # not yet
        standalone.expire_lot(db, lot_id=lot.lot_id, cause=CAUSE, now=T0 - DAY)
    expired = standalone.expire_lot(db, lot_id=lot.lot_id, cause=CAUSE, now=T0)
    city_sink = db.transaction(lambda s: accounts.account_id_for(s, accounts.EXPIRY_SINK), readonly=True)
    assert (expired.kind, expired.amount, expired.credit_account_id, expired.replayed) == ("expire", 100, city_sink,
                                                                                          False)
    assert standalone.expire_due_lots(db, cause=JOB, now=T0 + DAY) == 0
    with pytest.raises(errors.TransferNotFound):
        standalone.expire_lot(db, lot_id=lot.lot_id + 1000, cause=CAUSE, now=T0)
    assert check_ledger(db) == []


# -------------------------------------------------------------------------------------- holds and expired lots

def test_a_lot_partly_held_by_a_reservation_expires_only_its_free_part(db):
    jk = Center(db, "JK01")
    account = volunteer(db)
    lot = mint(db, account, jk.issuer, 100)
    held = hold(db, account, jk.redemption, 40)
    assert standalone.expire_due_lots(db, cause=JOB, now=T0) == 1
    [expired] = expiries(db)
    assert expired.amount == 60
    assert balance(db, account) == (40, 40, 0)  # the held 40 stay held, for the pickup
    assert lot_of(db, lot.lot_id).remaining == 0
    picked_up = standalone.post_hold(db, hold_id=held.id, key=key(), cause=CAUSE, now=T0 + DAY)
    assert picked_up.kind == "post"
    assert balance(db, account) == (0, 0, 0)
    assert standalone.get_balance(db, jk.redemption).balance == 40
    assert standalone.get_balance(db, jk.expiry).balance == 60
    assert check_ledger(db) == []


def test_a_lot_wholly_held_is_marked_expired_with_nothing_to_give(db):
    jk = Center(db, "JK01")
    account = volunteer(db)
    lot = mint(db, account, jk.issuer, 100)
    hold(db, account, jk.redemption, 100)
    assert standalone.expire_due_lots(db, cause=JOB, now=T0) == 0
    assert expiries(db) == []
    assert (lot_of(db, lot.lot_id).remaining, lot_of(db, lot.lot_id).expired_at) == (0, T0)
    assert standalone.expire_lot(db, lot_id=lot.lot_id, cause=JOB, now=T0) is None
    assert check_ledger(db) == []


@pytest.mark.parametrize("resolution", ["void", "timeout"])
def test_a_hold_released_after_its_lot_expired_sends_those_credits_to_expiry_at_once(db, resolution):
    jk, rz = Center(db, "JK01"), Center(db, "RZ02")
    account = volunteer(db)
    lot = mint(db, account, rz.issuer, 100)  # minted at RZ: its expired credits are RZ's, wherever they were held
    held = hold(db, account, jk.redemption, 40, at=T0 - DAY, days=3)
    assert standalone.expire_due_lots(db, cause=JOB, now=T0) == 1  # the free 60
    if resolution == "void":
        standalone.void_hold(db, hold_id=held.id, key="cancel-it", cause=CAUSE, now=T0 + DAY)
        expire_key = "cancel-it/expire"
    else:
        assert standalone.void_timed_out_holds(db, cause=JOB, now=T0 + 3 * DAY) == 1
        expire_key = f"timeout:{held.id}/expire"
    assert [(t.idempotency_key, t.credit_account_id, t.amount) for t in expiries(db)] == [
        (f"expire-lot:{lot.lot_id}", rz.expiry, 60), (expire_key, rz.expiry, 40)]
    assert balance(db, account) == (0, 0, 0)
    assert standalone.get_balance(db, rz.expiry).balance == 100
    assert standalone.get_balance(db, jk.expiry).balance == 0
    assert (lot_of(db, lot.lot_id).remaining, lot_of(db, lot.lot_id).expired_at) == (0, T0)
    assert standalone.expire_due_lots(db, cause=JOB, now=T0 + 4 * DAY) == 0  # nothing left to expire twice
    assert check_ledger(db) == []


def test_a_reservation_cancelled_or_never_picked_up_after_its_credits_expired_gives_them_to_expiry(db):
    city = make_city(db, now=T0 - DAY)
    system = Principal.system("test")

    def volunteer_with_lot():
        person = volunteer_with(db, city.jk, 0)
        account = get_volunteer(db, actor=system, volunteer_id=person.id).account_id
        mint(db, account, city.jk.issuance_account_id, 50_00)  # due at T0, while the drive runs
        return person, account

    (wang, wang_account), (li, li_account) = volunteer_with_lot(), volunteer_with_lot()
    made = {}
    for person in (wang, li):
        made[person.id] = reservations.reserve(db, actor=city.volunteer_actor(person.id), drive_id=city.drive.id,
                                               center="JK01", lines=[{"sku": "RICE-5KG", "quantity": 2}],
                                               now=city.opened)
    assert standalone.expire_due_lots(db, cause=JOB, now=T0) == 2  # each lot's free 25.00
    assert balance(db, wang_account) == (2 * RICE, 2 * RICE, 0)

    reservations.cancel_reservation(db, actor=city.volunteer_actor(wang.id), reservation_id=made[wang.id].id,
                                    now=T0 + DAY)
    assert void_stale_reservations(db, now=city.drive.pickup_until) == 1  # Li never came
    expiry_sink = db.transaction(lambda s: accounts.expiry_sink_for(s, city.jk.id), readonly=True)
    assert balance(db, wang_account) == balance(db, li_account) == (0, 0, 0)
    assert standalone.get_balance(db, expiry_sink).balance == 2 * 50_00
    assert check_ledger(db) == []


# ------------------------------------------------------------------------------------------------------ batches

def twelve_lots(db) -> tuple[list[int], int]:
    """12 lots of 4 volunteers from two centers, due one minute apart from T0 (so batches take them in this order);
    the 3rd is wholly held and the 7th half. Returns the lot ids and how many have a remainder."""
    jk, rz = Center(db, "JK01"), Center(db, "RZ02")
    people = [volunteer(db) for _ in range(4)]
    lots = []
    for n in range(12):
        account, center = people[n % 4], (jk, rz)[n % 2]
        lots.append(mint(db, account, center.issuer, 100 + n, expires_at=T0 + n * timedelta(minutes=1)).lot_id)
    hold(db, people[2], jk.redemption, 102)  # the 3rd lot (n=2) is the oldest of people[2]: wholly held
    hold(db, people[2], jk.redemption, 53)  # then half of the 7th (n=6)
    return lots, 11


def test_twelve_lots_in_batches_of_five_all_expire_once_and_a_rerun_does_nothing(db):
    lots, with_remainder = twelve_lots(db)
    at = T0 + DAY
    assert standalone.expire_due_lots(db, cause=JOB, now=at, batch=5) == with_remainder
    assert all(lot_of(db, lot).expired_at == at and lot_of(db, lot).remaining == 0 for lot in lots)
    made = expiries(db)
    assert sorted(t.idempotency_key for t in made) == sorted(f"expire-lot:{lot}" for lot in lots if lot != lots[2])
    assert [t.amount for t in sorted(made, key=lambda t: int(t.idempotency_key.split(":")[1]))] == [
        100, 101, 103, 104, 105, 106 - 53, 107, 108, 109, 110, 111]
    assert check_ledger(db) == []

    assert standalone.expire_due_lots(db, cause=JOB, now=at, batch=5) == 0
    assert standalone.expire_due_lots(db, cause=JOB, now=at + 400 * DAY, batch=5) == 0
    assert len(expiries(db)) == with_remainder
    assert check_ledger(db) == []


class Statements:
    """Counts the SQL statements sent through an engine while it is on."""

    def __init__(self, db):
        self.db, self.count = db, 0

    def _count(self, *_):
        self.count += 1

    def __enter__(self):
        event.listen(self.db.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.db.engine, "before_cursor_execute", self._count)


def test_a_batch_sends_the_same_few_statements_whether_it_expires_one_lot_or_many(db):
    center = issuer(db)
    mint(db, volunteer(db), center, 100)
    with Statements(db) as one:
        assert standalone.expire_due_lots(db, cause=JOB, now=T0, batch=100) == 1
    for n in range(40):
        mint(db, volunteer(db), center, 100, expires_at=T0 + DAY)
    with Statements(db) as forty:
        assert standalone.expire_due_lots(db, cause=JOB, now=T0 + DAY, batch=100) == 40
    assert forty.count == one.count <= 8  # set-based: no statement per lot
    assert check_ledger(db) == []


class InjectedFault(RuntimeError):
    """Not a database error: ``Database.transaction`` does not retry it, so it ends the run."""


@pytest.mark.parametrize("where", ["INSERT INTO transfer", "INSERT INTO lot_movement", "UPDATE account",
                                   "UPDATE lot", "commit"])
def test_a_crash_in_the_second_batch_leaves_the_first_done_and_nothing_half_done(db, where):
    lots, with_remainder = twelve_lots(db)
    at = T0 + DAY
    seen = []

    def statement(conn, cursor, sql, parameters, context, executemany):
        if sql.startswith(where):
            seen.append(sql)
            if len(seen) == 2:  # the second batch's
                raise InjectedFault(f"injected at the second {where}")

    def commit(conn):
        seen.append("commit")
        if where == "commit" and len(seen) == 2:
            raise InjectedFault("injected at the second batch's commit")

    hook = ("commit", commit) if where == "commit" else ("before_cursor_execute", statement)
    event.listen(db.engine, *hook)
    try:
        with pytest.raises(InjectedFault):
            standalone.expire_due_lots(db, cause=JOB, now=at, batch=5)
    finally:
        event.remove(db.engine, *hook)

    first, rest = lots[:5], lots[5:]
    assert all(lot_of(db, lot).expired_at == at for lot in first)
    assert all(lot_of(db, lot).expired_at is None and lot_of(db, lot).remaining > 0 for lot in rest)
    assert sorted(t.idempotency_key for t in expiries(db)) == sorted(f"expire-lot:{lot}" for lot in first
                                                                     if lot != lots[2])
    assert check_ledger(db) == []

    assert standalone.expire_due_lots(db, cause=JOB, now=at, batch=5) == len(rest)  # the next run finishes
    assert all(lot_of(db, lot).expired_at == at for lot in lots)
    assert len(expiries(db)) == with_remainder
    assert check_ledger(db) == []


# ---------------------------------------------------------------------------------------------- runs at once

def many_due_lots(db, *, volunteers: int, per_volunteer: int) -> tuple[list[int], list[int], int]:
    """``volunteers`` accounts with ``per_volunteer`` due lots each, minted at two centers in one unit of work;
    the accounts, the lots, and the total minted."""
    jk, rz = Center(db, "JK01"), Center(db, "RZ02")
    people = [volunteer(db) for _ in range(volunteers)]

    def work(s):
        made = []
        for n in range(volunteers * per_volunteer):
            made.append(postings.mint(s, account_id=people[n % volunteers], issuer_account_id=(jk, rz)[n % 2].issuer,
                                      amount=100, expires_at=T0 + n * timedelta(seconds=1), key=key(), cause=CAUSE,
                                      now=T0 - 30 * DAY).lot_id)
        return made

    lots = db.transaction(work)
    return people, lots, 100 * len(lots)


def assert_each_lot_expired_once(db, lots: list[int], minted: int) -> None:
    made = expiries(db)
    assert sorted(t.idempotency_key for t in made) == sorted(f"expire-lot:{lot}" for lot in lots)
    assert sum(t.amount for t in made) == minted
    sinks = {t.credit_account_id for t in made}
    assert sum(standalone.get_balance(db, sink).balance for sink in sinks) == minted
    assert check_ledger(db) == []


def test_four_runs_at_once_expire_every_lot_exactly_once(db):
    _, lots, minted = many_due_lots(db, volunteers=10, per_volunteer=6)
    at = T0 + DAY
    results = collide([lambda: standalone.expire_due_lots(db, cause=JOB, now=at, batch=7) for _ in range(4)])
    assert unexpected(results) == []
    assert sum(results) == len(lots)  # each lot counted by the one run that expired it
    assert_each_lot_expired_once(db, lots, minted)


def _expire_in_process(url: str, at: str, batch: int, start, results) -> None:
    """Child process: wait for the others, then run the whole sweep; put how many lots it expired (or its error)."""
    db = Database(url, pool_size=2)
    try:
        start.wait(timeout=120)
        results.put(standalone.expire_due_lots(db, cause=Cause.job("expire-credits", 7), now=datetime.fromisoformat(at),
                                               batch=batch))
    except BaseException as error:  # noqa: BLE001 — reported by the test
        results.put(repr(error))
    finally:
        db.dispose()


def test_two_processes_at_once_expire_every_lot_exactly_once(pg_url):
    db = Database(pg_url, pool_size=5)
    try:
        _, lots, minted = many_due_lots(db, volunteers=40, per_volunteer=10)
        context = multiprocessing.get_context("spawn")
        start, results = context.Barrier(3), context.Queue()
        workers = [context.Process(target=_expire_in_process, daemon=True,
                                   args=(pg_url, (T0 + DAY).isoformat(), 25, start, results)) for _ in range(2)]
        for worker in workers:
            worker.start()
        try:
            start.wait(timeout=120)
            counts = [results.get(timeout=JOIN_TIMEOUT_S) for _ in workers]
        except (threading.BrokenBarrierError, queue.Empty):
            pytest.fail(f"a process did not start or finish; exit codes {[w.exitcode for w in workers]}")
        finally:
            for worker in workers:
                worker.join(timeout=30)
                if worker.is_alive():
                    worker.kill()
        assert all(isinstance(count, int) for count in counts), counts
        assert sum(counts) == len(lots)
        assert_each_lot_expired_once(db, lots, minted)
    finally:
        db.dispose()


def test_holds_racing_the_sweep_on_the_same_lots_never_double_expire_or_lose_credits(db):
    """Each volunteer has a due lot of 1.00 and a later one of 1.00, and asks to hold 1.50 while two sweeps run: the
    hold takes the due lot first (a lot past its date is spendable until swept), so either the hold won (it took all
    of the due lot, which expires empty) or the sweep did (1.00 expired, 1.00 left: the hold is refused)."""
    jk = Center(db, "JK01")
    people = [volunteer(db) for _ in range(8)]
    due = {account: mint(db, account, jk.issuer, 100).lot_id for account in people}
    for account in people:
        mint(db, account, jk.issuer, 100, expires_at=T0 + 365 * DAY)
    at = T0 + DAY
    calls = [lambda: standalone.expire_due_lots(db, cause=JOB, now=at, batch=3) for _ in range(2)]
    calls += [lambda a=account: standalone.place_hold(db, account_id=a, to_account_id=jk.redemption, amount=150,
                                                      timeout=DAY, key=key(), cause=CAUSE, now=at)
              for account in people]
    results = collide(calls)
    assert unexpected(results, errors.InsufficientCredits) == []
    sweeps_done, holds = results[:2], results[2:]
    by_lot = {int(t.idempotency_key.split(":")[1]): t for t in expiries(db)}
    for account, result in zip(people, holds):
        expired = by_lot.get(due[account])
        if isinstance(result, Posted):  # the hold first: the due lot was emptied, then expired with nothing left
            assert expired is None and balance(db, account) == (200, 150, 50)
        else:  # the sweep first: 1.00 expired
            assert expired.amount == 100 and balance(db, account) == (100, 0, 100)
        assert lot_of(db, due[account]).expired_at == at
    assert sum(sweeps_done) == len(by_lot) == outcomes(holds)["InsufficientCredits"]
    assert check_ledger(db) == []


def test_voids_racing_the_sweep_send_every_held_credit_to_expiry_exactly_once(db):
    jk = Center(db, "JK01")
    people = [volunteer(db) for _ in range(8)]
    held = {}
    for account in people:
        mint(db, account, jk.issuer, 100)
        held[account] = hold(db, account, jk.redemption, 60).id
    at = T0 + DAY
    calls = [lambda: standalone.expire_due_lots(db, cause=JOB, now=at, batch=3) for _ in range(2)]
    calls += [lambda h=hold_id: standalone.void_hold(db, hold_id=h, key=key(), cause=CAUSE, now=at)
              for hold_id in held.values()]
    results = collide(calls)
    assert unexpected(results) == []
    for account in people:  # void first: 100 back in the lot, then swept; sweep first: 40 swept, 60 at the void
        assert balance(db, account) == (0, 0, 0)
        assert sum(t.amount for t in transfers(db, Transfer.kind == "expire", Transfer.debit_account_id == account)) \
            == 100
    assert standalone.get_balance(db, jk.expiry).balance == 100 * len(people)
    assert check_ledger(db) == []


def test_a_batch_holds_its_volunteers_rows_until_it_commits_and_no_one_elses(pg_url):
    """The lock is real: a hold on a volunteer in an open batch waits for it; one on another volunteer does not."""
    db = Database(pg_url, pool_size=5)
    try:
        jk = Center(db, "JK01")
        swept, other = volunteer(db), volunteer(db)
        mint(db, swept, jk.issuer, 100)
        mint(db, swept, jk.issuer, 100, expires_at=T0 + 365 * DAY)
        mint(db, other, jk.issuer, 100, expires_at=T0 + 365 * DAY)
        at = T0 + DAY

        def place(account):
            return lambda s: postings.place_hold(s, account_id=account, to_account_id=jk.redemption, amount=50,
                                                 timeout=DAY, key=key(), cause=CAUSE, now=at)

        with OpenPosting(db, lambda s: sweeps.expire_due_batch(s, cause=JOB, now=at, limit=10)):
            assert without_waiting(db, place(other)).kind == "pending"
            assert_waits_for_a_lock(lambda: without_waiting(db, place(swept)))
        assert balance(db, swept) == (100, 0, 100)
        assert check_ledger(db) == []
    finally:
        db.dispose()


def test_the_fingerprint_sql_writes_is_the_one_python_computes(db):
    texts = ["", "expire-lot", '{"lot":7,"op":"expire-lot"}', "时间币"]
    got = db.transaction(lambda s: [s.execute(select(sha256_hex(literal(t)))).scalar_one() for t in texts],
                         readonly=True)
    assert got == [hashlib.sha256(t.encode()).hexdigest() for t in texts]
