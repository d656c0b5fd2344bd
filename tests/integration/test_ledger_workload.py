"""A bank workload: several processes × threads post random ledger operations against one database for a while.

Workers are separate processes (``spawn``), each with threads that open their own ``Database``, so the database sees
real concurrent transactions from several clients, as with several gunicorn workers. They mint (some lots expire
within seconds), place holds (some time out within seconds), post, void and time out holds, expire lots (with a
``now`` an hour ahead, so expiry happens while the same credits are being spent) and reverse mints and spends.

Meanwhile an observer takes snapshot reads: the balances and pending totals of all accounts, read piecewise in
several statements of one read-only transaction, must always sum to zero; and ``check_ledger`` must stay clean.
At the end: the ledger is sound, every operation a worker saw commit is in the table exactly once, and enough
operations committed and were refused for the run to mean something.

``TIMEBANK_WORKLOAD_SECONDS`` sets how long the workers run on each backend (default 10). The per-kind counts of
committed, refused and retried operations are printed straight to the terminal (outside pytest's capture).
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import random
import threading
import time
import traceback
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.ledger_helpers import CAUSE, issuer, sink, volunteer
from timebank.clock import utcnow
from timebank.db import Database
from timebank.ledger import errors, standalone
from timebank.ledger.check import check_ledger
from timebank.ledger.models import Account, Lot, Transfer

SECONDS = float(os.environ.get("TIMEBANK_WORKLOAD_SECONDS", "10"))
PROCESSES = 3
THREADS_PER_PROCESS = 4  # one PostgreSQL connection each: 12 in all, plus the observer's, within the 20 allowed
VOLUNTEERS = 8
CHECK_EVERY_S = 2.0

# How often each operation is drawn.
OPERATIONS = {"mint": 20, "hold": 30, "post": 14, "void": 8, "timeout": 8, "expire": 10, "reverse": 10}
KINDS = list(OPERATIONS)
# The transfer kind each operation writes, to compare what workers saw commit with what the table holds.
TRANSFER_KIND = {"mint": "mint", "hold": "pending", "post": "post", "void": "void", "timeout": "timeout",
                 "expire": "expire", "reverse": "reversal"}

T = Transfer.__table__
L = Lot.__table__
A = Account.__table__


# ------------------------------------------------------------------------------------------ worker (child process)

class Tally:
    """Per operation kind: committed, refused (by code), retried transactions, no-ops; and unexpected errors."""

    def __init__(self):
        self.committed = Counter()
        self.refused = defaultdict(Counter)
        self.retried = Counter()
        self.noop = Counter()
        self.errors: list[str] = []

    def merge(self, other: "Tally") -> None:
        self.committed.update(other.committed)
        for kind, codes in other.refused.items():
            self.refused[kind].update(codes)
        self.retried.update(other.retried)
        self.noop.update(other.noop)
        self.errors.extend(other.errors)

    def as_dict(self) -> dict:
        return {"committed": dict(self.committed), "refused": {k: dict(v) for k, v in self.refused.items()},
                "retried": dict(self.retried), "noop": dict(self.noop), "errors": self.errors}

    @classmethod
    def from_dict(cls, data: dict) -> "Tally":
        tally = cls()
        tally.committed.update(data["committed"])
        for kind, codes in data["refused"].items():
            tally.refused[kind].update(codes)
        tally.retried.update(data["retried"])
        tally.noop.update(data["noop"])
        tally.errors.extend(data["errors"])
        return tally


def _recent(db: Database, statement) -> list[int]:
    return db.transaction(lambda s: s.execute(statement).scalars().all(), readonly=True)


def _open_holds(db: Database, *, timed_out_by=None) -> list[int]:
    resolution = T.alias("resolution")
    statement = (select(T.c.id).select_from(T.outerjoin(resolution, resolution.c.pending_id == T.c.id))
                 .where(T.c.kind == "pending", resolution.c.id.is_(None)).order_by(T.c.id.desc()).limit(12))
    if timed_out_by is not None:
        statement = statement.where(T.c.timeout_at <= timed_out_by)
    return _recent(db, statement)


def _one_operation(db: Database, rng: random.Random, plan: dict, kind: str):
    """Run one random operation of ``kind``; returns its result, or ``"skip"`` when there was nothing to act on."""
    now = utcnow()
    k = f"w:{rng.getrandbits(64):016x}"
    account = rng.choice(plan["volunteers"])
    if kind == "mint":
        short = rng.random() < 0.4
        expires = now + (timedelta(seconds=rng.uniform(0.2, 3)) if short else timedelta(days=rng.randint(30, 400)))
        return standalone.mint(db, account_id=account, issuer_account_id=rng.choice(plan["issuers"]),
                             amount=rng.randint(20, 200), expires_at=expires, key=k, cause=CAUSE)
    if kind == "hold":
        timeout = timedelta(seconds=rng.uniform(0.2, 1.5)) if rng.random() < 0.35 else timedelta(hours=1)
        return standalone.place_hold(db, account_id=account, to_account_id=plan["sink"], amount=rng.randint(10, 150),
                                   timeout=timeout, key=k, cause=CAUSE)
    if kind in ("post", "void"):
        holds = _open_holds(db)
        if not holds:
            return "skip"
        resolve = standalone.post_hold if kind == "post" else standalone.void_hold
        return resolve(db, hold_id=rng.choice(holds), key=k, cause=CAUSE)
    if kind == "timeout":
        holds = _open_holds(db, timed_out_by=now)
        if not holds:
            return "skip"
        return standalone.void_hold(db, hold_id=rng.choice(holds), key=k, cause=CAUSE, now=now, timed_out=True)
    if kind == "expire":
        later = now + timedelta(hours=1)  # expire early: lots expire while they are being spent
        lots = _recent(db, select(L.c.id).where(L.c.expires_at <= later, L.c.expired_at.is_(None))
                       .order_by(L.c.id.desc()).limit(12))
        if not lots:
            return "skip"
        return standalone.expire_lot(db, lot_id=rng.choice(lots), cause=CAUSE, now=later)
    if kind == "reverse":
        reversed_ = T.alias("reversed")
        originals = _recent(db, select(T.c.id).select_from(T.outerjoin(reversed_, reversed_.c.reverses_id == T.c.id))
                            .where(T.c.kind.in_(["mint", "post"]), reversed_.c.id.is_(None))
                            .order_by(T.c.id.desc()).limit(12))
        if not originals:
            return "skip"
        return standalone.reverse(db, transfer_id=rng.choice(originals), key=k, cause=CAUSE)
    raise AssertionError(kind)


def _worker_thread(url: str, plan: dict, seed: int, ready: threading.Barrier, go: threading.Event,
                   stop_at: list[float], tally: Tally) -> None:
    db = Database(url, pool_size=1)  # its own engine and connection: retries are counted per thread
    rng = random.Random(seed)
    try:
        _recent(db, select(func.count()).select_from(A))  # connect before the start
        ready.wait(timeout=60)
        go.wait(timeout=120)
        while time.monotonic() < stop_at[0]:
            kind = rng.choices(KINDS, weights=list(OPERATIONS.values()))[0]
            retries_before = db.stats.retries
            try:
                result = _one_operation(db, rng, plan, kind)
            except errors.LedgerRefusal as refusal:
                tally.refused[kind][refusal.code] += 1
            except Exception:  # noqa: BLE001 - anything else is a finding, reported by the test
                tally.errors.append(f"{kind}: {traceback.format_exc(limit=8)}")
            else:
                if result == "skip":
                    continue
                if result is None:
                    tally.noop[kind] += 1  # an expiry found the lot already empty or already expired
                elif result.replayed:
                    if kind != "expire":  # expiry keys are per lot; every other key here is fresh
                        tally.errors.append(f"{kind}: a fresh key was replayed: {result}")
                    tally.noop[kind] += 1
                else:
                    tally.committed[kind] += 1
            finally:
                tally.retried[kind] += db.stats.retries - retries_before
    except Exception:  # noqa: BLE001
        tally.errors.append(f"worker thread: {traceback.format_exc()}")
    finally:
        db.dispose()


def run_worker(url: str, plan: dict, seconds: float, seed: int, threads: int, start, results) -> None:
    """Child process: ``threads`` threads of random operations for ``seconds`` after the common start."""
    tallies = [Tally() for _ in range(threads)]
    try:
        ready, go, stop_at = threading.Barrier(threads + 1), threading.Event(), [0.0]
        workers = [threading.Thread(target=_worker_thread,
                                    args=(url, plan, seed * 1000 + i, ready, go, stop_at, tallies[i]))
                   for i in range(threads)]
        for worker in workers:
            worker.start()
        try:
            ready.wait(timeout=60)  # every thread connected
            start.wait(timeout=120)  # every process ready
        finally:
            stop_at[0] = time.monotonic() + seconds
            go.set()
        for worker in workers:
            worker.join()
    except Exception:  # noqa: BLE001
        tallies[0].errors.append(f"worker process: {traceback.format_exc()}")
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    results.put(total.as_dict())


# ------------------------------------------------------------------------------------------------- observer (test)

def _sum_in_pieces(s) -> tuple[int, int, int]:
    """Sum posted and pending balances two accounts per statement: only a snapshot makes the pieces add up."""
    ids = s.execute(select(A.c.id).order_by(A.c.id)).scalars().all()
    posted = pending = 0
    for i in range(0, len(ids), 2):
        row = s.execute(select(func.sum(A.c.credits_posted - A.c.debits_posted),
                               func.sum(A.c.credits_pending - A.c.debits_pending))
                        .where(A.c.id.in_(ids[i:i + 2]))).one()
        posted += row[0]
        pending += row[1]
    return posted, pending, len(ids)


class Observer(threading.Thread):
    def __init__(self, db: Database):
        super().__init__(daemon=True)
        self.db = db
        self.finished = threading.Event()
        self.snapshots = 0
        self.checks = 0
        self.unbalanced: list[tuple[int, int]] = []
        self.violations: list[str] = []
        self.failure: str | None = None

    def run(self):
        next_check = time.monotonic() + CHECK_EVERY_S
        try:
            while not self.finished.is_set():
                posted, pending, _ = self.db.transaction(_sum_in_pieces, readonly=True)
                self.snapshots += 1
                if (posted, pending) != (0, 0):
                    self.unbalanced.append((posted, pending))
                if time.monotonic() >= next_check:
                    self.violations += [str(v) for v in check_ledger(self.db)]
                    self.checks += 1
                    next_check = time.monotonic() + CHECK_EVERY_S
                time.sleep(0.01)
        except Exception:  # noqa: BLE001
            self.failure = traceback.format_exc()


def _report(backend: str, tally: Tally, observer: Observer, seconds: float) -> str:
    parts = []
    for kind in KINDS:
        refused = sum(tally.refused[kind].values())
        noop = f" noop={tally.noop[kind]}" if tally.noop[kind] else ""
        parts.append(f"{kind}: committed={tally.committed[kind]} refused={refused} retried={tally.retried[kind]}"
                     f"{noop}")
    codes = Counter()
    for by_code in tally.refused.values():
        codes.update(by_code)
    return (f"\nworkload[{backend}] {PROCESSES} processes x {THREADS_PER_PROCESS} threads, {seconds:.1f}s: "
            f"committed={sum(tally.committed.values())} refused={sum(codes.values())} "
            f"retried={sum(tally.retried.values())}; snapshots={observer.snapshots} checks={observer.checks}\n  "
            + "\n  ".join(parts)
            + f"\n  refusals by code: {dict(codes)}")


def _transfer_counts(db: Database) -> Counter:
    rows = db.transaction(lambda s: s.execute(select(T.c.kind, T.c.idempotency_key)).all(), readonly=True)
    # Credits voided or refunded into an expired lot expire at once, under the key "<request key>/expire".
    return Counter(kind if kind != "expire" or k.startswith("expire-lot:") else "expire-returned" for kind, k in rows)


@pytest.mark.slow
def test_a_bank_workload_keeps_the_ledger_sound(db, database_url, capsys, record_property):
    plan = {"issuers": [issuer(db, "C001"), issuer(db, "C002")],
            "volunteers": [volunteer(db) for _ in range(VOLUNTEERS)],
            "sink": sink(db)}
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES + 1)
    results = context.Queue()
    workers = [context.Process(target=run_worker, daemon=True,
                               args=(database_url, plan, SECONDS, seed, THREADS_PER_PROCESS, start, results))
               for seed in range(1, PROCESSES + 1)]
    for worker in workers:
        worker.start()
    observer = Observer(db)
    tally = Tally()
    try:
        start.wait(timeout=120)
        began = time.monotonic()
        observer.start()
        for _ in workers:
            tally.merge(Tally.from_dict(results.get(timeout=SECONDS + 120)))
        elapsed = time.monotonic() - began
    except (threading.BrokenBarrierError, queue.Empty):
        pytest.fail(f"a worker process did not start or finish; exit codes {[w.exitcode for w in workers]}")
    finally:
        observer.finished.set()
        observer.join(timeout=60)
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()

    report = _report(db.dialect, tally, observer, elapsed)
    with capsys.disabled():
        print(report)
    record_property("workload", report)

    assert tally.errors == []
    assert observer.failure is None
    assert observer.unbalanced == [], "a snapshot's balances or pending totals did not sum to zero"
    assert observer.violations == []
    assert check_ledger(db) == []
    # Exactly once: what the workers saw commit is what the table holds, no more, no less.
    in_table = _transfer_counts(db)
    assert {kind: in_table[TRANSFER_KIND[kind]] for kind in KINDS} == {kind: tally.committed[kind] for kind in KINDS}
    # The run meant something: every kind committed, the observer looked often, and requests were refused.
    assert sum(tally.committed.values()) >= 100
    assert all(tally.committed[kind] > 0 for kind in KINDS), tally.committed
    assert observer.snapshots >= 20 and observer.checks >= 1
    assert sum(tally.refused["hold"].values()) > 0 and tally.refused["hold"]["insufficient_credits"] > 0
    assert sum(sum(codes.values()) for codes in tally.refused.values()) >= 10
