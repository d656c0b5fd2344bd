#!/usr/bin/env python
"""How fast is the ledger, and what does the application cost on top of the SQL it sends?

For each backend (SQLite, PostgreSQL), operation (mint; hold+post into the one city-wide sink; hold+post spread over
the redemption sinks of 16 centers, as a drive day's pickups are) and number of worker threads, it runs the operation
through ``timebank.ledger.standalone`` (*app*: the session-form postings of ``timebank.ledger.postings``, each
in a transaction of its own) and through the bare driver (*raw*: sqlite3 / psycopg, the same SQL text
in the same transactions) in alternating slices, and prints operations per second and the ratio app/raw as a Markdown
table. Before timing anything it runs each operation once on both paths, captures the app's statements with a
``before_cursor_execute`` hook and stops unless the raw path sent the very same ones; on PostgreSQL it also counts the
round trips of both on the wire (libpq trace), which shows what the app adds that no hook sees (the pool's pre-ping).

Then it times ``get_balance`` on an account with 1,000 transfers and on one with ``--big`` transfers (inserted in
bulk with their lots and lot movements, the stored totals raised to match), and last runs the ledger check over the
whole database, which shows the raw path kept the books exactly as the app does. Progress goes to stderr, the report
to stdout.

Usage: .venv/bin/python scripts/bench_ledger.py [--seconds 3] [--rounds 3] [--backends sqlite,postgresql]
       [--workers 1,8,32] [--big 1000000] [--reads 2000] [--quick]
PostgreSQL: a throwaway database on the server named by TIMEBANK_TEST_PG (default
postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end; SQLite: a file in a temporary directory.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import psycopg
import sqlalchemy
from sqlalchemy import event, text
from sqlmodel import SQLModel

import timebank.models  # noqa: F401  (every table, for create_all)
from timebank.clock import utcnow
from timebank.db import SQLITE_BUSY_TIMEOUT_MS, Database
from timebank.ledger import accounts as ledger_accounts
from timebank.ledger import standalone
from timebank.ledger.check import check_ledger
from timebank.ledger.postings import Cause

PG_ADMIN_URL = os.environ.get("TIMEBANK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CAUSE = Cause("job:bench", "bench", "1")
HOLD_TIMEOUT = timedelta(minutes=15)
FUNDS = 10**11  # one lot per hold+post volunteer, never exhausted
WARMUP_OPS = 8  # > psycopg's prepare_threshold (5): both paths time prepared statements
MAX_PG_CONNECTIONS = 40
CENTERS = 16  # redemption sinks for "hold+post per center"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------ the raw SQL text
# Written out as postings.py has SQLAlchemy render it. ``{name:TYPE}`` is a bound parameter (``?`` on SQLite,
# ``%(name)s::TYPE`` on PostgreSQL); ``[[sqlite|postgresql]]`` is text that differs between the two.

_PARAM = re.compile(r"\{(\w+):([A-Z ]+)\}")
_ALT = re.compile(r"\[\[(.*?)\|(.*?)\]\]")


@dataclass(frozen=True)
class Sql:
    text: str
    names: tuple[str, ...]  # positional order, for SQLite

    @classmethod
    def render(cls, template: str, dialect: str) -> "Sql":
        pick = 1 if dialect == "sqlite" else 2
        template = _ALT.sub(lambda m: m.group(pick), template)
        names = tuple(m.group(1) for m in _PARAM.finditer(template))
        if dialect == "sqlite":
            return cls(_PARAM.sub("?", template), names)
        return cls(_PARAM.sub(lambda m: f"%({m.group(1)})s::{m.group(2)}", template), names)


_TRANSFER_COLUMNS = ("id, kind, debit_account_id, credit_account_id, amount, pending_id, reverses_id, timeout_at, "
                     "idempotency_key, fingerprint, actor, reason_type, reason_id, created_at").split(", ")
_TS = "TIMESTAMP WITH TIME ZONE"

TEMPLATES = {
    "find_transfer": "SELECT transfer.id, transfer.fingerprint \nFROM transfer \n"
                     "WHERE transfer.idempotency_key = {idempotency_key_1:VARCHAR}",
    "find_refusal": "SELECT ledger_refusal.idempotency_key, ledger_refusal.fingerprint, ledger_refusal.code, "
                    "ledger_refusal.message, ledger_refusal.created_at \nFROM ledger_refusal \n"
                    "WHERE ledger_refusal.idempotency_key = {idempotency_key_1:VARCHAR}",
    "insert_transfer": "INSERT INTO transfer (" + ", ".join(_TRANSFER_COLUMNS[1:]) + ") VALUES ("
                       "{kind:VARCHAR}, {debit_account_id:BIGINT}, {credit_account_id:BIGINT}, {amount:BIGINT}, "
                       "{pending_id:BIGINT}, {reverses_id:BIGINT}, {timeout_at:" + _TS + "}, "
                       "{idempotency_key:VARCHAR}, {fingerprint:VARCHAR}, {actor:VARCHAR}, {reason_type:VARCHAR}, "
                       "{reason_id:VARCHAR}, {created_at:" + _TS + "}) RETURNING [[id|transfer.id]]",
    "insert_lot": "INSERT INTO lot (account_id, mint_transfer_id, amount, remaining, expires_at) VALUES "
                  "({account_id:BIGINT}, {mint_transfer_id:BIGINT}, {amount:BIGINT}, {remaining:BIGINT}, "
                  "{expires_at:" + _TS + "}) RETURNING [[id|lot.id]]",
    "insert_movement": "INSERT INTO lot_movement (transfer_id, lot_id, delta) VALUES "
                       "({transfer_id:BIGINT}, {lot_id:BIGINT}, {delta:BIGINT})[[| RETURNING lot_movement.id]]",
    "select_transfer": "SELECT " + ", ".join(f"transfer.{c}" for c in _TRANSFER_COLUMNS) +
                       " \nFROM transfer \nWHERE transfer.id = {id_1:BIGINT}",
    # postings._lock_transfer: SQLite's BEGIN IMMEDIATE already serializes writers, so no FOR … there.
    "lock_transfer": "SELECT " + ", ".join(f"transfer.{c}" for c in _TRANSFER_COLUMNS) +
                     " \nFROM transfer \nWHERE transfer.id = {id_1:BIGINT}[[| FOR NO KEY UPDATE]]",
    "select_resolution": "SELECT transfer.kind, transfer.created_at \nFROM transfer \n"
                         "WHERE transfer.pending_id = {pending_id_1:BIGINT}",
    "live_lots": "SELECT lot.id, lot.remaining, lot.expires_at \nFROM lot \nWHERE lot.account_id = "
                 "{account_id_1:BIGINT} AND lot.expired_at IS NULL AND lot.remaining > {remaining_1:BIGINT} "
                 "ORDER BY lot.expires_at, lot.id",
    "take_from_lot": "UPDATE lot SET remaining=(lot.remaining - {remaining_1:BIGINT}) WHERE lot.id = {id_1:BIGINT} "
                     "AND lot.remaining >= {remaining_2:BIGINT} AND lot.expired_at IS NULL",
    "balance": "SELECT account.credits_posted, account.debits_posted, account.credits_pending, "
               "account.debits_pending \nFROM account \nWHERE account.id = {id_1:BIGINT}",
}


def account_update_template(columns: tuple[str, ...], with_kind: bool) -> str:
    """postings._apply's guarded UPDATE for a change to ``columns`` (SQLAlchemy numbers binds per column name)."""
    seen: dict[str, int] = {}

    def bind(name: str) -> str:
        seen[name] = seen.get(name, 0) + 1
        return f"{{{name}_{seen[name]}:BIGINT}}"

    sets = ", ".join(f"{c}=(account.{c} + {bind(c)})" for c in columns)
    sql = (f"UPDATE account SET {sets} WHERE account.id = {{id_1:BIGINT}} AND (account.no_overdraft IS [[0|false]] "
           f"OR account.credits_posted + {bind('credits_posted')} >= account.debits_posted + {bind('debits_posted')}"
           f" + account.debits_pending + {{param_1:BIGINT}})")
    return sql + (" AND account.kind = {kind_1:VARCHAR}" if with_kind else "")


