"""The SQL of one request, captured in-process and replayed through the database driver alone (no HTTP, no Flask, no
SQLAlchemy): the floor under what a request costs, for benchmarks to put beside the HTTP path.

Capturing: ``capture(db, call)`` runs ``call()`` (one request through an in-process app, e.g. its test client) with a
``before_cursor_execute`` listener on the app's engine and a wrapper around ``Database._fetch_in_autocommit`` (the
one-statement reads that run outside any unit of work, such as the bearer token's lookup), and returns every
statement with its parameters, as the driver received them, and whether it ran in the unit of work or in autocommit.

Making a plan: ``Plan.learn(a, b)`` compares two captures of the same request for two different subjects (another
volunteer at another center, another desk) statement by statement and decides, for each parameter, how to fill it
in a replay:

- the same in both: a constant (the drive, the amounts, the statuses ...);
- equal to a *role* of each capture's context (``volunteer_id``, ``account_id``, ``caller``, ``token_hash`` ...,
  given by the caller), or to the id of a row the request inserted (``new:<table>#<n>``, the n-th
  ``INSERT INTO <table> ... RETURNING`` of the request): that role's value in the replay's context, or what the
  replay's own insert returned;
- a string holding such a value (``reservation:<id>:hold``): the same string around the replay's value;
- a time: the replay's time plus the same offset from the capture's start (``now`` stays now, a timeout stays
  as far ahead);
- any other bytes or string that differs (a voucher's single-use id and short code, a key, a fingerprint, a body):
  fresh random bytes or characters of the same length (the same within one replay), except JSON text, which is kept;
- an integer that differs and matches no role: the plan refuses, naming the statement.

When one value fits two roles in both captures (ids that grow in step, a reservation's and its voucher's), the
parameter's name and the column the SQL compares it to decide (``receipt_revocation.receipt_id``, ``reservation.id
= ?``), and a new row's id is only a candidate after the insert that makes it; when nothing decides, the plan
refuses. ``Plan.describe()`` shows what fills each parameter.

Replaying: ``Plan.run(connection, context)`` runs the statements in order in the same transaction boundaries (the
autocommit ones in autocommit; on SQLite the captured ``BEGIN IMMEDIATE`` opens the transaction, on PostgreSQL the
first statement does), reads every row each returns (as the app does), commits, and returns the ids the inserts
returned. A serialization failure or deadlock rolls back and runs it again, as ``Database.transaction`` does.
"""
from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import string
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import event, func, select
from sqlmodel import SQLModel

RETRYABLE_PG = {"40001", "40P01", "55P03"}
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


@dataclass(frozen=True)
class Statement:
    autocommit: bool
    sql: str
    params: object  # a dict or a tuple, or a list of them (executemany)
    many: bool
    names: tuple[str, ...] | None = None  # a positional statement's parameter names, in order (SQLite)


@dataclass
class Captured:
    statements: list[Statement]
    started: datetime  # aware UTC, taken just before the call
    context: dict  # role -> value, given by the caller
    new_ids: dict[str, int] = field(default_factory=dict)  # "new:<table>#<n>" -> id


@contextmanager
def capturing(db):
    """Collect the statements run through ``db`` (a ``timebank.db.Database``) while the block runs."""
    statements: list[Statement] = []

    def hook(_conn, _cursor, statement, parameters, context, executemany):
        compiled = getattr(context, "compiled", None)
        names = tuple(getattr(compiled, "positiontup", None) or ()) or None
        first = parameters[0] if executemany and parameters else parameters
        if names is not None and (isinstance(first, dict) or len(first or ()) != len(names)):
            names = None
        statements.append(Statement(False, statement, parameters, bool(executemany), names))

    original = db._fetch_in_autocommit

    def autocommit_read(sql, params):
        statements.append(Statement(True, sql, params, False))
        return original(sql, params)

    event.listen(db.engine, "before_cursor_execute", hook)
    db._fetch_in_autocommit = autocommit_read
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", hook)
        del db._fetch_in_autocommit  # the class's method again


