"""Running a job and reading its runs: the one path the scheduler, ``timebank jobs run``, the API and the admin's page
all take.

``run_job`` takes the job's lock (``locks.job_lock``), records the run as ``running`` (so the admin sees it while it
lasts), runs the job's function with the run's ``now`` and records how it ended: ``succeeded`` with its counts, or
``failed`` with the error, in which case nothing else changes and the next run simply tries again. A run that finds
the lock taken does nothing and is recorded as ``skipped``. A run still ``running`` when the job's next run gets the
lock was cut short (its process died) and is marked ``interrupted``.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Mapping

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import DomainError, NotFound
from timebank.jobs.locks import job_lock
from timebank.jobs.models import ERROR_MAX, JobRun
from timebank.jobs.permissions import READ_JOB_RUNS, RUN_JOB
from timebank.jobs.registry import JOBS, Job, JobContext, job_named
from timebank.jobs.rules import Schedule, parse_schedule
from timebank.paging import Page, paginate

log = logging.getLogger(__name__)

R = JobRun.__table__
INTERRUPTED = "the process running it stopped before the run finished"


class UnknownJob(NotFound):
    message = _l("There is no job named %(name)s.")


@dataclass(frozen=True)
class JobRunView:
    id: int
    job: str
    started_via: str
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    counts: dict
    error: str | None

    @property
    def seconds(self) -> float | None:
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None


@dataclass(frozen=True)
class JobStatus:
    """A job with its latest run, and when it last succeeded."""

    job: Job
    last_run: JobRunView | None
    last_success: datetime | None


class BadSchedule(ValueError):
    """A ``TIMEBANK_<JOB>_SCHEDULE`` that cannot be read: the scheduler refuses to start, naming it."""


def schedule_text(job: Job, config: Mapping) -> str:
    """What the operator set as ``job``'s schedule (``TIMEBANK_<JOB>_SCHEDULE``), else the job's default."""
    return str(config.get(job.setting) or job.default_schedule)


def configured_schedules(config: Mapping) -> dict[str, Schedule]:
    """Each job's schedule, read; ``BadSchedule`` naming every setting that cannot be read."""
    schedules, problems = {}, []
    for job in JOBS:
        try:
            schedules[job.name] = parse_schedule(schedule_text(job, config))
        except ValueError as error:
            problems.append(f"TIMEBANK_{job.setting}: {error}")
    if problems:
        raise BadSchedule("; ".join(problems))
    return schedules


def get_job(name: str) -> Job:
    found = job_named(name)
    if found is None:
        raise UnknownJob(name=name[:60])
    return found


def run_job(db: Database, *, actor: Principal, name: str, started_via: str, now: datetime | None = None,
            schedule: Schedule | None = None, zone: tzinfo | None = None) -> JobRunView:
    """Run job ``name`` now, once: the run as recorded. ``now`` is the clock the job runs at (the server's by
    default); ``schedule`` is given by the scheduler (a run by hand runs as if it were due, SPEC §6)."""
    RUN_JOB.require(actor)
    job = get_job(name)
    started = now or utcnow()
    with job_lock(db, job.name) as held:
        if not held:
            log.info("%s: skipped, another run holds its lock", job.name)
            return db.transaction(lambda s: _record(s, job, started_via, actor, started, outcome="skipped",
                                                    finished_at=started))
        run = db.transaction(lambda s: _start(s, job, started_via, actor, started))
        clock = time.monotonic()
        context = JobContext(name=job.name, run_id=run.id, now=started, schedule=schedule, zone=zone)
        try:
            counts = job.run(db, context)
        except Exception as error:  # noqa: BLE001 - whatever a job raises is its run's outcome, recorded below
            log.exception("%s: run %s failed", job.name, run.id)
            finished, described = started + timedelta(seconds=time.monotonic() - clock), _describe(error)
            return db.transaction(lambda s: _finish(s, run.id, finished, "failed", {}, described))
        finished = started + timedelta(seconds=time.monotonic() - clock)
        log.info("%s: run %s succeeded %s", job.name, run.id, counts)
        return db.transaction(lambda s: _finish(s, run.id, finished, "succeeded", dict(counts), None))