UPDATES = {  # (columns changed, kind required) for each account change the benchmarked operations make
    "debit_issuer": (("debits_posted",), True),
    "credit_volunteer": (("credits_posted",), True),
    "hold_debit": (("debits_pending",), True),
    "hold_credit": (("credits_pending",), False),
    "post_debit": (("debits_pending", "debits_posted"), False),
    "post_credit": (("credits_pending", "credits_posted"), False),
}


def guard_params(stmt: str, deltas: dict[str, int], account_id: int, kind: str | None) -> dict:
    """The binds of an account UPDATE: each SET delta, then the guard's credits/debits posted and pending deltas."""
    columns, _ = UPDATES[stmt]
    params: dict = {"id_1": account_id, "param_1": deltas.get("debits_pending", 0)}
    seen: dict[str, int] = {}
    for name in (*columns, "credits_posted", "debits_posted"):
        seen[name] = seen.get(name, 0) + 1
        params[f"{name}_{seen[name]}"] = deltas.get(name, 0)
    if kind:
        params["kind_1"] = kind
    return params


# -------------------------------------------------------------------------------------------------- the raw path

class Refused(Exception):
    pass


class RawConnection:
    """One driver connection held by one worker, and the unit-of-work loop around it (commit, retry)."""

    def __init__(self, dialect: str, target: str, *, readonly_isolation: str | None = None,
                 record: list | None = None):
        self.dialect = dialect
        # Reads run at the isolation level timebank.db gives read-only units of work (psycopg: a Python attribute
        # that changes the BEGIN it sends, no round trip of its own, as in SQLAlchemy's psycopg dialect).
        self.readonly_isolation = psycopg.IsolationLevel[readonly_isolation.replace(" ", "_")] \
            if readonly_isolation and dialect != "sqlite" else None
        self.sql = {name: Sql.render(t, dialect) for name, t in TEMPLATES.items()}
        self.sql.update({name: Sql.render(account_update_template(*spec), dialect) for name, spec in UPDATES.items()})
        self.record = record
        self.retries = 0
        if dialect == "sqlite":
            self.conn = sqlite3.connect(target, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                        check_same_thread=False)
            for pragma in (f"busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}", "journal_mode = WAL", "synchronous = FULL",
                           "foreign_keys = ON"):
                self.conn.execute(f"PRAGMA {pragma}")
        else:
            self.conn = psycopg.connect(target)
        self.cursor = self.conn.cursor()

    def ts(self, value: datetime):
        # What timebank.db.UTCDateTime binds: naive UTC text on SQLite, an aware datetime on PostgreSQL.
        return f"{value.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S.%f}" if self.dialect == "sqlite" else value

    def run(self, name: str, params: dict):
        sql = self.sql[name]
        args = tuple(params[n] for n in sql.names) if self.dialect == "sqlite" else params
        if self.record is not None:
            self.record.append(sql.text)
        self.cursor.execute(sql.text, args)
        return self.cursor

    def transaction(self, work, *, readonly: bool = False):
        if readonly and self.readonly_isolation:
            self.conn.isolation_level = self.readonly_isolation
            try:
                return self._transaction(work, readonly=True)
            finally:
                self.conn.isolation_level = None
        return self._transaction(work, readonly=readonly)

    def _transaction(self, work, *, readonly: bool):
        for attempt in range(1, 13):
            try:
                if self.dialect == "sqlite":  # PostgreSQL: psycopg opens the transaction with the first statement
                    begin = "BEGIN" if readonly else "BEGIN IMMEDIATE"
                    if self.record is not None:
                        self.record.append(begin)
                    self.cursor.execute(begin)
                result = work()
                self.conn.commit()
                return result
            except (sqlite3.OperationalError, psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected):
                self.conn.rollback()
                if attempt == 12:
                    raise
                self.retries += 1
                time.sleep(0.002 * attempt)
            except BaseException:
                self.conn.rollback()
                raise

    def close(self) -> None:
        self.conn.close()

    # The three operations, statement for statement as postings.py issues them on the paths the benchmark takes.
    # A replayed key or a refusal would end the benchmark (they never happen here), so those branches just raise.

    def _not_seen(self, key: str) -> None:
        if self.run("find_transfer", {"idempotency_key_1": key}).fetchone() is not None:
            raise Refused(f"key {key} already used")
        if self.run("find_refusal", {"idempotency_key_1": key}).fetchone() is not None:
            raise Refused(f"key {key} already refused")

    def _apply(self, changes: list[tuple[int, str, dict, str | None]]) -> None:
        for account_id, stmt, deltas, kind in sorted(changes, key=lambda change: change[0]):
            params = guard_params(stmt, deltas, account_id, kind)
            if self.run(stmt, params).rowcount != 1:
                raise Refused(f"account {account_id} refused {stmt}")

    def _insert_transfer(self, kind, debit, credit, amount, key, fp, at, *, pending_id=None, timeout_at=None) -> int:
        return self.run("insert_transfer", {
            "kind": kind, "debit_account_id": debit, "credit_account_id": credit, "amount": amount,
            "pending_id": pending_id, "reverses_id": None, "timeout_at": timeout_at, "idempotency_key": key,
            "fingerprint": fp, "actor": CAUSE.actor, "reason_type": CAUSE.reason_type, "reason_id": CAUSE.reason_id,
            "created_at": self.ts(at)}).fetchone()[0]

    def mint(self, *, account_id: int, issuer_account_id: int, amount: int, expires_at: datetime, key: str):
        fp = _digest("mint", account_id, issuer_account_id, amount, expires_at.isoformat())

        def work():
            at = datetime.now(timezone.utc)
            self._not_seen(key)
            self._apply([(issuer_account_id, "debit_issuer", {"debits_posted": amount}, "issuance"),
                         (account_id, "credit_volunteer", {"credits_posted": amount}, "volunteer")])
            transfer_id = self._insert_transfer("mint", issuer_account_id, account_id, amount, key, fp, at)
            lot_id = self.run("insert_lot", {"account_id": account_id, "mint_transfer_id": transfer_id,
                                             "amount": amount, "remaining": amount,
                                             "expires_at": self.ts(expires_at)}).fetchone()[0]
            self.run("insert_movement", {"transfer_id": transfer_id, "lot_id": lot_id, "delta": amount})
            return self.run("select_transfer", {"id_1": transfer_id}).fetchone()

        return self.transaction(work)

    def place_hold(self, *, account_id: int, to_account_id: int, amount: int, timeout: timedelta, key: str):
        fp = _digest("hold", account_id, to_account_id, amount, int(timeout.total_seconds() * 1000))

        def work():
            at = datetime.now(timezone.utc)
            self._not_seen(key)
            self._apply([(account_id, "hold_debit", {"debits_pending": amount}, "volunteer"),
                         (to_account_id, "hold_credit", {"credits_pending": amount}, None)])
            transfer_id = self._insert_transfer("pending", account_id, to_account_id, amount, key, fp, at,
                                                timeout_at=self.ts(at + timeout))
            left, taken = amount, []
            for lot_id, remaining, _ in self.run("live_lots", {"account_id_1": account_id, "remaining_1": 0}):
                take = min(remaining, left)
                taken.append((lot_id, take))
                left -= take
                if not left:
                    break
            if left:
                raise Refused(f"account {account_id}: lots short by {left}")
            for lot_id, take in taken:
                done = self.run("take_from_lot", {"remaining_1": take, "id_1": lot_id, "remaining_2": take}).rowcount
                if done != 1:
                    raise Refused(f"lot {lot_id} changed under its account lock")
            for lot_id, take in taken:
                self.run("insert_movement", {"transfer_id": transfer_id, "lot_id": lot_id, "delta": -take})
            return self.run("select_transfer", {"id_1": transfer_id}).fetchone()

        return self.transaction(work)

    def post_hold(self, *, hold_id: int, key: str):
        fp = _digest("post", hold_id)

        def work():
            at = datetime.now(timezone.utc)
            self._not_seen(key)
            hold = self.run("lock_transfer", {"id_1": hold_id}).fetchone()
            if hold is None or hold[1] != "pending":
                raise Refused(f"no hold {hold_id}")
            if self.run("select_resolution", {"pending_id_1": hold_id}).fetchone() is not None:
                raise Refused(f"hold {hold_id} already resolved")
            _, _, debit, credit, amount, _, _, timeout_at, *_ = hold
            if self.ts(at) >= timeout_at:
                raise Refused(f"hold {hold_id} timed out")
            self._apply([(debit, "post_debit", {"debits_pending": -amount, "debits_posted": amount}, None),
                         (credit, "post_credit", {"credits_pending": -amount, "credits_posted": amount}, None)])
            transfer_id = self._insert_transfer("post", debit, credit, amount, key, fp, at, pending_id=hold_id)
            return self.run("select_transfer", {"id_1": transfer_id}).fetchone()

        return self.transaction(work)

    def get_balance(self, account_id: int):
        return self.transaction(lambda: self.run("balance", {"id_1": account_id}).fetchone(), readonly=True)