def capture(db, call: Callable[[], object], context: dict) -> Captured:
    """Run ``call()`` under capture. The ids in each table with an ``id`` are read before and after, so that each
    ``INSERT ... RETURNING`` of the request is matched to the row it made (the n-th such insert into a table to
    the n-th new id there)."""
    before = _max_ids(db)
    started = datetime.now(UTC)
    with capturing(db) as statements:
        call()
    taken = _ids_above(db, before)
    new_ids, seen = {}, Counter()
    for statement in statements:
        table = _inserted_table(statement.sql)
        if table is not None and " RETURNING " in statement.sql.upper() and not statement.many:
            n = seen[table]
            seen[table] += 1
            if n < len(taken.get(table, ())):
                new_ids[f"new:{table}#{n}"] = taken[table][n]
    return Captured(list(statements), started, dict(context), new_ids)


def _tables_with_ids():
    def whole_number(column) -> bool:
        try:
            return column.type.python_type is int
        except NotImplementedError:
            return False

    return [table for table in SQLModel.metadata.sorted_tables if "id" in table.c and whole_number(table.c.id)]


def _max_ids(db) -> dict[str, int]:
    def read(s):
        return {table.name: s.execute(select(func.max(table.c.id))).scalar() or 0 for table in _tables_with_ids()}

    return db.transaction(read, readonly=True)


def _ids_above(db, maxes: dict[str, int]) -> dict[str, list[int]]:
    def read(s):
        return {table.name: list(s.execute(select(table.c.id).where(table.c.id > maxes[table.name])
                                           .order_by(table.c.id)).scalars()) for table in _tables_with_ids()}

    return db.transaction(read, readonly=True)


def _inserted_table(sql: str) -> str | None:
    found = _INSERT.match(sql)
    return found.group(1).lower() if found else None


# ------------------------------------------------------------------------------------------------ how to fill a value

@dataclass(frozen=True)
class Const:
    value: object


@dataclass(frozen=True)
class Role:
    name: str


@dataclass(frozen=True)
class Template:
    name: str
    parts: tuple[str, ...]  # the captured string split around the role's value


@dataclass(frozen=True)
class Moment:
    offset: timedelta
    as_text: bool  # SQLite receives times as text


@dataclass(frozen=True)
class Fresh:
    captured: object  # the value in the first capture (the same captured value gets the same fresh value)
    alphabet: str | None  # None: bytes


class Unadaptable(SystemExit):
    """A parameter the plan cannot fill: the request's statements changed in a way the plan does not understand."""


def _unwrap(value):
    """psycopg's adapters (``Binary``, ``Json``) carry the value in ``.obj``: (value, how to wrap it again)."""
    if type(value).__module__.startswith("psycopg") and hasattr(value, "obj"):
        return value.obj, type(value)
    return value, None


def _same(x, y) -> bool:
    return type(x) is type(y) and x == y


def _as_time(value):
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in " T":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _looks_like_json(value: str) -> bool:
    if value[:1] not in ("{", "["):
        return False
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Hint:
    """What tells two roles of the same value apart: the parameter's name, and the column the SQL compares it to
    (``reservation.id = ?`` gives ``reservation_id``); and the new rows already inserted before this statement."""
    name: str | None
    column: str | None
    available: frozenset[str]
    aliases: tuple[tuple[str, str], ...] = ()  # (column, role): what a column holds that its name does not say


def learn_value(where: str, a, b, first: Captured, second: Captured, hint: Hint):
    """How to fill one parameter, from its value in two captures."""
    a, wrap = _unwrap(a)
    b, _ = _unwrap(b)
    filler = _learn(where, a, b, first, second, hint)
    return (filler, wrap) if wrap is not None else filler


