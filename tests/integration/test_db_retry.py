"""The unit-of-work runner's concurrency contract, with real database errors.

PostgreSQL: serialization failures (40001) and deadlocks (40P01), provoked for real between two threads, are retried
and end with every transaction applied once; the other retryable SQLSTATEs are retried; any other error is raised
at once. SQLite: overlapping read-then-write transactions wait their turn (``BEGIN IMMEDIATE``) instead of failing
with "database is locked" or losing updates.
"""
from __future__ import annotations

import threading
import time

import psycopg.errors
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from timebank.db import Database


@pytest.fixture
def pg_db(pg_url):
    database = Database(pg_url, pool_size=4)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(sqlite_url):
    database = Database(sqlite_url, pool_size=12)
    yield database
    database.dispose()


def make_counters(db: Database, *ids: int) -> None:
    def work(s):
        s.execute(text("CREATE TABLE test_counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        for counter_id in ids:
            s.execute(text("INSERT INTO test_counter (id, n) VALUES (:id, 0)"), {"id": counter_id})

    db.transaction(work)


def counter(db: Database, counter_id: int) -> int:
    return db.transaction(lambda s: s.scalar(text("SELECT n FROM test_counter WHERE id = :id"), {"id": counter_id}),
                          readonly=True)


def raise_sqlstate(s, sqlstate: str) -> None:
    """Make the server itself fail the statement with ``sqlstate`` (a real error, through psycopg and SQLAlchemy)."""
    s.execute(text(f"DO $$ BEGIN RAISE EXCEPTION 'provoked by the test' USING ERRCODE = '{sqlstate}'; END $$"))


def run_in_threads(*targets) -> list:
    errors = []

    def guarded(target):
        try:
            target()
        except BaseException as error:  # noqa: BLE001  (reported below, in the test's thread)
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a transaction never finished"
    return errors


# --- PostgreSQL: the retry set ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("sqlstate, error_class", [
    ("40001", psycopg.errors.SerializationFailure),
    ("40P01", psycopg.errors.DeadlockDetected),
    ("55P03", psycopg.errors.LockNotAvailable),
    ("23505", psycopg.errors.UniqueViolation),
])
def test_postgresql_errors_in_the_retry_set_rerun_the_unit_of_work(pg_db, sqlstate, error_class):
    with pytest.raises(DBAPIError) as raised:
        pg_db.transaction(lambda s: raise_sqlstate(s, sqlstate), attempts=1)
    assert isinstance(raised.value.orig, error_class)  # the error really is psycopg's, with this SQLSTATE
    assert raised.value.orig.sqlstate == sqlstate

    calls = []

    def work(s):
        calls.append(1)
        if len(calls) < 3:
            raise_sqlstate(s, sqlstate)
        return s.scalar(text("SELECT 'done'"))

    assert pg_db.transaction(work) == "done"
    assert len(calls) == 3


@pytest.mark.parametrize("sqlstate", [
    "22012",  # division_by_zero
    "23514",  # check_violation: a guard refused the write; running it again would be refused again
    "23503",  # foreign_key_violation
    "57014",  # query_canceled (a statement timeout): not a conflict
    "08006",  # connection_failure: it may have committed; never rerun blindly
])
def test_other_postgresql_errors_are_raised_at_once(pg_db, sqlstate):
    calls = []

    def work(s):
        calls.append(1)
        raise_sqlstate(s, sqlstate)

    with pytest.raises(DBAPIError) as raised:
        pg_db.transaction(work)
    assert raised.value.orig.sqlstate == sqlstate
    assert len(calls) == 1


def test_a_real_serialization_failure_between_two_writers_is_retried_and_loses_no_update(pg_db):
    """Two REPEATABLE READ transactions read a counter, then both write it: PostgreSQL fails the second writer with
    40001 ("could not serialize access due to concurrent update"); the runner reruns it on a fresh snapshot."""
    make_counters(pg_db, 1)
    both_have_read = threading.Barrier(2, timeout=20)
    calls = []

    def increment():
        attempt = 0

        def work(s):
            nonlocal attempt
            attempt += 1
            calls.append(attempt)
            s.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            n = s.scalar(text("SELECT n FROM test_counter WHERE id = 1"))
            if attempt == 1:
                both_have_read.wait()
            s.execute(text("UPDATE test_counter SET n = :n WHERE id = 1"), {"n": n + 1})

        pg_db.transaction(work)

    retries_before = pg_db.stats.retries
    assert run_in_threads(increment, increment) == []
    assert counter(pg_db, 1) == 2
    assert sorted(calls) == [1, 1, 2]  # exactly one writer ran twice
    assert pg_db.stats.retries - retries_before == 1


def test_a_real_deadlock_between_two_writers_is_retried_and_both_apply(pg_db):
    """Two transactions lock two rows in opposite orders: PostgreSQL breaks the deadlock by failing one with 40P01;
    the runner reruns it after the other commits."""
    make_counters(pg_db, 1, 2)
    both_hold_one_lock = threading.Barrier(2, timeout=20)
    calls = []

    def transfer(first: int, second: int):
        attempt = 0

        def work(s):
            nonlocal attempt
            attempt += 1
            calls.append(attempt)
            s.execute(text("UPDATE test_counter SET n = n + 1 WHERE id = :id"), {"id": first})
            if attempt == 1:
                both_hold_one_lock.wait()
            s.execute(text("UPDATE test_counter SET n = n + 1 WHERE id = :id"), {"id": second})

        pg_db.transaction(work)

    retries_before = pg_db.stats.retries
    assert run_in_threads(lambda: transfer(1, 2), lambda: transfer(2, 1)) == []
    assert (counter(pg_db, 1), counter(pg_db, 2)) == (2, 2)
    # At least one writer ran again; on a loaded machine a rerun can meet the other once more before it commits.
    assert sorted(calls)[:3] == [1, 1, 2]
    assert pg_db.stats.retries - retries_before == len(calls) - 2


# --- SQLite: writers start with BEGIN IMMEDIATE -----------------------------------------------------------------------

WRITERS = 8
INCREMENTS = 5


def test_overlapping_read_then_write_transactions_on_sqlite_wait_their_turn(sqlite_db):
    """Eight threads each increment a counter five times by reading it, pausing, and writing it back, with no retry
    allowed. ``BEGIN IMMEDIATE`` makes each writer wait for the write lock before it reads, so every transaction
    succeeds at its first attempt and no update is lost. (With a deferred ``BEGIN`` two of them read the same value
    and the second to write fails at once with "database is locked".)"""
    make_counters(sqlite_db, 1)
    start = threading.Barrier(WRITERS, timeout=20)

    def increment(s):
        n = s.scalar(text("SELECT n FROM test_counter WHERE id = 1"))
        time.sleep(0.002)  # the window in which another writer could read the same value
        s.execute(text("UPDATE test_counter SET n = :n WHERE id = 1"), {"n": n + 1})

    def writer():
        start.wait()
        for _ in range(INCREMENTS):
            sqlite_db.transaction(increment, attempts=1)

    began = time.monotonic()
    errors = run_in_threads(*[writer] * WRITERS)
    assert errors == []
    assert counter(sqlite_db, 1) == WRITERS * INCREMENTS
    assert sqlite_db.stats.retries == 0
    assert time.monotonic() - began < 10