def _digest(*parts) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


# ------------------------------------------------------------------------------------------------ one benchmark DB

class Bench:
    """One throwaway database on one backend, with the shared accounts every worker uses."""

    def __init__(self, backend: str, run_id: str):
        self.backend = backend
        self.run_id = run_id
        self.tmpdir: str | None = None
        self.pg_name: str | None = None
        if backend == "sqlite":
            self.tmpdir = tempfile.mkdtemp(prefix="timebank_bench_")
            path = os.path.join(self.tmpdir, "bench.db")
            self.url, self.raw_target = f"sqlite:///{path}", path
        else:
            self.pg_name = f"timebank_bench_{run_id}"
            with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
                admin.execute(f'CREATE DATABASE "{self.pg_name}"')
            base = PG_ADMIN_URL.rsplit("/", 1)[0]
            self.raw_target = f"{base}/{self.pg_name}"
            self.url = self.raw_target.replace("postgresql://", "postgresql+psycopg://", 1)
        self.setup_db = Database(self.url, pool_size=2)
        SQLModel.metadata.create_all(self.setup_db.engine)
        standalone.ensure_system_accounts(self.setup_db)
        self.issuer = standalone.open_account(self.setup_db, code="issuance:bench-center", kind="issuance")
        self.sink = standalone.open_account(self.setup_db, code=ledger_accounts.REDEMPTION_SINK, kind="redemption")
        # A city's centers, each with its own redemption sink (what create_center opens): "hold+post per center"
        # spreads the workers over them as a drive day spreads pickups, where "hold+post" sends all to one sink.
        self.center_sinks = [standalone.open_account(self.setup_db, code=f"redemption:bench-{n}", kind="redemption",
                                                     center_id=n + 1) for n in range(CENTERS)]
        self.serial = 0

    def app_db(self, workers: int) -> Database:
        return Database(self.url, pool_size=max(1, workers))

    def raw(self, record: list | None = None) -> RawConnection:
        isolation = self.setup_db.readonly_engine.get_execution_options().get("isolation_level")
        return RawConnection(self.backend, self.raw_target, readonly_isolation=isolation, record=record)

    def key(self) -> str:
        self.serial += 1
        return f"bench:{self.run_id}:{self.serial}:{uuid.uuid4().hex[:8]}"

    def volunteer(self, *, funded: bool) -> int:
        account = standalone.open_account(self.setup_db, code=f"volunteer:{self.key()[-30:]}", kind="volunteer")
        if funded:
            standalone.mint(self.setup_db, account_id=account, issuer_account_id=self.issuer, amount=FUNDS,
                          expires_at=utcnow() + timedelta(days=730), key=self.key(), cause=CAUSE)
        return account

    def close(self) -> None:
        self.setup_db.dispose()
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        if self.pg_name:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


