"""The jobs' tables: every run of a job, and the lock rows that keep one run of a job at a time on SQLite."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, Column, Index, Integer, String
from sqlmodel import Field, SQLModel

from timebank.db import UTCDateTime
from timebank.ledger.models import BigId

OUTCOMES = ("running", "succeeded", "failed", "skipped", "interrupted")
WAYS_STARTED = ("schedule", "command", "api", "page")
JOB_NAME_MAX = 40
ERROR_MAX = 2000


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class JobRun(SQLModel, table=True):
    """One run of a job: started by the scheduler or by hand, and how it ended. ``running`` until it ends;
    ``skipped`` when another run of the same job held the lock (nothing was done); ``interrupted`` when its process
    stopped before it could say (found by the job's next run)."""

    __tablename__ = "job_run"
    __table_args__ = (
        CheckConstraint(_one_of("outcome", OUTCOMES), name="job_run_outcome"),
        CheckConstraint(_one_of("started_via", WAYS_STARTED), name="job_run_started_via"),
        CheckConstraint("outcome = 'running' OR finished_at IS NOT NULL", name="job_run_finished_when"),
        Index("ix_job_run_started", "started_at", "id"),
        Index("ix_job_run_job_outcome", "job", "outcome", "started_at"),
    )

    id: Optional[int] = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    job: str = Field(sa_column=Column(String(JOB_NAME_MAX), nullable=False))
    started_via: str = Field(sa_column=Column(String(16), nullable=False))
    started_by: str = Field(sa_column=Column(String(60), nullable=False))  # a username, or "scheduler"
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    finished_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    outcome: str = Field(sa_column=Column(String(16), nullable=False))
    counts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: Optional[str] = Field(default=None, sa_column=Column(String(ERROR_MAX), nullable=True))


class JobLock(SQLModel, table=True):
    """SQLite's stand-in for PostgreSQL's advisory lock: a job's row names the run holding it (``holder``), its
    machine and process. A holder renews ``renewed_at`` while it runs; a row whose process is gone from this machine,
    or written on another machine and no longer renewed, may be taken over (``locks.py``). PostgreSQL never writes
    here."""

    __tablename__ = "job_lock"

    job: str = Field(sa_column=Column(String(JOB_NAME_MAX), primary_key=True))
    holder: Optional[str] = Field(default=None, sa_column=Column(String(32), nullable=True))
    host: Optional[str] = Field(default=None, sa_column=Column(String(255), nullable=True))
    pid: Optional[int] = Field(default=None, sa_column=Column(Integer, nullable=True))
    process_started: Optional[str] = Field(default=None, sa_column=Column(String(32), nullable=True))
    acquired_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    renewed_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