def list_runs(db: Database, *, actor: Principal, job: str | None = None, outcome: str | None = None,
              page: int = 1, per_page: int = 50) -> Page[JobRunView]:
    """The runs, newest first, of one job or all, of one outcome or all."""
    READ_JOB_RUNS.require(actor)
    query = select(R)
    if job:
        query = query.where(R.c.job == job)
    if outcome:
        query = query.where(R.c.outcome == outcome)
    query = query.order_by(R.c.started_at.desc(), R.c.id.desc())
    return db.transaction(lambda s: paginate(s, query, page=page, per_page=per_page, to_item=_view), readonly=True)


def job_statuses(db: Database, *, actor: Principal) -> list[JobStatus]:
    """Every job with its latest run and when it last succeeded."""
    READ_JOB_RUNS.require(actor)

    def read(s: Session) -> list[JobStatus]:
        successes = _last_successes(s)
        statuses = []
        for job in JOBS:
            latest = s.execute(select(R).where(R.c.job == job.name)
                               .order_by(R.c.started_at.desc(), R.c.id.desc()).limit(1)).first()
            statuses.append(JobStatus(job=job, last_run=_view(latest) if latest else None,
                                      last_success=successes.get(job.name)))
        return statuses

    return db.transaction(read, readonly=True)


def last_successes(db: Database) -> dict[str, datetime]:
    """When each job last started a run that succeeded (the scheduler's catch-up reads it)."""
    return db.transaction(_last_successes, readonly=True)


def _last_successes(s: Session) -> dict[str, datetime]:
    rows = s.execute(select(R.c.job, func.max(R.c.started_at).label("at"))
                     .where(R.c.outcome == "succeeded").group_by(R.c.job)).all()
    return {row.job: row.at for row in rows}


def _start(s: Session, job: Job, started_via: str, actor: Principal, started: datetime) -> JobRunView:
    # Holding the lock, no other run of this job is alive: one still "running" lost its process.
    s.execute(update(R).where(R.c.job == job.name, R.c.outcome == "running")
              .values(outcome="interrupted", finished_at=started, error=INTERRUPTED))
    return _record(s, job, started_via, actor, started, outcome="running", finished_at=None)


def _record(s: Session, job: Job, started_via: str, actor: Principal, started: datetime, *, outcome: str,
            finished_at: datetime | None) -> JobRunView:
    run_id = s.execute(insert(R).values(job=job.name, started_via=started_via, started_by=actor.username[:60],
                                        started_at=started, finished_at=finished_at, outcome=outcome, counts={},
                                        error=None).returning(R.c.id)).scalar_one()
    return _view(s.execute(select(R).where(R.c.id == run_id)).one())


def _finish(s: Session, run_id: int, finished: datetime, outcome: str, counts: dict, error: str | None):
    s.execute(update(R).where(R.c.id == run_id).values(finished_at=finished, outcome=outcome, counts=counts,
                                                       error=error))
    return _view(s.execute(select(R).where(R.c.id == run_id)).one())


def _describe(error: Exception) -> str:
    """What a failed run records: the refusal's code and sentence, or the exception's type and text, in English
    (operators read the logs in English, whoever started the run)."""
    with force_locale("en"):
        if isinstance(error, DomainError):
            text = f"{error.code}: {error.text()}"
        else:
            text = f"{type(error).__name__}: {error}"
    return text[:ERROR_MAX]


def _view(row) -> JobRunView:
    return JobRunView(id=row.id, job=row.job, started_via=row.started_via, started_by=row.started_by,
                      started_at=row.started_at, finished_at=row.finished_at, outcome=row.outcome,
                      counts=dict(row.counts or {}), error=row.error)