# Each operation, on each path: ``op(handle, account, key)`` where handle is a Database or a RawConnection.
def app_mint(bench: Bench):
    return lambda db, account, key: standalone.mint(
        db, account_id=account, issuer_account_id=bench.issuer, amount=100, expires_at=utcnow() + timedelta(days=365),
        key=key, cause=CAUSE)


def app_hold_post(bench: Bench):
    def op(db, account, key):
        hold = standalone.place_hold(db, account_id=account, to_account_id=bench.sink, amount=100, timeout=HOLD_TIMEOUT,
                                   key=key + "h", cause=CAUSE)
        return standalone.post_hold(db, hold_id=hold.id, key=key + "p", cause=CAUSE)
    return op


def center_sink(bench: Bench, account: int) -> int:
    """The pickup center of a worker's volunteer: the workers spread evenly over the centers' sinks."""
    return bench.center_sinks[account % len(bench.center_sinks)]


def app_hold_post_per_center(bench: Bench):
    def op(db, account, key):
        hold = standalone.place_hold(db, account_id=account, to_account_id=center_sink(bench, account), amount=100,
                                     timeout=HOLD_TIMEOUT, key=key + "h", cause=CAUSE)
        return standalone.post_hold(db, hold_id=hold.id, key=key + "p", cause=CAUSE)
    return op


