#!/usr/bin/env python
"""How long does ``expire-credits`` take over a million due lots, beside one plain SQL ``UPDATE`` of those lots?

For each backend (SQLite, PostgreSQL) it builds a throwaway database (``timebank init``) and fills it with bulk SQL
with what the ledger would have made: ``--centers`` centers' issuance accounts and their redemption and expiry sinks,
``--volunteers`` volunteer accounts, and ``--lots`` due lots (plus a tenth as many that are not due yet), each with its
``mint`` transfer and its lot movement, the accounts' stored totals raised to match; a lot is minted by its
volunteer's home center, and consecutive lots belong to different volunteers (a batch locks as many accounts as it
has lots). ``timebank ledger check`` must be clean before anything is timed. Then it makes two copies of that
database (PostgreSQL: ``CREATE DATABASE … TEMPLATE``; SQLite: the file) and times, each after a checkpoint and a read
of the lots (so none starts with another's dirty pages or a cold cache):

- **plain UPDATE**, on the first copy: ``UPDATE lot SET remaining = 0, expired_at = … WHERE expires_at <= … AND
  expired_at IS NULL`` in one transaction through the bare driver: the lots' part of the work, and nothing else (no
  transfer, no lot movement, no account, no batches);
- **the same writes in SQL**, on the second copy: the four statements ``expire_due_lots`` runs per batch (the
  ``expire`` transfers, the lot movements, the accounts' totals, the lots) over every due lot at once, in one
  transaction, each timed: what the writes themselves cost, with no batches, no locks and no Python between them;
- **expire_due_lots**, on the original: ``timebank.ledger.standalone.expire_due_lots`` as the ``expire-credits`` job
  calls it, ``--batch`` lots per transaction, each batch one set-based unit of work, progress on stderr every tenth;

then runs ``timebank ledger check`` on the expired database, which must be clean, and checks that every due lot, and
no other, expired once. The report (Markdown) goes to stdout: the three times, the ratio of ``expire_due_lots`` to the
plain UPDATE (the aim: at most 2×) and to the same writes in SQL, and the machine's load. ``--lots 20000`` runs in
about a minute.

Usage: .venv/bin/python scripts/bench_expiry.py [--lots 1000000] [--volunteers N] [--centers 50] [--batch 5000]
       [--backends sqlite,postgresql]
PostgreSQL: throwaway databases on the server named by TIMEBANK_TEST_PG (default
postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end; SQLite: files in a temporary directory.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
import sqlalchemy
from sqlalchemy import event, text

from benchlib import PG_ADMIN_URL, ROOT, TIMEBANK, backend_label, environment, log, machine_load
from timebank.db import SQLITE_BUSY_TIMEOUT_MS, Database
from timebank.ledger import standalone
from timebank.ledger.postings import Cause

RUN_AT = datetime(2028, 6, 1, 2, 0, tzinfo=UTC)  # when the job runs: every due lot expired before
FIRST_DUE = RUN_AT - timedelta(days=40)  # lot n of the due ones expires n seconds after this
MINTED_AT = FIRST_DUE - timedelta(days=730)
CAUSE = Cause.job("expire-credits", "bench")
CHECK_TIMEOUT_S = 3600


@dataclass
class Figures:
    generate_s: float = 0.0
    check_before_s: float = 0.0
    update_s: float = 0.0
    updated: int = 0
    floor_s: float = 0.0
    floor_expired: int = 0
    floor_parts: list[float] = field(default_factory=list)
    expire_s: float = 0.0
    expired: int = 0
    batches: int = 0
    retries: int = 0
    check_after_s: float = 0.0
    check_after: str = ""
    verified: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------ the databases

class Throwaway:
    """A database (and later its copy) on one backend, named by URL for the app and by target for the driver."""

    def __init__(self, backend: str, run_id: str):
        self.backend = backend
        self.folder: str | None = None
        self.names: list[str] = []
        if backend == "sqlite":
            self.folder = tempfile.mkdtemp(prefix="bench-expiry-")
        self.url, self.target = self._new("expiry")

    def _new(self, label: str) -> tuple[str, str]:
        if self.backend == "sqlite":
            path = os.path.join(self.folder, f"{label}.db")
            return f"sqlite:///{path}", path
        name = f"bench_expiry_{label}_{uuid.uuid4().hex[:8]}"
        self.names.append(name)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        target = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
        return target.replace("postgresql://", "postgresql+psycopg://", 1), target

    def copy(self, label: str) -> tuple[str, str]:
        """Another database with exactly the first one's data (nothing may be connected to the first)."""
        if self.backend == "sqlite":
            with sqlite3.connect(self.target) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            path = os.path.join(self.folder, f"{label}.db")
            shutil.copyfile(self.target, path)
            return f"sqlite:///{path}", path
        name = f"bench_expiry_{label}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.names[0]}"')
        self.names.append(name)
        target = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
        return target.replace("postgresql://", "postgresql+psycopg://", 1), target

    def drop(self) -> None:
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
        if self.names:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                for name in self.names:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def cli(url: str, *args: str) -> tuple[int, str]:
    """``timebank ARGS`` against ``url``: its exit status and what it printed."""
    done = subprocess.run([TIMEBANK, *args], cwd=ROOT, env=environment(url), capture_output=True, text=True,
                          timeout=CHECK_TIMEOUT_S, check=False)
    return done.returncode, (done.stdout + done.stderr).strip()