def _role_key(name: str) -> str:
    return f"{name[4:].split('#')[0]}_id" if name.startswith("new:") else name


def _pick(where: str, matching: list[str], hint: Hint) -> str:
    if len(matching) == 1:
        return matching[0]
    param = re.sub(r"(_\d+)+$", "", hint.name or "")

    def score(name: str) -> int:
        key = _role_key(name)
        if (hint.column, key) in hint.aliases:
            return 5
        if param and key == param:
            return 4
        if hint.column and key == hint.column:
            return 3
        if hint.column and (key.endswith("_" + hint.column) or hint.column.endswith("_" + key)):
            return 2
        return 0

    ranked = sorted(matching, key=score, reverse=True)
    if score(ranked[0]) > 0 and score(ranked[0]) > score(ranked[1]):
        return ranked[0]
    raise Unadaptable(f"{where}: the value fits the roles {matching} in both captures and nothing tells them apart; "
                      f"make the captures' ids differ")


def _learn(where: str, a, b, first: Captured, second: Captured, hint: Hint):
    if _same(a, b) or (a is None and b is None):
        return Const(a)
    roles = {name: value for name, value in {**first.context, **first.new_ids}.items()
             if not name.startswith("new:") or name in hint.available}
    others = {**second.context, **second.new_ids}
    if not isinstance(a, bool):
        matching = [name for name in roles if name in others and _same(roles[name], a) and _same(others[name], b)]
        if matching:
            return Role(_pick(where, matching, hint))
    if isinstance(a, str) and isinstance(b, str):
        for name in sorted(roles, key=lambda n: -len(str(roles[n]))):  # the longest value first
            if name not in others or isinstance(roles[name], (bytes, bool)) or roles[name] is None:
                continue
            va, vb = str(roles[name]), str(others[name])
            if a.count(va) == 1 and b.count(vb) == 1 and a.replace(va, "\0") == b.replace(vb, "\0"):
                return Template(name, tuple(a.split(va)))
    moment_a, moment_b = _as_time(a), _as_time(b)
    if moment_a is not None and moment_b is not None:
        return Moment(_aware(moment_a) - first.started, isinstance(a, str))
    if isinstance(a, (bytes, bytearray, memoryview)):
        return Fresh(bytes(a), None)
    if isinstance(a, str):
        if _looks_like_json(a):
            return Const(a)
        classes = [cls for cls in (string.ascii_lowercase, string.ascii_uppercase, string.digits) if
                   any(ch in cls for ch in a)]
        extra = "".join(sorted({ch for ch in a if not ch.isalnum()} & set("-_")))
        return Fresh(a, "".join(classes) + extra or string.ascii_letters)
    if isinstance(a, (dict, list)):
        return Const(a)  # JSON given to the driver as an object (an audit entry's detail): kept as captured
    raise Unadaptable(f"{where}: {a!r} in one capture and {b!r} in the other match no role; add the role to the "
                      f"contexts")


_COMPARED = re.compile(r"([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*(?:=|<=|>=|<>|<|>|\s+IN\s*\((?:[^()]*,)?)\s*$",
                       re.IGNORECASE)


def _column_before(sql: str, position: int) -> str | None:
    found = _COMPARED.search(sql[max(0, position - 120):position])
    return f"{found.group(1)}_{found.group(2)}".lower() if found else None


def _hints(statement: Statement) -> dict:
    """Per parameter key: (its name, the column the SQL compares it to)."""
    sql = statement.sql
    if statement.names is not None:  # positional: the n-th "?" is the n-th name
        positions = [m.start() for m in re.finditer(r"\?", sql)]
        return {n: (name, _column_before(sql, positions[n]) if n < len(positions) else None)
                for n, name in enumerate(statement.names)}
    first = statement.params[0] if statement.many and statement.params else statement.params
    if isinstance(first, dict):
        hints = {}
        for name in first:
            at = sql.find(f"%({name})s")
            hints[name] = (name, _column_before(sql, at) if at >= 0 else None)
        return hints
    return {}