def raw_mint(bench: Bench):
    return lambda raw, account, key: raw.mint(
        account_id=account, issuer_account_id=bench.issuer, amount=100,
        expires_at=datetime.now(timezone.utc) + timedelta(days=365), key=key)


def raw_hold_post(bench: Bench):
    def op(raw, account, key):
        hold = raw.place_hold(account_id=account, to_account_id=bench.sink, amount=100, timeout=HOLD_TIMEOUT,
                              key=key + "h")
        return raw.post_hold(hold_id=hold[0], key=key + "p")
    return op


def raw_hold_post_per_center(bench: Bench):
    def op(raw, account, key):
        hold = raw.place_hold(account_id=account, to_account_id=center_sink(bench, account), amount=100,
                              timeout=HOLD_TIMEOUT, key=key + "h")
        return raw.post_hold(hold_id=hold[0], key=key + "p")
    return op


OPERATIONS = {"mint": (app_mint, raw_mint, False), "hold+post": (app_hold_post, raw_hold_post, True),
              "hold+post per center": (app_hold_post_per_center, raw_hold_post_per_center, True)}


def _normalized(sql: str) -> str:
    """The statement as the server sees it: layout and bound-parameter names do not matter (psycopg sends $n)."""
    return re.sub(r"%\(\w+\)s", "%s", " ".join(sql.split()))


@dataclass
class Cost:
    """What one operation costs on each path, counted once before timing."""

    statements: int
    app_connects: int = 0  # connections the app opened for it (a NullPool opens one per unit of work)
    app_pings: int = 0  # pool pre-pings: a round trip each, invisible to before_cursor_execute
    app_round_trips: int | None = None  # PostgreSQL only, counted on the wire with libpq's trace
    raw_round_trips: int | None = None


class WireCounter:
    """Counts the messages that end a round trip (Sync, simple Query) in libpq's trace of some connections."""

    def __init__(self):
        self.file = tempfile.TemporaryFile("w+")

    def attach(self, dbapi_connection) -> None:
        pgconn = dbapi_connection.pgconn
        pgconn.trace(self.file.fileno())
        pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE)

    def count(self, action) -> int:
        self.file.flush()
        start = os.fstat(self.file.fileno()).st_size
        action()
        self.file.flush()
        self.file.seek(start)
        return sum(1 for line in self.file.read().splitlines() if re.match(r"F\s+\d+\s+(Sync|Query)\b", line))