# ------------------------------------------------------------------------------------------------ the books

def generate(url: str, backend: str, *, lots: int, later: int, volunteers: int, centers: int) -> None:
    """What ``lots + later`` mints would have left, written with a few set-based statements."""
    sqlite = backend == "sqlite"

    def ts(value: datetime):  # as timebank.db.UTCDateTime stores it: naive UTC text on SQLite
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}" if sqlite else value

    def numbers(count: str) -> tuple[str, str]:
        """A WITH prefix and the FROM item giving the whole numbers 1..count as ``n``."""
        if sqlite:
            return (f"WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < {count}) ",
                    "numbers")
        return "", f"generate_series(1, {count}) AS numbers(n)"

    # Lots expire in the order they were minted (as they do: a lot lasts the same time from its mint): the i-th
    # mint transfer's lot, i seconds after FIRST_DUE, the last tenth after the job runs.
    position = "(t.id - (SELECT MIN(id) FROM transfer WHERE actor = 'job\\:bench-expiry') + 1)"
    n_expires = (f"strftime('%Y-%m-%d %H:%M:%S', :first_due, '+' || {position} || ' seconds') || '.000000'"
                 if sqlite else f"CAST(:first_due AS TIMESTAMPTZ) + {position} * INTERVAL '1 second'")
    params = {"centers": centers, "volunteers": volunteers, "lots": lots, "total": lots + later,
              "at": ts(MINTED_AT), "first_due": ts(FIRST_DUE)[:19] if sqlite else FIRST_DUE,
              "later": ts(RUN_AT + timedelta(days=30)), "fp": "0" * 64}
    kinds = "(SELECT 'issuance' AS kind UNION ALL SELECT 'redemption' UNION ALL SELECT 'expiry') AS kinds"
    center_numbers, volunteer_numbers, lot_numbers = numbers(":centers"), numbers(":volunteers"), numbers(":total")
    statements = [
        ("centers' accounts",
         f"{center_numbers[0]}INSERT INTO account (code, kind, center_id, no_overdraft, debits_pending, "
         "debits_posted, credits_pending, credits_posted, created_at) "
         f"SELECT kinds.kind || '\\:bench-' || n, kinds.kind, n, kinds.kind <> 'issuance', 0, 0, 0, 0, :at "
         f"FROM {center_numbers[1]} CROSS JOIN {kinds} ORDER BY n, kinds.kind"),
        ("volunteer accounts",
         f"{volunteer_numbers[0]}INSERT INTO account (code, kind, center_id, no_overdraft, debits_pending, "
         "debits_posted, credits_pending, credits_posted, created_at) "
         f"SELECT 'volunteer\\:bench-' || n, 'volunteer', 1 + n % :centers, TRUE, 0, 0, 0, 0, :at "
         f"FROM {volunteer_numbers[1]} ORDER BY n"),
        ("mint transfers",  # lot n: volunteer 1 + n % volunteers, minted by that volunteer's home center
         f"{lot_numbers[0]}INSERT INTO transfer (kind, debit_account_id, credit_account_id, amount, "
         "idempotency_key, fingerprint, actor, reason_type, reason_id, created_at) "
         "SELECT 'mint', i.id, v.id, 100 + n % 900, 'bench-mint:' || n, :fp, 'job\\:bench-expiry', 'bench', "
         f"CAST(n AS VARCHAR), :at FROM {lot_numbers[1]} "
         "JOIN account v ON v.code = 'volunteer\\:bench-' || (1 + n % :volunteers) "
         "JOIN account i ON i.code = 'issuance\\:bench-' || (1 + (1 + n % :volunteers) % :centers) ORDER BY n"),
        ("lots",
         "INSERT INTO lot (account_id, mint_transfer_id, amount, remaining, expires_at) "
         f"SELECT t.credit_account_id, t.id, t.amount, t.amount, CASE WHEN {position} <= :lots "
         f"THEN {n_expires} ELSE :later END "
         "FROM transfer t WHERE t.kind = 'mint' AND t.actor = 'job\\:bench-expiry' ORDER BY t.id"),
        ("lot movements",
         "INSERT INTO lot_movement (transfer_id, lot_id, delta) SELECT mint_transfer_id, id, amount FROM lot "
         "ORDER BY id"),
        ("volunteers' totals",
         "UPDATE account SET credits_posted = credits_posted + minted.total FROM (SELECT account_id, "
         "SUM(amount) AS total FROM lot GROUP BY account_id) AS minted WHERE account.id = minted.account_id"),
        ("issuers' totals",
         "UPDATE account SET debits_posted = debits_posted + minted.total FROM (SELECT debit_account_id, "
         "SUM(amount) AS total FROM transfer WHERE kind = 'mint' GROUP BY debit_account_id) AS minted "
         "WHERE account.id = minted.debit_account_id"),
    ]
    db = Database(url, pool_size=1)
    try:
        with db.engine.begin() as conn:
            for label, sql in statements:
                t0 = time.perf_counter()
                count = conn.execution_options(preserve_rowcount=True).execute(text(sql), params).rowcount
                rows = f"{count:,} rows" if count >= 0 else "done"  # sqlite3 counts no statement opening with WITH
                log(f"[{backend}]   {label}: {rows} in {time.perf_counter() - t0:.1f} s")
        with db.engine.connect() as conn:  # what autovacuum would do before a nightly job: statistics, visibility
            if sqlite:
                conn.exec_driver_sql("ANALYZE")
            else:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
            conn.commit()
    finally:
        db.dispose()


