"""The database: one engine per process, transactions that retry, and the SQLite settings that make it safe.

Concurrency control belongs to the database (SPEC §4.9). On SQLite every write transaction starts with
``BEGIN IMMEDIATE`` (one writer at a time, waiting up to the busy timeout instead of failing with "database is
locked" at the first conflict) in WAL mode. On PostgreSQL the ledger uses guarded ``UPDATE``s and row locks in a fixed
order; a serialization failure, deadlock or lost idempotency race rolls the whole unit of work back and runs it again.

Units of work compose: ``Database.transaction(work)`` called while a unit of work of the same ``Database`` is open in
the current context (thread, or task) JOINS it instead of opening a second one. The joined ``work`` runs on the open
session; it neither commits nor retries, and whatever it raises goes up to the outermost call, which alone commits,
rolls back, or reruns its whole ``work`` on a retryable conflict. So a service that owns its transaction when called
alone (``services.approve(db, ...)``) becomes one step of a larger use case when called inside one, with no change.
A joined unit that raises leaves its writes in the session: the outermost normally lets the error propagate (and rolls
everything back); an outer unit that catches the error and carries on must run the call inside
``session.begin_nested()`` (a SAVEPOINT), as ``timebank.idempotency`` does around a view.

A read that is ONE statement needs no unit of work: ``Database.read_one(statement, params)`` (and ``read_all``) runs
it in autocommit on a pooled connection, so it costs one round trip instead of BEGIN, the statement and COMMIT, and no
ORM session. One statement is its own snapshot on both databases; a read made of several statements (a page and its
total, the ledger check) still needs ``transaction(..., readonly=True)``, which gives them one snapshot. The statement
is built once (at import, with ``bindparam()`` for what varies) and compiled once per database; called inside an open
unit of work, the read joins it like any other (it sees that unit's writes and snapshot).
"""
from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import namedtuple
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, TypeVar

from sqlalchemy import BigInteger, DateTime, String, create_engine, event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.expression import Select, TextualSelect
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
RETRY_ATTEMPTS = 12