def verify_same_statements(bench: Bench) -> dict[str, Cost]:
    """Run each operation once on both paths: the raw path must send exactly the statements the app sends."""
    db = bench.app_db(1)
    app_log: list[str] = []
    raw_log: list[str] = []
    tally = {"pings": 0, "connects": 0}
    # libpq ≥ 14 traces the wire protocol; with an older one, round trips go uncounted.
    wire = WireCounter() if bench.backend == "postgresql" and psycopg.pq.version() >= 140000 else None
    event.listen(db.engine, "before_cursor_execute", lambda conn, cursor, stmt, *a: app_log.append(stmt))

    def on_connect(dbapi_connection, _record):
        tally["connects"] += 1
        if wire:
            wire.attach(dbapi_connection)

    event.listen(db.engine, "connect", on_connect)
    ping = db.engine.dialect.do_ping

    def counting_ping(dbapi_connection):
        tally["pings"] += 1
        return ping(dbapi_connection)

    db.engine.dialect.do_ping = counting_ping
    raw = bench.raw(record=raw_log)
    if wire:
        wire.attach(raw.conn)
    cases = {name: (make_app(bench), make_raw(bench), funded) for name, (make_app, make_raw, funded)
             in OPERATIONS.items()}
    cases["get_balance"] = (lambda db, account, key: standalone.get_balance(db, account),
                            lambda raw, account, key: raw.get_balance(account), False)
    costs: dict[str, Cost] = {}
    try:
        for name, (app_op, raw_op, funded) in cases.items():
            app_account, raw_account = bench.volunteer(funded=funded), bench.volunteer(funded=funded)
            for n in range(WARMUP_OPS):  # steady state: pooled connection, caches, prepared statements
                app_op(db, app_account, bench.key())
                raw_op(raw, raw_account, bench.key())
            app_log.clear(), raw_log.clear()
            tally.update(pings=0, connects=0)
            measure = wire.count if wire else (lambda action: action())
            app_trips = measure(lambda: app_op(db, app_account, bench.key()))
            raw_trips = measure(lambda: raw_op(raw, raw_account, bench.key()))
            app_sql, raw_sql = [_normalized(s) for s in app_log], [_normalized(s) for s in raw_log]
            assert len(app_sql) == len(raw_sql), (
                f"{bench.backend} {name}: the app issued {len(app_sql)} statements, the raw path {len(raw_sql)}:\n"
                + "\n".join(f"  app: {a}" for a in app_sql) + "\n" + "\n".join(f"  raw: {r}" for r in raw_sql))
            for i, (a, r) in enumerate(zip(app_sql, raw_sql)):
                assert a == r, f"{bench.backend} {name}: statement {i + 1} differs\n  app: {a}\n  raw: {r}"
            costs[name] = Cost(len(app_sql), tally["connects"], tally["pings"],
                               app_trips if wire else None, raw_trips if wire else None)
    finally:
        raw.close()
        db.dispose()
    return costs


# ----------------------------------------------------------------------------------------------------- timing

@dataclass
class Cell:
    ops: int = 0
    seconds: float = 0.0
    retries: int = 0

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    def add(self, other: "Cell") -> None:
        self.ops += other.ops
        self.seconds += other.seconds
        self.retries += other.retries


def run_slice(bench: Bench, operation: str, path: str, workers: int, seconds: float) -> Cell:
    """``workers`` threads, each on its own fresh volunteer, all on the shared issuer and sink, for ``seconds``."""
    make_app, make_raw, funded = OPERATIONS[operation]
    accounts = [bench.volunteer(funded=funded) for _ in range(workers)]
    if path == "app":
        db = bench.app_db(workers)
        handles, op = [db] * workers, make_app(bench)
    else:
        db = None
        handles, op = [bench.raw() for _ in range(workers)], make_raw(bench)
    clock: dict[str, float] = {}
    barrier = threading.Barrier(workers, action=lambda: clock.update(start=time.perf_counter(),
                                                                     deadline=time.perf_counter() + seconds))
    done, finished, errors = [0] * workers, [0.0] * workers, []

    def worker(i: int) -> None:
        try:
            prefix = f"{bench.key()}:{path}:{i}:"
            for n in range(WARMUP_OPS):  # fills the pool, SQLAlchemy's compiled cache, psycopg's prepared statements
                op(handles[i], accounts[i], f"{prefix}w{n}")
            barrier.wait()
            n, deadline = 0, clock["deadline"]
            while time.perf_counter() < deadline:
                op(handles[i], accounts[i], f"{prefix}{n}")
                n += 1
            done[i], finished[i] = n, time.perf_counter()
        except BaseException as error:  # noqa: BLE001 — reported by the main thread
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if db is not None:
        retries = db.stats.retries
        db.dispose()
    else:
        retries = sum(h.retries for h in handles)
        for h in handles:
            h.close()
    if errors:
        raise errors[0]
    return Cell(ops=sum(done), seconds=max(finished) - clock["start"], retries=retries)


def run_cell(bench: Bench, operation: str, workers: int, seconds: float, rounds: int) -> tuple[Cell, Cell]:
    """App and raw in alternating slices (app, raw, raw, app, …): a machine busy with other work slows both alike."""
    cells = {"app": Cell(), "raw": Cell()}
    for r in range(rounds):
        for path in (("app", "raw") if r % 2 == 0 else ("raw", "app")):
            cells[path].add(run_slice(bench, operation, path, workers, seconds / rounds))
    return cells["app"], cells["raw"]


