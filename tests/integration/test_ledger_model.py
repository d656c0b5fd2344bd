"""A simulator that tries to break the ledger: Hypothesis drives the real services and a plain-Python model together.

The requests are the session-form postings (``postings.mint(s, …)``) inside the caller's unit of work, as a feature
sends them: one posting per unit, or several composed (a mint and a hold together; a refusal rolls both back).
``standalone.run`` is ``db.transaction`` plus the record of a refusal under its key, which a feature's service does too.

After every step the balances, holds and live lots of the run's accounts must equal the model's, and
``check_ledger`` must find nothing anywhere in the database.

One database per test function (a fresh one per run would be slow on PostgreSQL): each run opens its own issuer and
volunteers. The sinks are shared, so the model follows how much *this run* moved through them. The sweeps
(``void_timed_out_holds``, ``expire_due_lots``) see the whole database, so each run lives in its own stretch of time,
earlier than every run before it: a later run's clock never reaches an earlier run's lots or holds.
"""
from __future__ import annotations

import itertools
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from timebank.errors import ValidationFailed
from timebank.ledger import accounts, errors, postings, standalone
from timebank.ledger.check import check_ledger
from timebank.ledger.models import Account, Lot, Transfer
from timebank.ledger.postings import Cause

CAUSE = Cause("user:simulator", "test", "model")
VOLUNTEERS = 2
STEPS = 30
LONGEST_WAIT_HOURS = 3 * 24
LONGEST_HOLD_HOURS = 14 * 24
LONGEST_LOT_DAYS = 60
# Longer than any run can move its clock: every step moves it by at most the longest wait or the furthest deadline.
RUN_SPAN = STEPS * max(timedelta(hours=LONGEST_WAIT_HOURS), timedelta(hours=LONGEST_HOLD_HOURS),
                       timedelta(days=LONGEST_LOT_DAYS)) + timedelta(days=1)
FIRST_EPOCH = datetime(3000, 1, 1, tzinfo=timezone.utc)
_runs = itertools.count()

# TIMEBANK_SIMULATOR_EXAMPLES=500 lets the simulator search longer than the suite can afford on every run.
SETTINGS = settings(max_examples=int(os.environ.get("TIMEBANK_SIMULATOR_EXAMPLES", 25)), stateful_step_count=STEPS,
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# ----------------------------------------------------------------------------------------------------------- the model

@dataclass
class Totals:
    credits_posted: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    debits_pending: int = 0

    @property
    def available(self) -> int:
        return self.credits_posted - self.debits_posted - self.debits_pending

    def as_tuple(self):
        return (self.credits_posted, self.debits_posted, self.credits_pending, self.debits_pending)


@dataclass
class ModelLot:
    id: int
    account: int
    amount: int
    remaining: int
    expires_at: datetime
    expired: bool = False
    expire_transfer: int | None = None  # the transfer that expired its remainder, if any


@dataclass
class ModelHold:
    id: int
    account: int
    amount: int
    timeout_at: datetime
    taken: dict[int, int]  # lot id → credits taken from it
    status: str = "pending"  # pending | post | void | timeout


@dataclass
class ModelMint:
    id: int
    account: int
    lot: int
    amount: int
    reversed: bool = False


@dataclass
class ModelPost:
    id: int
    hold: ModelHold
    reversed: bool = False


@dataclass
class Sent:
    """A request sent under an idempotency key, and what it produced: the same key and body must replay it."""

    key: str
    send: Callable[[str, datetime], postings.Posted]  # (key, now): the body is fixed, the time is not
    transfer_id: int | None = None  # when it succeeded
    refusal: type | None = None  # when refused (and so recorded as refused)


@dataclass
class Model:
    now: datetime
    accounts: dict[int, Totals] = field(default_factory=dict)
    lots: dict[int, ModelLot] = field(default_factory=dict)
    holds: list[ModelHold] = field(default_factory=list)
    mints: list[ModelMint] = field(default_factory=list)
    posts: list[ModelPost] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)

    def live_lots(self, account: int) -> list[ModelLot]:
        found = [lot for lot in self.lots.values() if lot.account == account and not lot.expired and lot.remaining]
        return sorted(found, key=lambda lot: (lot.expires_at, lot.id))

    def take(self, account: int, amount: int, *, first: int | None = None) -> dict[int, int]:
        """Oldest expiry first, after the ``first`` lot; the model's own FIFO, independent of ``allocate_fifo``."""
        lots = self.live_lots(account)
        lots.sort(key=lambda lot: lot.id != first)  # stable: keeps FIFO order behind the first lot
        taken: dict[int, int] = {}
        for lot in lots:
            if amount == 0:
                break
            take = min(lot.remaining, amount)
            lot.remaining -= take
            taken[lot.id] = take
            amount -= take
        assert amount == 0, "the model's lots do not cover the available credits"
        return taken

    def give_back(self, account: int, taken: dict[int, int], expiry: Totals) -> None:
        """Credits return to the lots they came from; what returns to an expired lot goes to the expiry sink."""
        for lot_id, amount in taken.items():
            lot = self.lots[lot_id]
            if lot.expired:
                self.accounts[account].debits_posted += amount
                expiry.credits_posted += amount
            else:
                lot.remaining += amount