# ------------------------------------------------------------------------------------------------ a plan

def _leaves(params, many: bool):
    """(path, value) of every parameter: a dict's keys, a tuple's positions, and an executemany's rows."""
    rows = params if many else [params]
    for i, row in enumerate(rows):
        items = row.items() if isinstance(row, dict) else enumerate(row or ())
        for key, value in items:
            yield (i, key), value


def _rebuild(params, many: bool, values: dict):
    rows = params if many else [params]
    built = []
    for i, row in enumerate(rows):
        if isinstance(row, dict):
            built.append({key: values[(i, key)] for key in row})
        else:
            built.append(tuple(values[(i, n)] for n in range(len(row or ()))))
    return built if many else built[0]


@dataclass
class Step:
    statement: Statement
    fillers: dict  # path -> filler (or (filler, wrap))
    inserts_into: str | None  # the table, when the statement returns the id of the row it inserted


class Plan:
    def __init__(self, steps: list[Step], dialect: str):
        self.steps = steps
        self.dialect = dialect
        self.retries = 0

    @property
    def statements(self) -> int:
        return len(self.steps)

    @property
    def autocommit_statements(self) -> int:
        return sum(step.statement.autocommit for step in self.steps)

    @classmethod
    def learn(cls, first: Captured, second: Captured, dialect: str, aliases: dict[str, str] | None = None) -> Plan:
        """``aliases``: {column: role} for columns whose name does not say which role they hold
        (``{"receipt_reference": "reservation_id"}``)."""
        if [(s.autocommit, s.sql) for s in first.statements] != [(s.autocommit, s.sql) for s in second.statements]:
            raise Unadaptable("the two captures ran different statements:\n"
                              + "\n".join(f"{x.sql[:100]!r} / {y.sql[:100]!r}" for x, y in
                                          zip(first.statements, second.statements) if x.sql != y.sql)
                              + f"\n({len(first.statements)} and {len(second.statements)} statements)")
        steps, available, inserted = [], set(), Counter()
        for n, (x, y) in enumerate(zip(first.statements, second.statements)):
            b_values = dict(_leaves(y.params, y.many))
            hints = _hints(x)
            fillers = {}
            for path, value in _leaves(x.params, x.many):
                name, column = hints.get(path[1], (None, None))
                fillers[path] = learn_value(f"statement {n + 1} ({x.sql.split()[0]} …), parameter {path[1]!r}",
                                            value, b_values.get(path), first, second,
                                            Hint(name, column, frozenset(available),
                                                 tuple((aliases or {}).items())))
            table = _inserted_table(x.sql)
            returns = table is not None and " RETURNING " in x.sql.upper() and not x.many
            if returns:
                available.add(f"new:{table}#{inserted[table]}")
                inserted[table] += 1
            steps.append(Step(x, fillers, table if returns else None))
        return cls(steps, dialect)

    def describe(self) -> str:
        """The plan, statement by statement: what fills each parameter that is not a constant."""
        lines = []
        for n, step in enumerate(self.steps, 1):
            where = "autocommit" if step.statement.autocommit else "unit"
            lines.append(f"{n:>3} [{where}] {' '.join(step.statement.sql.split())[:110]}")
            for path, filler in step.fillers.items():
                filler = filler[0] if isinstance(filler, tuple) else filler
                if not isinstance(filler, Const):
                    shown = {Role: lambda f: f"role {f.name}", Template: lambda f: f"{f.name} in {f.parts!r}",
                             Moment: lambda f: f"now {'+' if f.offset >= timedelta(0) else '-'} "
                                               f"{abs(f.offset)}",
                             Fresh: lambda f: f"fresh {'bytes' if f.alphabet is None else 'text'} of "
                                              f"{len(f.captured)}"}[type(filler)](filler)
                    lines.append(f"      {path[1]!s:>22}: {shown}")
        return "\n".join(lines)

    def _values(self, step: Step, context: dict, new: dict, memo: dict, now: datetime) -> dict:
        values = {}
        for path, filler in step.fillers.items():
            wrap = None
            if isinstance(filler, tuple):
                filler, wrap = filler
            value = self._fill(filler, context, new, memo, now)
            values[path] = wrap(value) if wrap is not None else value
        return values

    @staticmethod
    def _fill(filler, context: dict, new: dict, memo: dict, now: datetime):
        if isinstance(filler, Const):
            return filler.value
        if isinstance(filler, Role):
            return new[filler.name] if filler.name.startswith("new:") else context[filler.name]
        if isinstance(filler, Template):
            value = new[filler.name] if filler.name.startswith("new:") else context[filler.name]
            return str(value).join(filler.parts)
        if isinstance(filler, Moment):
            moment = now + filler.offset
            return moment.replace(tzinfo=None).strftime(_SQLITE_TIME) if filler.as_text else moment
        if isinstance(filler, Fresh):
            key = (type(filler.captured), filler.captured)
            if key not in memo:
                if filler.alphabet is None:
                    memo[key] = os.urandom(len(filler.captured))
                else:
                    memo[key] = "".join(random.choices(filler.alphabet, k=len(filler.captured)))
            return memo[key]
        raise AssertionError(filler)

    def run(self, connection, context: dict) -> dict[str, int]:
        """Replay once on ``connection`` (a psycopg or sqlite3 connection from ``connect``) for ``context``."""
        for attempt in range(1, 13):
            try:
                return self._run_once(connection, context)
            except psycopg.errors.Error as error:
                connection.rollback()
                if error.sqlstate not in RETRYABLE_PG or attempt == 12:
                    raise
                self.retries += 1
                time.sleep(random.uniform(0, min(0.2, 0.002 * 2 ** attempt)))
        raise AssertionError("unreachable")

    def _run_once(self, connection, context: dict) -> dict[str, int]:
        now = datetime.now(UTC)
        new: dict[str, int] = {}
        memo: dict = {}
        inserted = Counter()
        postgres = self.dialect != "sqlite"
        in_unit = False
        cursor = connection.cursor()
        try:
            for step in self.steps:
                statement = step.statement
                if statement.autocommit and in_unit:
                    connection.commit()
                    in_unit = False
                if postgres and connection.autocommit != statement.autocommit:
                    connection.autocommit = statement.autocommit
                in_unit = in_unit or not statement.autocommit
                params = _rebuild(statement.params, statement.many, self._values(step, context, new, memo, now))
                if statement.many:
                    cursor.executemany(statement.sql, params)
                elif params:
                    cursor.execute(statement.sql, params)
                else:  # SAVEPOINT, BEGIN IMMEDIATE …: nothing to bind (and no placeholders to look for)
                    cursor.execute(statement.sql)
                if cursor.description is not None:
                    rows = cursor.fetchall()
                    if step.inserts_into is not None:
                        new[f"new:{step.inserts_into}#{inserted[step.inserts_into]}"] = rows[0][0]
                        inserted[step.inserts_into] += 1
            if in_unit:
                connection.commit()
        except BaseException:
            if in_unit or (postgres and not connection.autocommit):
                connection.rollback()
            raise
        finally:
            cursor.close()
        return new


def connect(url: str):
    """A driver connection to a ``timebank`` database URL, set up as ``timebank.db`` sets up its own."""
    if url.startswith("sqlite:///"):
        connection = sqlite3.connect(url[len("sqlite:///"):], timeout=30, isolation_level=None,
                                     check_same_thread=False)
        for pragma in ("busy_timeout = 30000", "journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON",
                       "journal_size_limit = 67108864"):
            connection.execute(f"PRAGMA {pragma}")
        return connection
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1))