def build_books(bench: Bench, transfers: int) -> int:
    """A volunteer with ``transfers`` mints on its books, inserted in bulk with one lot and one lot movement each,
    and its stored totals (and the issuer's) raised to match, so ``ledger check`` still holds."""
    account = bench.volunteer(funded=False)
    issuer = standalone.open_account(bench.setup_db, code="issuance:bench-books", kind="issuance")
    now = utcnow()
    sqlite = bench.backend == "sqlite"
    at = f"{now:%Y-%m-%d %H:%M:%S.%f}" if sqlite else now
    expires = f"{now + timedelta(days=730):%Y-%m-%d %H:%M:%S.%f}" if sqlite else now + timedelta(days=730)
    numbers = "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :count) " if sqlite else ""
    source = "g" if sqlite else "generate_series(1, :count) AS g(n)"
    params = {"count": transfers, "issuer": issuer, "account": account, "prefix": f"{bench.key()}:book:",
              "fp": _digest("bench-books"), "at": at, "expires": expires, "total": 100 * transfers}
    with bench.setup_db.engine.begin() as conn:
        conn.execute(text(
            f"{numbers}INSERT INTO transfer (kind, debit_account_id, credit_account_id, amount, idempotency_key, "
            "fingerprint, actor, reason_type, reason_id, created_at) "
            "SELECT 'mint', :issuer, :account, 100, :prefix || n, :fp, 'job:bench-books', 'bench', "
            f"CAST(n AS VARCHAR), :at FROM {source}"), params)
        conn.execute(text("INSERT INTO lot (account_id, mint_transfer_id, amount, remaining, expires_at) "
                          "SELECT :account, id, amount, amount, :expires FROM transfer "
                          "WHERE credit_account_id = :account AND kind = 'mint'"), params)
        conn.execute(text("INSERT INTO lot_movement (transfer_id, lot_id, delta) "
                          "SELECT mint_transfer_id, id, amount FROM lot WHERE account_id = :account"), params)
        conn.execute(text("UPDATE account SET credits_posted = credits_posted + :total WHERE id = :account"), params)
        conn.execute(text("UPDATE account SET debits_posted = debits_posted + :total WHERE id = :issuer"), params)
    with bench.setup_db.engine.connect() as conn:  # what autovacuum would soon do; the ledger check's plans need it
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return account


def time_balance_reads(bench: Bench, accounts: dict[str, int], reads: int) -> dict[tuple[str, str], list[float]]:
    """Interleave app and raw reads of every account, so drift in the machine hits all of them alike."""
    db, raw = bench.app_db(1), bench.raw()
    samples: dict[tuple[str, str], list[float]] = {(label, path): [] for label in accounts for path in ("app", "raw")}
    readers = {"app": lambda account: standalone.get_balance(db, account), "raw": raw.get_balance}
    try:
        for n in range(reads + 50):
            for label, account in accounts.items():
                for path, read in readers.items():
                    t0 = time.perf_counter()
                    read(account)
                    if n >= 50:  # the first reads warm caches and connections
                        samples[(label, path)].append(time.perf_counter() - t0)
    finally:
        raw.close()
        db.dispose()
    return samples


# ------------------------------------------------------------------------------------------------------ report

BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def print_report(args, env: dict, costs: dict, cells: dict, reads: dict, checks: dict) -> None:
    print(f"## Ledger benchmark ({datetime.now(timezone.utc):%Y-%m-%d})\n")
    print(f"{env['cpus']} CPUs, load average {env['load_start']:.1f} at the start and {env['load_end']:.1f} at the "
          f"end; Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, psycopg "
          f"{psycopg.__version__}, SQLite {sqlite3.sqlite_version}"
          + (f", PostgreSQL {env['pg']} on the same machine" if env.get("pg") else "")
          + f". {args.seconds:g} s per path and cell, in {args.rounds} alternating slice(s). Worker threads each "
          "use their own volunteer; all share one center's issuance account (mint) and the city-wide redemption "
          f"sink (hold+post), or spread over {CENTERS} centers' own redemption sinks (hold+post per center). *app* = `timebank.ledger.standalone` (the session-form postings, each in a transaction of its own); *raw* = the same SQL statements in the same "
          "transactions through the bare driver (sqlite3 / psycopg), one connection per worker. A hold+post is two "
          "transactions.\n")
    print("| backend | operation | workers | app ops/s | raw ops/s | app/raw |")
    print("|---|---|---:|---:|---:|---:|")
    for (backend, operation, workers), (app, raw) in cells.items():
        ratio = app.rate / raw.rate if raw.rate else 0.0
        shown = f"{ratio:.0%}" if ratio >= 0.30 else f"**{ratio:.0%}**"
        print(f"| {BACKEND_NAMES[backend]} | {operation} | {workers} | {app.rate:,.0f} | {raw.rate:,.0f} | {shown} |")
    print("\nBold: below the 30% target.\n")
    for backend, per_op in costs.items():
        listed = lambda field: ", ".join(f"{name} {getattr(cost, field)}" for name, cost in per_op.items())  # noqa
        if backend == "sqlite":
            print(f"- SQLite, statements per operation, the same on both paths (BEGIN IMMEDIATE / BEGIN included): "
                  f"{listed('statements')}. Connections the app opens per operation: {listed('app_connects')} "
                  "(raw: none).")
        else:
            print(f"- PostgreSQL, statements per operation, the same on both paths (BEGIN/COMMIT not included): "
                  f"{listed('statements')}. Round trips on the wire (libpq trace), app: {listed('app_round_trips')};"
                  f" raw: {listed('raw_round_trips')}; the app's pool pre-pings: {listed('app_pings')}.")
    for (backend, operation, workers), (app, raw) in cells.items():
        if app.retries or raw.retries:
            print(f"- Retried transactions, {BACKEND_NAMES[backend]} {operation} ×{workers}: app {app.retries}, "
                  f"raw {raw.retries}.")

    print(f"\n### Balance read (`get_balance`), {args.reads:,} reads per account, interleaved\n")
    print("| backend | transfers on the account | app median | app p99 | raw median | raw p99 |")
    print("|---|---:|---:|---:|---:|---:|")
    for backend, samples in reads.items():
        for label in dict.fromkeys(label for label, _ in samples):
            app, raw = samples[(label, "app")], samples[(label, "raw")]
            print(f"| {BACKEND_NAMES[backend]} | {label} | {statistics.median(app) * 1e6:,.0f} µs | "
                  f"{p99(app) * 1e6:,.0f} µs | {statistics.median(raw) * 1e6:,.0f} µs | {p99(raw) * 1e6:,.0f} µs |")
    print()
    for backend, (violations, seconds) in checks.items():
        verdict = "clean" if not violations else f"{len(violations)} VIOLATIONS"
        print(f"`timebank ledger check` on the {BACKEND_NAMES[backend]} benchmark database afterwards: {verdict} "
              f"({seconds:.1f} s).")
        for violation in violations[:10]:
            print(f"  - {violation}")