# ------------------------------------------------------------------------------------------------ the timed runs

def settle(backend: str, target: str) -> None:
    """A checkpoint, then a read of every lot: each timed run starts with no dirty pages left and a warm cache."""
    if backend == "sqlite":
        with sqlite3.connect(target) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("SELECT COUNT(*), SUM(remaining) FROM lot").fetchone()
        return
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        conn.execute("SELECT COUNT(*), SUM(remaining) FROM lot").fetchone()


def plain_update(backend: str, target: str) -> tuple[int, float]:
    """The lots' part of the work as one statement in one transaction, through the bare driver."""
    sql = "UPDATE lot SET remaining = 0, expired_at = {p} WHERE expires_at <= {p} AND expired_at IS NULL"
    if backend == "sqlite":
        conn = sqlite3.connect(target, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        for pragma in (f"busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}", "journal_mode = WAL", "synchronous = FULL",
                       "foreign_keys = ON"):
            conn.execute(f"PRAGMA {pragma}")
        at = f"{RUN_AT:%Y-%m-%d %H:%M:%S.%f}"
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        updated = conn.execute(sql.format(p="?"), (at, at)).rowcount
        conn.execute("COMMIT")
        seconds = time.perf_counter() - t0
        conn.close()
        return updated, seconds
    with psycopg.connect(target) as conn:
        t0 = time.perf_counter()
        updated = conn.execute(sql.format(p="%s"), (RUN_AT, RUN_AT)).rowcount
        conn.commit()
        return updated, time.perf_counter() - t0


def same_writes_in_sql(backend: str, url: str) -> tuple[int, float, list[float]]:
    """What ``expire_due_lots`` writes, for every due lot at once: its statements with the batch's list of lots
    replaced by "every lot due", in one transaction (the set-based floor: no batches, no locks taken first, no Python
    between the statements). Run through the app's engine only for its SQLite ``sha256`` function."""
    sha = "timebank_sha256({})" if backend == "sqlite" else "encode(sha256(convert_to({}, 'UTF8')), 'hex')"
    due = "lot.expired_at IS NULL AND lot.expires_at <= :at"
    key = "'expire-lot\\:' || CAST(lot.id AS VARCHAR)"
    fingerprint = sha.format("""'{"lot":' || CAST(lot.id AS VARCHAR) || ',"op":"expire-lot"}'""")
    statements = [
        "INSERT INTO transfer (kind, debit_account_id, credit_account_id, amount, idempotency_key, fingerprint, "
        "actor, reason_type, reason_id, created_at) "
        "SELECT 'expire', lot.account_id, COALESCE(sink.id, (SELECT id FROM account WHERE code = 'sink\\:expiry')), "
        f"lot.remaining, {key}, {fingerprint}, 'job\\:expire-credits', 'job_run', 'bench', :at "
        "FROM lot JOIN transfer mint ON mint.id = lot.mint_transfer_id "
        "JOIN account issuer ON issuer.id = mint.debit_account_id "
        "LEFT JOIN account sink ON sink.center_id = issuer.center_id AND sink.kind = 'expiry' "
        f"WHERE {due} AND lot.remaining > 0 ORDER BY lot.id",
        "INSERT INTO lot_movement (transfer_id, lot_id, delta) SELECT t.id, lot.id, -t.amount FROM lot "
        f"JOIN transfer t ON t.idempotency_key = {key} WHERE {due} ORDER BY lot.id",
        "UPDATE account SET debits_posted = debits_posted + moved.debit, credits_posted = credits_posted + "
        "moved.credit FROM (SELECT account_id, SUM(debit) AS debit, SUM(credit) AS credit FROM ("
        f"SELECT lot.account_id AS account_id, lot.remaining AS debit, 0 AS credit FROM lot WHERE {due} "
        "AND lot.remaining > 0 UNION ALL SELECT t.credit_account_id, 0, t.amount FROM lot "
        f"JOIN transfer t ON t.idempotency_key = {key} WHERE {due}) AS moves GROUP BY account_id) AS moved "
        "WHERE account.id = moved.account_id",
        "UPDATE lot SET remaining = 0, expired_at = :at WHERE expired_at IS NULL AND expires_at <= :at",
    ]
    db = Database(url, pool_size=1)
    at = f"{RUN_AT:%Y-%m-%d %H:%M:%S.%f}" if backend == "sqlite" else RUN_AT
    try:
        t0, counts, parts = time.perf_counter(), [], []
        with db.engine.begin() as conn:
            for sql in statements:
                started = time.perf_counter()
                counts.append(conn.execution_options(preserve_rowcount=True).execute(text(sql), {"at": at}).rowcount)
                parts.append(time.perf_counter() - started)
        return counts[0], time.perf_counter() - t0, parts
    finally:
        db.dispose()


def timed_expiry(backend: str, url: str, batch: int, lots: int) -> tuple[int, float, int, int]:
    """``expire_due_lots`` as the job calls it: lots that gave up credits, seconds, batches, retried units."""
    db = Database(url, pool_size=2)
    batches = [0]
    every = max(1, (lots // batch) // 10)

    def committed(_conn):
        batches[0] += 1
        if batches[0] % every == 0:
            done = min(lots, batches[0] * batch)
            elapsed = time.perf_counter() - started
            log(f"[{backend}]   {batches[0]} batches, about {done:,} lots in {elapsed:.0f} s "
                f"({done / elapsed:,.0f} lots/s; load {os.getloadavg()[0]:.1f})")

    event.listen(db.engine, "commit", committed)
    try:
        started = time.perf_counter()
        expired = standalone.expire_due_lots(db, cause=CAUSE, now=RUN_AT, batch=batch)
        return expired, time.perf_counter() - started, batches[0], db.stats.retries
    finally:
        db.dispose()


def verify(url: str, *, lots: int, later: int) -> list[str]:
    """What the expiry left, against what it should: every due lot expired, once, and nothing else."""
    db = Database(url, pool_size=1)
    try:
        with db.engine.connect() as conn:
            expired, live, to_sinks, transfers = conn.execute(text(
                "SELECT (SELECT COUNT(*) FROM lot WHERE expired_at IS NOT NULL), "
                "(SELECT COUNT(*) FROM lot WHERE expired_at IS NULL AND remaining = amount), "
                "(SELECT COALESCE(SUM(credits_posted), 0) FROM account WHERE kind = 'expiry'), "
                "(SELECT COUNT(*) FROM transfer WHERE kind = 'expire')")).one()
            due_total = conn.execute(text(
                "SELECT COALESCE(SUM(amount), 0) FROM lot WHERE expired_at IS NOT NULL")).scalar_one()
    finally:
        db.dispose()
    problems = []
    if (expired, live, transfers) != (lots, later, lots):
        problems.append(f"expected {lots:,} expired lots and transfers and {later:,} live lots; found {expired:,} "
                        f"expired, {transfers:,} transfers, {live:,} live")
    if to_sinks != due_total:
        problems.append(f"the expiry sinks hold {to_sinks:,} but the expired lots held {due_total:,}")
    return problems


# ------------------------------------------------------------------------------------------------------ report

def print_report(args, env: dict, figures: dict[str, Figures]) -> None:
    print(f"## Expiry benchmark ({datetime.now(UTC):%Y-%m-%d})\n")
    print(f"Machine: {env['load_start']} at the start, {env['load_end']} at the end. Python "
          f"{platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, psycopg {psycopg.__version__}, "
          f"SQLite {sqlite3.sqlite_version}"
          + (f", PostgreSQL {env['pg']} on the same machine" if env.get("pg") else "")
          + f". {args.lots:,} due lots (and {args.later:,} not yet due) of {args.volunteers:,} volunteers at "
          f"{args.centers} centers, consecutive lots of different volunteers; `expire_due_lots` in batches of "
          f"{args.batch:,} lots, each one unit of work; the plain `UPDATE lot SET remaining = 0, expired_at = … "
          "WHERE expires_at <= … AND expired_at IS NULL` in one transaction through the bare driver, on a copy of "
          "the same data.\n")
    print("| backend | due lots | `expire_due_lots` | lots/s | batches | plain `UPDATE` | ratio | same writes in SQL "
          "| ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend, f in figures.items():
        ratio = f.expire_s / f.update_s if f.update_s else float("nan")
        shown = f"{ratio:.1f}×" if ratio <= 2 else f"**{ratio:.1f}×**"
        print(f"| {backend_label(backend)} | {f.expired:,} | {f.expire_s:,.1f} s | {f.expired / f.expire_s:,.0f} | "
              f"{f.batches:,} | {f.update_s:,.1f} s | {shown} | {f.floor_s:,.1f} s | "
              f"{f.expire_s / f.floor_s:.1f}× |")
    print("\nRatio: `expire_due_lots` over the plain `UPDATE` (bold: above the 2× aim), then over *the same writes in "
          "SQL*: its own four statements (the `expire` transfers, the lot movements, the accounts' totals, the lots) "
          "over every due lot at once, in one transaction, on a third copy — what the writes cost with no batches, no "
          "locks taken first and no Python between them.\n")
    for backend, f in figures.items():
        print(f"- {backend_label(backend)}: books generated in {f.generate_s:.0f} s; `timebank ledger check` "
              f"clean before ({f.check_before_s:.0f} s); after the expiry: {f.check_after} ({f.check_after_s:.0f} s)"
              + (f"; {f.retries} unit(s) of work retried" if f.retries else "")
              + ("; every due lot expired once and no other" if not f.verified else
                 "; **" + "; ".join(f.verified) + "**") + ". The same writes in SQL, statement by statement: "
              + ", ".join(f"{part} {seconds:.1f} s" for part, seconds in zip(
                  ("the transfers", "the lot movements", "the accounts' totals", "the lots"), f.floor_parts))
              + " (and the commit).")


# ---------------------------------------------------------------------------------------------------------- main

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lots", type=int, default=1_000_000, help="due lots (default 1000000)")
    parser.add_argument("--volunteers", type=int, help="volunteer accounts (default: a tenth of --lots)")
    parser.add_argument("--centers", type=int, default=50, help="centers, each with its own sinks (default 50)")
    parser.add_argument("--batch", type=int, default=standalone.EXPIRY_BATCH,
                        help=f"lots per unit of work (default {standalone.EXPIRY_BATCH}, the job's)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    args = parser.parse_args(argv)
    args.volunteers = args.volunteers or max(1, args.lots // 10)
    args.later = args.lots // 10
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for backend in args.backends:
        if backend not in ("sqlite", "postgresql"):
            parser.error(f"unknown backend {backend!r}; choose from sqlite, postgresql")
    if min(args.lots, args.volunteers, args.centers, args.batch) < 1:
        parser.error("--lots, --volunteers, --centers and --batch must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    run_id = uuid.uuid4().hex[:8]
    env: dict = {"load_start": machine_load()}
    figures: dict[str, Figures] = {}
    failed = False
    for backend in args.backends:
        f = figures[backend] = Figures()
        databases = Throwaway(backend, run_id)
        try:
            log(f"[{backend}] timebank init")
            status, said = cli(databases.url, "init")
            if status:
                raise SystemExit(f"timebank init failed:\n{said}")
            if backend == "postgresql":
                with psycopg.connect(databases.target) as conn:
                    env["pg"] = conn.execute("SHOW server_version").fetchone()[0].split()[0]
            log(f"[{backend}] generating {args.lots:,} due lots (+{args.later:,} later) of {args.volunteers:,} "
                f"volunteers at {args.centers} centers")
            t0 = time.perf_counter()
            generate(databases.url, backend, lots=args.lots, later=args.later, volunteers=args.volunteers,
                     centers=args.centers)
            f.generate_s = time.perf_counter() - t0
            log(f"[{backend}] generated in {f.generate_s:.0f} s; timebank ledger check")
            t0 = time.perf_counter()
            status, said = cli(databases.url, "ledger", "check")
            f.check_before_s = time.perf_counter() - t0
            if status:
                raise SystemExit(f"the generated books do not check clean:\n{said}")
            log(f"[{backend}] {said} ({f.check_before_s:.0f} s); copying the database")
            copy_url, copy_target = databases.copy("plain_update")
            floor_url, floor_target = databases.copy("same_writes")

            settle(backend, copy_target)
            log(f"[{backend}] plain UPDATE of the due lots, on a copy")
            f.updated, f.update_s = plain_update(backend, copy_target)
            log(f"[{backend}] plain UPDATE: {f.updated:,} lots in {f.update_s:.1f} s")

            settle(backend, floor_target)
            log(f"[{backend}] the same writes as expire_due_lots in plain SQL, one transaction, on another copy")
            f.floor_expired, f.floor_s, f.floor_parts = same_writes_in_sql(backend, floor_url)
            log(f"[{backend}] same writes in SQL: {f.floor_expired:,} lots in {f.floor_s:.1f} s")

            settle(backend, databases.target)
            log(f"[{backend}] expire_due_lots, batches of {args.batch:,} (load {os.getloadavg()[0]:.1f})")
            f.expired, f.expire_s, f.batches, f.retries = timed_expiry(backend, databases.url, args.batch, args.lots)
            log(f"[{backend}] expire_due_lots: {f.expired:,} lots in {f.expire_s:.1f} s, {f.batches} batches")

            f.verified = verify(databases.url, lots=args.lots, later=args.later)
            if f.updated != args.lots or f.floor_expired != args.lots:
                f.verified.append(f"the plain UPDATE changed {f.updated:,} lots and the same writes in SQL expired "
                                  f"{f.floor_expired:,}, not {args.lots:,}")
            log(f"[{backend}] timebank ledger check")
            t0 = time.perf_counter()
            status, said = cli(databases.url, "ledger", "check")
            f.check_after_s = time.perf_counter() - t0
            f.check_after = "clean" if status == 0 else f"**{said.splitlines()[-1]}**"
            log(f"[{backend}] {said.splitlines()[-1]} ({f.check_after_s:.0f} s)")
            failed = failed or status != 0 or bool(f.verified)
        finally:
            databases.drop()
            log(f"[{backend}] benchmark databases removed")
    env["load_end"] = machine_load()
    print_report(args, env, figures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