# PostgreSQL SQLSTATEs after which running the whole unit of work again is correct.
_PG_RETRYABLE = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
    "23505",  # unique_violation: two requests raced on one idempotency key; the rerun replays the winner
}


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on both databases (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use timebank.clock.utcnow()")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class sha256_hex(GenericFunction):
    """``sha256_hex(text)``: the SHA-256 of the text's UTF-8 bytes in lowercase hex, as ``hashlib``'s ``hexdigest()``,
    on both databases: PostgreSQL's own ``sha256``; on SQLite a function every connection of ours registers. It lets a
    set-based statement write the same request fingerprints as Python does (``ledger.rules.fingerprint``)."""

    type = String()
    inherit_cache = True


@compiles(sha256_hex, "postgresql")
def _sha256_hex_postgresql(element, compiler, **kw):
    return f"encode(sha256(convert_to({compiler.process(element.clauses, **kw)}, 'UTF8')), 'hex')"


@compiles(sha256_hex, "sqlite")
def _sha256_hex_sqlite(element, compiler, **kw):
    return f"timebank_sha256({compiler.process(element.clauses, **kw)})"


def _sqlite_sha256(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


class IdList(TypeDecorator):
    """A list of integer ids bound as ONE parameter, for ``in_id_list``: a ``BIGINT[]`` on PostgreSQL, a JSON array
    on SQLite. An expanding ``IN`` (one parameter per id) costs the driver and SQLAlchemy more than the database
    spends on a batch of thousands of ids; one parameter also keeps the statement's text the same for every batch."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(ARRAY(BigInteger) if dialect.name == "postgresql" else String())

    def process_bind_param(self, value, dialect):
        ids = [int(v) for v in value]
        return ids if dialect.name == "postgresql" else json.dumps(ids)


class in_id_list(GenericFunction):
    """``in_id_list(column, bindparam(name, type_=IdList()))``: ``column`` is one of the ids bound to ``name``
    (``= ANY(…)`` on PostgreSQL, ``IN (SELECT value FROM json_each(…))`` on SQLite)."""

    inherit_cache = True  # typeless: SQLite would compare a Boolean function to 1, hiding the IN from its planner


@compiles(in_id_list, "postgresql")
def _in_id_list_postgresql(element, compiler, **kw):
    column, ids = element.clauses.clauses
    return f"{compiler.process(column, **kw)} = ANY({compiler.process(ids, **kw)})"


@compiles(in_id_list, "sqlite")
def _in_id_list_sqlite(element, compiler, **kw):
    column, ids = element.clauses.clauses
    return f"{compiler.process(column, **kw)} IN (SELECT value FROM json_each({compiler.process(ids, **kw)}))"


@dataclass(frozen=True)
class _OpenUnit:
    database: "Database"
    session: Session
    readonly: bool


# The units of work open in this context, innermost last (one per Database: a second Database opens its own).
_open_units: ContextVar[tuple[_OpenUnit, ...]] = ContextVar("timebank_open_units", default=())


class WriteInReadonlyUnit(RuntimeError):
    """A write unit of work was asked for inside a read-only one: a bug in the caller, never a user's error."""


class Stats:
    """Process-local counters, for benchmarks and workload reports (never for decisions)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.retries = 0

    def retried(self):
        with self._lock:
            self.retries += 1


class Database:
    """An engine and the unit-of-work runner every service uses."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 0, echo: bool = False,
                 secret_key: str | None = None):
        self.url = make_url(url)
        # The application's secret, for what is stored sealed in this database (the receipts' private signing keys):
        # whoever holds a copy of the database without it cannot use them.
        self.secret_key = secret_key
        self.dialect = self.url.get_backend_name()
        self.stats = Stats()
        if self.is_sqlite:
            self.engine = _sqlite_engine(url, echo=echo, pool_size=pool_size)
        else:
            self.engine = create_engine(
                url, echo=echo, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=False, pool_timeout=60
            )
            _ping_when_idle(self.engine)
        # A read-only unit of work is one snapshot, on both databases: on SQLite a deferred BEGIN (see below); on
        # PostgreSQL REPEATABLE READ, since under the default READ COMMITTED every statement would see a newer state
        # and a read made of several statements (the ledger check, a page and its total) could mix two moments.
        # Reads never fail with a serialization error at this level, so nothing has to be retried.
        readonly_options = {"timebank_readonly": True}
        if not self.is_sqlite:
            readonly_options["isolation_level"] = "REPEATABLE READ"
        self.readonly_engine = self.engine.execution_options(**readonly_options)
        self._compiled_reads: dict[int, tuple[object, _CompiledRead]] = {}

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def transaction(self, work: Callable[[Session], T], *, readonly: bool = False,
                    attempts: int = RETRY_ATTEMPTS) -> T:
        """Run ``work(session)`` in one transaction and commit; run it again on a retryable conflict.

        ``work`` must be safe to run again from the start: everything it did is rolled back first.
        Domain errors raised by ``work`` roll back and propagate unchanged.

        Inside an open unit of work of this database (see the module docstring) ``work`` joins it: it runs on the
        open session and returns, without committing or retrying. A read-only call joins a write unit; a write call
        inside a read-only unit raises ``WriteInReadonlyUnit``.
        """
        joined = self._open_unit()
        if joined is not None:
            if joined.readonly and not readonly:
                raise WriteInReadonlyUnit(
                    "a write unit of work cannot join the read-only one open in this context; "
                    "open the outer unit without readonly=True"
                )
            return work(joined.session)
        bind = self.readonly_engine if readonly else self.engine
        for attempt in range(1, attempts + 1):
            try:
                with Session(bind, expire_on_commit=False, autoflush=False) as session:
                    opened = _open_units.set(_open_units.get() + (_OpenUnit(self, session, readonly),))
                    try:
                        with session.begin():
                            return work(session)
                    finally:
                        _open_units.reset(opened)
            except DBAPIError as error:
                if attempt == attempts or not self.is_retryable(error):
                    raise
                self.stats.retried()
                time.sleep(random.uniform(0, min(0.2, 0.002 * 2 ** attempt)))
        raise AssertionError("unreachable")

    def read_one(self, statement: Select | TextualSelect, params: Mapping[str, Any] | None = None):
        """The first row of ONE read-only statement (``None`` when there is none), in autocommit: see the module
        docstring. ``statement`` is built once, with ``bindparam(name)`` for each of ``params``."""
        rows = self.read_all(statement, params)
        return rows[0] if rows else None

    def read_all(self, statement: Select | TextualSelect, params: Mapping[str, Any] | None = None) -> list:
        """Every row of ONE read-only statement, in autocommit on a pooled connection (one round trip, no ORM
        session); rows are named tuples with the statement's column names and values converted as the ORM would.
        Inside an open unit of work of this database, the statement runs there instead."""
        compiled = self._compiled_read(statement)
        values = compiled.parameters(params or {})
        joined = self._open_unit()
        if joined is not None:  # the same SQL and rows, on the open unit's connection (it sees its writes)
            rows = joined.session.connection().exec_driver_sql(compiled.sql, values).fetchall()
        else:
            rows = self._fetch_in_autocommit(compiled.sql, values)
        return [compiled.row(tuple(row)) for row in rows]

    def _compiled_read(self, statement) -> "_CompiledRead":
        # Keyed by identity, and holding the statement so that its id is never reused: statements are built once.
        found = self._compiled_reads.get(id(statement))
        if found is None:
            if len(self._compiled_reads) >= _MAX_COMPILED_READS:
                self._compiled_reads.clear()  # a caller builds statements per call: correct, only slower
            found = self._compiled_reads[id(statement)] = (statement, _CompiledRead(statement, self.engine.dialect))
        return found[1]

    def _fetch_in_autocommit(self, sql: str, params) -> list[tuple]:
        """Run one read-only statement in autocommit on a pooled connection; once more on a fresh connection if the
        pooled one was dead (safe: it is a read, and the first statement of its connection)."""
        engine = self.engine
        postgres = not self.is_sqlite
        for attempt in (1, 2):
            connection = engine.raw_connection()
            driver = connection.driver_connection
            cursor = None
            try:
                if postgres:
                    driver.autocommit = True  # one statement, one round trip: no BEGIN, no COMMIT
                # (SQLite's connections are in autocommit already: SQLAlchemy emits every BEGIN itself, see below.)
                cursor = connection.cursor()
                cursor.execute(sql, params)
                rows = cursor.fetchall()
                cursor.close()
                if postgres:
                    driver.autocommit = False
                return rows
            except engine.dialect.loaded_dbapi.Error as error:
                if attempt == 1 and engine.dialect.is_disconnect(error, driver, cursor):
                    connection.invalidate()
                    continue
                connection.invalidate()  # in an unknown state after a failure in autocommit: never reuse it
                raise
            finally:
                connection.close()
        raise AssertionError("unreachable")

    def _open_unit(self) -> _OpenUnit | None:
        for unit in reversed(_open_units.get()):
            if unit.database is self:
                return unit
        return None

    @property
    def in_transaction(self) -> bool:
        """Whether a unit of work of this database is open in the current context (a call would join it)."""
        return self._open_unit() is not None

    def is_retryable(self, error: DBAPIError) -> bool:
        if self.is_sqlite:
            text = str(error.orig)
            return "database is locked" in text or "UNIQUE constraint failed" in text
        # A dead connection is not retried here: if it died during COMMIT the work may have committed, and not every
        # unit of work is idempotent. A ping of connections that sat idle keeps dead ones out instead (_ping_when_idle).
        return getattr(error.orig, "sqlstate", None) in _PG_RETRYABLE

    def dispose(self) -> None:
        self.engine.dispose()


_MAX_COMPILED_READS = 1000


class _CompiledRead:
    """A read statement compiled once for one dialect: its SQL text, how to order and convert its parameters, and
    how to convert its rows (the column types' own processors: the ones SQLAlchemy applies when it runs it)."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("read_one/read_all take statements compiled once: no expanding IN (bindparam "
                             "expanding=True) or literal_execute parameters")
        self.sql = compiled.string
        self._compiled = compiled
        self._order = tuple(compiled.positiontup) if compiled.positional else None
        escaped = compiled.escaped_bind_names or {}
        self._bind_processors = {}
        for key, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._bind_processors[escaped.get(key, key)] = processor
        columns = list(statement.selected_columns)
        self._type = namedtuple("Row", [c.key for c in columns], rename=True)
        self._result_processors = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None)
                                        for c in columns)
        self._converts = any(p is not None for p in self._result_processors)

    def parameters(self, params: Mapping[str, Any]):
        values = self._compiled.construct_params(params)  # literal values of the statement, then the given ones
        for name, processor in self._bind_processors.items():
            values[name] = processor(values[name])
        return values if self._order is None else tuple(values[name] for name in self._order)

    def row(self, values: tuple):
        if self._converts:
            values = [v if p is None else p(v) for p, v in zip(self._result_processors, values)]
        return self._type._make(values)


def _sqlite_engine(url: str, *, echo: bool, pool_size: int) -> Engine:
    # Keep connections open: closing the last one checkpoints and deletes the WAL, and every new one re-runs the
    # pragmas. A connection serves one thread at a time; beyond pool_size, extra ones open and close (never block).
    engine = create_engine(
        url,
        echo=echo,
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=-1,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself (the documented pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Connections stay open in the pool, so the WAL is never deleted; cap what it keeps after a checkpoint.
        cursor.execute("PRAGMA journal_size_limit = 67108864")
        cursor.close()
        dbapi_connection.create_function("timebank_sha256", 1, _sqlite_sha256, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(connection):
        if connection.get_execution_options().get("timebank_readonly"):
            connection.exec_driver_sql("BEGIN")  # a snapshot read: WAL readers never wait for writers
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def init_app(app) -> None:
    app.extensions["timebank.db"] = Database(app.config["DATABASE_URL"], secret_key=app.config["SECRET_KEY"])
    replica = app.config.get("REPLICA_URL")
    if replica:
        app.extensions["timebank.read_db"] = Database(replica, secret_key=app.config["SECRET_KEY"])


def get_db(app=None) -> Database:
    from flask import current_app

    return (app or current_app).extensions["timebank.db"]


def get_read_db(app=None) -> Database:
    """Where long reads go (reports, public pages): the replica of ``TIMEBANK_REPLICA_URL`` when set, so a drive
    day's writes on the primary never wait behind them; else the primary itself. Only for reads that may lag the
    primary by a moment (a streaming replica is a fraction of a second behind) and never for a read-then-write."""
    from flask import current_app

    extensions = (app or current_app).extensions
    return extensions.get("timebank.read_db") or extensions["timebank.db"]


PING_AFTER_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled PostgreSQL connection before use only when it sat unused for a while (SQLAlchemy's documented
    pessimistic-disconnect recipe, made lazy): a connection dies in the pool while idle (a server restart, a
    firewall's idle timeout), and ``pool_pre_ping`` would cost one round trip on EVERY checkout, a request's dearest
    part after its queries. A dead connection found here is replaced before the unit of work starts."""
    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return  # just opened, or used a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:
            raise DisconnectionError("the pooled connection is gone")  # the pool connects afresh and retries
