"""One run of a job at a time, across processes and machines: ``with job_lock(db, name) as held:``.

On PostgreSQL a session advisory lock (``pg_try_advisory_lock``) on a connection of its own, kept for the whole run
(a job runs many transactions of its own); the server releases it when that connection ends, so a process that dies
holding it frees it at once.

On SQLite a row of ``job_lock`` taken in a write transaction (``BEGIN IMMEDIATE``: one writer at a time, so two
processes cannot both find it free). The row names its holder's machine and process (its number and, on Linux, when
it started, so a number the system gave to a new process does not count); while the run lasts, a thread renews the
row every ``RENEW_EVERY``. A row may be taken over when its holder's process is gone from this machine (a crash, a
kill), or, when it was written on another machine (a container started again under a new name), once it has not
been renewed for ``LEASE``. On one machine the clock is never asked: a process under ``faketime`` must not take a
live lock because the renewal looks old to it.

Neither waits: a second run finds the lock taken and is recorded as ``skipped``. The jobs are idempotent anyway, so a
lock lost mid-run (a PostgreSQL restart) costs time, never a second effect.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Iterator

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from timebank.clock import utcnow
from timebank.db import Database
from timebank.jobs.models import JobLock
from timebank.jobs.rules import advisory_lock_key

log = logging.getLogger(__name__)

LK = JobLock.__table__
LEASE = timedelta(minutes=10)
RENEW_EVERY = timedelta(minutes=1)

_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")


@contextmanager
def job_lock(db: Database, job_name: str) -> Iterator[bool]:
    """Yield True while this process holds ``job_name``'s lock, False (at once) when another run holds it."""
    if db.in_transaction:
        # Inside a caller's unit of work the lock row would not commit before the job ran: a bug, never a user's.
        raise RuntimeError("a job's lock is taken outside any unit of work")
    if db.is_sqlite:
        with _lock_row(db, job_name) as held:
            yield held
    else:
        with _advisory_lock(db, job_name) as held:
            yield held


@contextmanager
def _advisory_lock(db: Database, job_name: str) -> Iterator[bool]:
    key = advisory_lock_key(job_name)
    connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        held = bool(connection.execute(_TRY_LOCK, {"key": key}).scalar_one())
        try:
            yield held
        finally:
            if held:
                try:
                    connection.execute(_UNLOCK, {"key": key})
                except Exception:  # noqa: BLE001 - the lock must not go back to the pool still held
                    log.exception("could not release the lock of %s; closing its connection instead", job_name)
                    connection.invalidate()
    finally:
        connection.close()


@contextmanager
def _lock_row(db: Database, job_name: str) -> Iterator[bool]:
    holder = secrets.token_hex(16)
    if not db.transaction(lambda s: _take_row(s, job_name, holder)):
        yield False
        return
    stop = threading.Event()
    renewer = threading.Thread(target=_renew_until, args=(db, job_name, holder, stop), daemon=True,
                               name=f"lock-{job_name}")
    renewer.start()
    try:
        yield True
    finally:
        stop.set()
        renewer.join()
        db.transaction(lambda s: s.execute(update(LK).where(LK.c.job == job_name, LK.c.holder == holder)
                                           .values(holder=None, host=None, pid=None, process_started=None)))


def _take_row(s: Session, job_name: str, holder: str) -> bool:
    now = utcnow()
    mine = dict(holder=holder, host=socket.gethostname()[:255], pid=os.getpid(),
                process_started=_process_started(os.getpid()), acquired_at=now, renewed_at=now)
    row = s.execute(select(LK).where(LK.c.job == job_name)).first()
    if row is None:
        s.execute(insert(LK).values(job=job_name, **mine))
        return True
    if row.holder is not None and not _abandoned(row, now):
        return False
    if row.holder is not None:
        log.warning("taking over the lock of %s from process %s on %s (gone, or silent since %s)",
                    job_name, row.pid, row.host, row.renewed_at)
    s.execute(update(LK).where(LK.c.job == job_name).values(**mine))
    return True


def _abandoned(row, now) -> bool:
    if row.host == socket.gethostname()[:255] and row.pid is not None:
        return not _running(row.pid, row.process_started)
    return row.renewed_at is None or row.renewed_at < now - LEASE


def _running(pid: int, started: str | None) -> bool:
    """Whether process ``pid`` exists and is the one that started at ``started`` (when that was recorded)."""
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    return started is None or _process_started(pid) in (None, started)


def _process_started(pid: int) -> str | None:
    """When process ``pid`` started, in clock ticks since boot (Linux's /proc/PID/stat, field 22); None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces and parentheses
    return fields[19] if len(fields) > 19 else None


def _renew_until(db: Database, job_name: str, holder: str, stop: threading.Event) -> None:
    while not stop.wait(RENEW_EVERY.total_seconds()):
        try:
            db.transaction(lambda s: s.execute(update(LK).where(LK.c.job == job_name, LK.c.holder == holder)
                                               .values(renewed_at=utcnow())))
        except Exception:  # noqa: BLE001 - a busy database now and then; the lease is ten renewals long
            log.exception("could not renew the lock of %s", job_name)