# ---------------------------------------------------------------------------------------------------------- main

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, help="seconds per path and cell (default 3; --quick: 0.5)")
    parser.add_argument("--rounds", type=int, help="alternating app/raw slices per cell (default 3; --quick: 1)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--workers", default="1,8,32", help="comma-separated thread counts (default 1,8,32)")
    parser.add_argument("--big", type=int, help="transfers on the big account (default 1000000; --quick: 20000)")
    parser.add_argument("--reads", type=int, help="balance reads per account (default 2000; --quick: 200)")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run with small settings")
    args = parser.parse_args(argv)
    quick = args.quick
    args.seconds = args.seconds if args.seconds is not None else (0.5 if quick else 3.0)
    args.rounds = args.rounds if args.rounds is not None else (1 if quick else 3)
    args.big = args.big if args.big is not None else (20_000 if quick else 1_000_000)
    args.reads = args.reads if args.reads is not None else (200 if quick else 2000)
    try:
        args.workers = [int(w) for w in args.workers.split(",")]
    except ValueError:
        parser.error("--workers takes whole numbers separated by commas, e.g. 1,8,32")
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for backend in args.backends:
        if backend not in BACKEND_NAMES:
            parser.error(f"unknown backend {backend!r}; choose from sqlite, postgresql")
    if "postgresql" in args.backends and max(args.workers) + 3 > MAX_PG_CONNECTIONS:
        parser.error(f"at most {MAX_PG_CONNECTIONS - 3} workers on PostgreSQL (its connections are shared)")
    if min(args.workers) < 1 or args.big < 1000 or args.seconds <= 0 or args.reads < 1 or args.rounds < 1:
        parser.error("--workers, --seconds, --rounds and --reads must be positive, --big at least 1000")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    run_id = uuid.uuid4().hex[:10]
    env: dict = {"cpus": os.cpu_count(), "load_start": os.getloadavg()[0]}
    costs, cells, reads, checks = {}, {}, {}, {}
    for backend in args.backends:
        log(f"[{backend}] creating the benchmark database")
        bench = Bench(backend, run_id)
        try:
            if backend == "postgresql":
                with bench.setup_db.engine.connect() as conn:
                    env["pg"] = conn.exec_driver_sql("SHOW server_version").scalar().split()[0]
            costs[backend] = verify_same_statements(bench)
            log(f"[{backend}] app and raw issue the same statements: {costs[backend]}")
            for operation in OPERATIONS:
                for workers in args.workers:
                    app, raw = run_cell(bench, operation, workers, args.seconds, args.rounds)
                    cells[(backend, operation, workers)] = (app, raw)
                    log(f"[{backend}] {operation} ×{workers}: app {app.rate:,.0f}/s, raw {raw.rate:,.0f}/s "
                        f"(load {os.getloadavg()[0]:.1f})")
            log(f"[{backend}] building books of 1,000 and {args.big:,} transfers")
            t0 = time.perf_counter()
            accounts = {"1,000": build_books(bench, 1000), f"{args.big:,}": build_books(bench, args.big)}
            log(f"[{backend}] books built in {time.perf_counter() - t0:.1f} s; timing balance reads")
            reads[backend] = time_balance_reads(bench, accounts, args.reads)
            log(f"[{backend}] running the ledger check")
            t0 = time.perf_counter()
            violations = check_ledger(bench.setup_db)
            checks[backend] = (violations, time.perf_counter() - t0)
        finally:
            bench.close()
            log(f"[{backend}] benchmark database removed")
    env["load_end"] = os.getloadavg()[0]
    print_report(args, env, costs, cells, reads, checks)
    return 1 if any(violations for violations, _ in checks.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