# ----------------------------------------------------------------------------------------------------- the simulator

class LedgerMachine(RuleBasedStateMachine):
    db = None  # bound per test function

    def __init__(self):
        super().__init__()
        self.epoch = FIRST_EPOCH - next(_runs) * RUN_SPAN
        self.model = Model(now=self.epoch)

    # -------------------------------------------------------------------------------------------- set-up and helpers

    @initialize(opening=st.lists(st.integers(1, 500), min_size=VOLUNTEERS, max_size=VOLUNTEERS),
                days=st.integers(1, LONGEST_LOT_DAYS))
    def open_funded_accounts(self, opening, days):
        """Every run opens its own accounts, and each volunteer starts with one lot, so holds can happen at once."""
        run = uuid.uuid4().hex[:10]
        self.center = standalone.open_account(self.db, code=f"issuance:sim-{run}", kind="issuance")
        self.volunteers = [standalone.open_account(self.db, code=f"volunteer:sim-{run}-{n}", kind="volunteer")
                           for n in range(VOLUNTEERS)]
        self.redemption = standalone.open_account(self.db, code=accounts.REDEMPTION_SINK, kind="redemption")
        self.expiry = self.db.transaction(lambda s: s.execute(
            select(Account.id).where(Account.code == accounts.EXPIRY_SINK)).scalar_one(), readonly=True)
        for account in [self.center, *self.volunteers]:
            self.model.accounts[account] = Totals()
        # The sinks are shared with earlier runs: the model follows their change from here.
        self.sink_baseline = {sink: self._stored(sink) for sink in (self.redemption, self.expiry)}
        self.model.accounts[self.redemption] = Totals()
        self.model.accounts[self.expiry] = Totals()
        for who, amount in enumerate(opening):
            self.mint(who, amount, days)

    def _stored(self, account: int) -> tuple[int, int, int, int]:
        balance = standalone.get_balance(self.db, account)
        return (balance.credits_posted, balance.debits_posted, balance.credits_pending, balance.debits_pending)

    def _sent(self, key: str, send: Callable[[str, datetime], postings.Posted], *,
              expect_refusal: type | None) -> postings.Posted | None:
        """Send a request under a fresh key; check it was refused exactly when the model says it must be."""
        if expect_refusal is None:
            posted = send(key, self.model.now)
            assert not posted.replayed
            self.model.sent.append(Sent(key, send, transfer_id=posted.id))
            return posted
        with pytest.raises(expect_refusal) as refused:
            send(key, self.model.now)
        assert not refused.value.replayed
        self.model.sent.append(Sent(key, send, refusal=expect_refusal))
        return None

    def _unit(self, work):
        """One unit of work of the caller's, composed of session-form postings."""
        return standalone.run(self.db, work)

    def _transfer_exists(self, key: str) -> bool:
        return self.db.transaction(lambda s: s.execute(
            select(Transfer.id).where(Transfer.idempotency_key == key)).first() is not None, readonly=True)

    @property
    def expiry_totals(self) -> Totals:
        return self.model.accounts[self.expiry]

    @property
    def redemption_totals(self) -> Totals:
        return self.model.accounts[self.redemption]

    # ---------------------------------------------------------------------------------------------------- the rules

    @rule(hours=st.integers(1, LONGEST_WAIT_HOURS))
    def time_passes(self, hours):
        self.model.now += timedelta(hours=hours)
        assert self.model.now - self.epoch < RUN_SPAN, "the run would reach into an earlier run's time"

    def _deadlines(self) -> list[datetime]:
        """When an open hold times out or a lot not yet expired is due, from now on."""
        deadlines = {hold.timeout_at for hold in self.model.holds if hold.status == "pending"}
        deadlines |= {lot.expires_at for lot in self.model.lots.values() if not lot.expired}
        return sorted(deadline for deadline in deadlines if deadline >= self.model.now)

    @precondition(lambda self: self._deadlines())
    @rule(data=st.data(), after=st.sampled_from([timedelta(0), timedelta(microseconds=1), timedelta(hours=1)]))
    def clock_reaches_a_deadline(self, data, after):
        """The boundaries matter: a hold is expired from its timeout on, a lot may be expired from its date on."""
        self.model.now = data.draw(st.sampled_from(self._deadlines()), label="deadline") + after
        assert self.model.now - self.epoch < RUN_SPAN, "the run would reach into an earlier run's time"

    @rule(who=st.integers(0, VOLUNTEERS - 1), amount=st.integers(1, 500), days=st.integers(1, LONGEST_LOT_DAYS))
    def mint(self, who, amount, days):
        account, at = self.volunteers[who], self.model.now
        expires_at = at + timedelta(days=days)
        posted = self._sent(key_(), lambda k, at: self._unit(lambda s: postings.mint(
            s, account_id=account, issuer_account_id=self.center, amount=amount, expires_at=expires_at,
            key=k, cause=CAUSE, now=at)), expect_refusal=None)
        assert (posted.kind, posted.amount, posted.credit_account_id) == ("mint", amount, account)
        self.model.accounts[account].credits_posted += amount
        self.model.accounts[self.center].debits_posted += amount
        self.model.lots[posted.lot_id] = ModelLot(posted.lot_id, account, amount, amount, expires_at)
        self.model.mints.append(ModelMint(posted.id, account, posted.lot_id, amount))

    @precondition(lambda self: any(self.model.accounts[v].available for v in self.volunteers))
    @rule(data=st.data(), percent=st.integers(1, 110), hours=st.integers(1, LONGEST_HOLD_HOURS))
    def hold(self, data, percent, hours):
        """Hold a share of what a volunteer with credits has available; above 100 %, a little more than that."""
        account = data.draw(st.sampled_from([v for v in self.volunteers if self.model.accounts[v].available]),
                            label="volunteer")
        at = self.model.now
        available = self.model.accounts[account].available
        amount = max(1, available * percent // 100) if percent <= 100 else available + percent - 100
        posted = self._sent(key_(), lambda k, at: self._unit(lambda s: postings.place_hold(
            s, account_id=account, to_account_id=self.redemption, amount=amount, timeout=timedelta(hours=hours),
            key=k, cause=CAUSE, now=at)), expect_refusal=None if amount <= available else errors.InsufficientCredits)
        if posted is None:
            return
        assert (posted.kind, posted.amount, posted.timeout_at) == ("pending", amount, at + timedelta(hours=hours))
        self.model.accounts[account].debits_pending += amount
        self.redemption_totals.credits_pending += amount
        taken = self.model.take(account, amount)
        self.model.holds.append(ModelHold(posted.id, account, amount, at + timedelta(hours=hours), taken))

    @rule(who=st.integers(0, VOLUNTEERS - 1), amount=st.integers(1, 500), days=st.integers(1, LONGEST_LOT_DAYS),
          percent=st.integers(1, 120), hours=st.integers(1, LONGEST_HOLD_HOURS))
    def mint_and_hold_in_one_unit(self, who, amount, days, percent, hours):
        """An approval that pays a volunteer and at once reserves a share of everything they have, in ONE unit of
        work. Above 100 % the hold is refused, and the mint before it in the unit rolls back with it: no transfer,
        no lot, nothing moved."""
        account, at = self.volunteers[who], self.model.now
        expires_at = at + timedelta(days=days)
        total = self.model.accounts[account].available + amount
        held = max(1, total * percent // 100) if percent <= 100 else total + percent - 100
        timeout = timedelta(hours=hours)

        def send(k, at):
            def work(s):
                minted = postings.mint(s, account_id=account, issuer_account_id=self.center, amount=amount,
                                       expires_at=expires_at, key=f"{k}/mint", cause=CAUSE, now=at)
                hold = postings.place_hold(s, account_id=account, to_account_id=self.redemption, amount=held,
                                           timeout=timeout, key=k, cause=CAUSE, now=at)
                return minted, hold
            minted, hold = self._unit(work)
            assert minted.replayed == hold.replayed, "a unit is replayed whole or not at all"
            self.last_minted = minted
            return hold

        key = key_()
        hold = self._sent(key, send, expect_refusal=None if held <= total else errors.InsufficientCredits)
        event(f"mint and hold in one unit: {'refused' if hold is None else 'done'}")
        if hold is None:
            assert not self._transfer_exists(f"{key}/mint"), "the refused unit's mint must roll back with it"
            return
        minted = self.last_minted
        assert (minted.kind, minted.amount, hold.kind, hold.amount) == ("mint", amount, "pending", held)
        self.model.accounts[account].credits_posted += amount
        self.model.accounts[self.center].debits_posted += amount
        self.model.lots[minted.lot_id] = ModelLot(minted.lot_id, account, amount, amount, expires_at)
        self.model.mints.append(ModelMint(minted.id, account, minted.lot_id, amount))
        self.model.accounts[account].debits_pending += held
        self.redemption_totals.credits_pending += held
        taken = self.model.take(account, held)
        self.model.holds.append(ModelHold(hold.id, account, held, at + timeout, taken))

    def _draw_hold(self, data) -> ModelHold:
        """Any hold, but open ones half the time: those are where posting, voiding and timing out differ."""
        pending = [hold for hold in self.model.holds if hold.status == "pending"]
        choices = st.sampled_from(self.model.holds)
        return data.draw(st.sampled_from(pending) | choices if pending else choices, label="hold")

    @precondition(lambda self: self.model.holds)
    @rule(data=st.data())
    def post(self, data):
        hold = self._draw_hold(data)
        at = self.model.now
        if hold.status != "pending":
            refusal = errors.HoldNotPending
        elif at >= hold.timeout_at:
            refusal = errors.HoldExpired
        else:
            refusal = None
        posted = self._sent(key_(), lambda k, at: self._unit(
            lambda s: postings.post_hold(s, hold_id=hold.id, key=k, cause=CAUSE, now=at)), expect_refusal=refusal)
        if posted is None:
            return
        assert (posted.kind, posted.amount, posted.pending_id) == ("post", hold.amount, hold.id)
        hold.status = "post"
        volunteer = self.model.accounts[hold.account]
        volunteer.debits_pending -= hold.amount
        volunteer.debits_posted += hold.amount
        self.redemption_totals.credits_pending -= hold.amount
        self.redemption_totals.credits_posted += hold.amount
        self.model.posts.append(ModelPost(posted.id, hold))

    @precondition(lambda self: self.model.holds)
    @rule(data=st.data(), timed_out=st.booleans())
    def release(self, data, timed_out):
        """A void (the reservation is cancelled) or a timeout of one hold by hand (what the sweep does for each)."""
        hold = self._draw_hold(data)
        at = self.model.now

        def send(k, at):
            return self._unit(lambda s: postings.void_hold(s, hold_id=hold.id, key=k, cause=CAUSE, now=at,
                                                           timed_out=timed_out))

        if hold.status != "pending":
            self._sent(key_(), send, expect_refusal=errors.HoldNotPending)
            return
        if timed_out and at < hold.timeout_at:
            with pytest.raises(ValidationFailed):  # not a ledger refusal: the key stays unused
                send(key_(), at)
            return
        posted = self._sent(key_(), send, expect_refusal=None)
        assert (posted.kind, posted.amount, posted.pending_id) == ("timeout" if timed_out else "void", hold.amount,
                                                                   hold.id)
        self._release(hold, posted.kind)

    def _release(self, hold: ModelHold, kind: str) -> None:
        hold.status = kind
        self.model.accounts[hold.account].debits_pending -= hold.amount
        self.redemption_totals.credits_pending -= hold.amount
        self.model.give_back(hold.account, hold.taken, self.expiry_totals)

    @rule(holds_first=st.booleans())
    def scheduled_jobs_run(self, holds_first):
        """``void-stale-holds`` and ``expire-credits``, in either order, over the whole database."""
        for job in (self._sweep_timed_out_holds, self._sweep_expired_lots)[::1 if holds_first else -1]:
            job()

    def _sweep_timed_out_holds(self):
        at = self.model.now
        due = [hold for hold in self.model.holds if hold.status == "pending" and hold.timeout_at <= at]
        assert standalone.void_timed_out_holds(self.db, cause=CAUSE, now=at) == len(due)
        for hold in due:
            self._release(hold, "timeout")

    def _sweep_expired_lots(self):
        at = self.model.now
        due = [lot for lot in self.model.lots.values() if not lot.expired and lot.expires_at <= at]
        assert standalone.expire_due_lots(self.db, cause=CAUSE, now=at) == sum(1 for lot in due if lot.remaining)
        for lot in due:
            transfer_id = None
            if lot.remaining:  # the sweep used the lot's own key: asking again names the transfer it made
                again = standalone.expire_lot(self.db, lot_id=lot.id, cause=CAUSE, now=at)
                assert (again.kind, again.amount, again.replayed) == ("expire", lot.remaining, True)
                transfer_id = again.id
            self._expire(lot, transfer_id)

    @precondition(lambda self: any(lot.expires_at <= self.model.now for lot in self.model.lots.values()))
    @rule(data=st.data())
    def expire_lot(self, data):
        """Expire one lot by hand, once some lot is due; the one chosen may be due, already expired or not yet due."""
        lot = data.draw(st.sampled_from(sorted(self.model.lots.values(), key=lambda lot: lot.id)), label="lot")
        at = self.model.now
        if lot.expires_at > at:
            with pytest.raises(ValidationFailed):
                standalone.expire_lot(self.db, lot_id=lot.id, cause=CAUSE, now=at)
            return
        result = standalone.expire_lot(self.db, lot_id=lot.id, cause=CAUSE, now=at)
        if lot.expired:  # once only: the same answer again, nothing moves
            if lot.expire_transfer is None:
                assert result is None
            else:
                assert (result.id, result.replayed) == (lot.expire_transfer, True)
            return
        if lot.remaining == 0:
            assert result is None
        else:
            assert (result.kind, result.amount, result.replayed) == ("expire", lot.remaining, False)
        self._expire(lot, result.id if result else None)

    def _expire(self, lot: ModelLot, transfer_id: int | None) -> None:
        lot.expired = True
        lot.expire_transfer = transfer_id
        self.model.accounts[lot.account].debits_posted += lot.remaining
        self.expiry_totals.credits_posted += lot.remaining
        lot.remaining = 0

    @precondition(lambda self: self.model.mints)
    @rule(data=st.data())
    def reverse(self, data):
        """Reverse a mint, a posted spend, or (refused) a hold; one not yet reversed half the time."""
        everything = st.sampled_from([*self.model.mints, *self.model.posts, *self.model.holds])
        unreversed = [each for each in [*self.model.mints, *self.model.posts] if not each.reversed]
        target = data.draw(st.sampled_from(unreversed) | everything if unreversed else everything, label="transfer")
        at = self.model.now

        def send(k, at):
            return self._unit(lambda s: postings.reverse(s, transfer_id=target.id, key=k, cause=CAUSE, now=at))

        if isinstance(target, ModelHold):
            self._sent(key_(), send, expect_refusal=errors.NotReversible)
        elif isinstance(target, ModelMint):
            self._reverse_mint(target, send)
        else:
            self._reverse_post(target, send)

    def _reverse_mint(self, mint: ModelMint, send) -> None:
        if mint.reversed:
            refusal = errors.AlreadyReversed
        elif self.model.accounts[mint.account].available < mint.amount:
            refusal = errors.InsufficientCredits
        else:
            refusal = None
        posted = self._sent(key_(), send, expect_refusal=refusal)
        if posted is None:
            return
        assert (posted.kind, posted.amount, posted.reverses_id) == ("reversal", mint.amount, mint.id)
        assert (posted.debit_account_id, posted.credit_account_id) == (mint.account, self.center)
        mint.reversed = True
        self.model.accounts[mint.account].debits_posted += mint.amount
        self.model.accounts[self.center].credits_posted += mint.amount
        self.model.take(mint.account, mint.amount, first=mint.lot)

    def _reverse_post(self, post: ModelPost, send) -> None:
        posted = self._sent(key_(), send, expect_refusal=errors.AlreadyReversed if post.reversed else None)
        if posted is None:
            return
        hold = post.hold
        assert (posted.kind, posted.amount, posted.reverses_id) == ("reversal", hold.amount, post.id)
        assert (posted.debit_account_id, posted.credit_account_id) == (self.redemption, hold.account)
        post.reversed = True
        self.redemption_totals.debits_posted += hold.amount
        self.model.accounts[hold.account].credits_posted += hold.amount
        self.model.give_back(hold.account, hold.taken, self.expiry_totals)

    @precondition(lambda self: self.model.sent)
    @rule(data=st.data(), same_body=st.booleans(), amount=st.integers(1, 500))
    def reuse_a_key(self, data, same_body, amount):
        """The same key and body again, later: the original result (even if it could no longer happen), nothing moves.
        Another request under a used key is a conflict, whether the key succeeded or was refused."""
        sent = data.draw(st.sampled_from(self.model.sent), label="request")
        if not same_body:
            odd_expiry = self.model.now + timedelta(days=1, microseconds=1)  # no real mint in the run expires then
            with pytest.raises(errors.IdempotencyConflict):
                standalone.mint(self.db, account_id=self.volunteers[0], issuer_account_id=self.center, amount=amount,
                              expires_at=odd_expiry, key=sent.key, cause=CAUSE, now=self.model.now)
        elif sent.refusal is None:
            again = sent.send(sent.key, self.model.now)
            assert (again.id, again.replayed) == (sent.transfer_id, True)
        else:
            with pytest.raises(sent.refusal) as refused:
                sent.send(sent.key, self.model.now)
            assert refused.value.replayed

    # ----------------------------------------------------------------------------------------------- the invariants

    def _snapshot(self):
        """The run's account totals and live lots, read in one snapshot (one transaction instead of seven)."""
        accounts = [self.center, *self.volunteers, *self.sink_baseline]

        def read(session):
            totals = {row.id: (row.credits_posted, row.debits_posted, row.credits_pending, row.debits_pending)
                      for row in session.execute(select(Account).where(Account.id.in_(accounts))).scalars()}
            lots = {account: [] for account in self.volunteers}
            for row in session.execute(
                select(Lot).where(Lot.account_id.in_(self.volunteers), Lot.expired_at.is_(None), Lot.remaining > 0)
                .order_by(Lot.expires_at, Lot.id)
            ).scalars():
                lots[row.account_id].append((row.id, row.remaining, row.expires_at))
            return totals, lots

        return self.db.transaction(read, readonly=True)

    @invariant()
    def accounts_and_lots_match_the_model(self):
        if not hasattr(self, "volunteers"):
            return
        totals, lots = self._snapshot()
        for account in [self.center, *self.volunteers]:
            assert totals[account] == self.model.accounts[account].as_tuple(), f"account {account}"
        for sink, baseline in self.sink_baseline.items():
            change = tuple(now - then for now, then in zip(totals[sink], baseline))
            assert change == self.model.accounts[sink].as_tuple(), f"sink {sink}"
        for account in self.volunteers:
            modelled = [(lot.id, lot.remaining, lot.expires_at) for lot in self.model.live_lots(account)]
            assert lots[account] == modelled, f"live lots of account {account}"
            assert sum(remaining for _, remaining, _ in modelled) == self.model.accounts[account].available >= 0

    @invariant()
    def the_checker_finds_nothing(self):
        assert [str(violation) for violation in check_ledger(self.db)] == []


def key_() -> str:
    return uuid.uuid4().hex


def test_the_ledger_behaves_like_its_model(db):
    machine = type("BoundLedgerMachine", (LedgerMachine,), {"db": db})
    run_state_machine_as_test(machine, settings=SETTINGS)
