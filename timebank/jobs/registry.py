"""The jobs of SPEC §6, in one plain tuple (``JOBS``): a job's name, its title, its schedule when the operator sets
none, and its function.

A job's function is thin: it calls the features' services with the run's ``now`` (so a run after downtime catches up
on everything due, and a test or ``faketime`` controls the clock) and returns what it counted, which the run
records. Locking, recording and error handling are ``services.run_job``'s; a new job is one function and one entry.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l

from timebank.auth.access import Principal
from timebank.db import Database
from timebank.drives.stale import void_stale_reservations
from timebank.jobs.rules import Schedule
from timebank.ledger import standalone
from timebank.ledger.postings import Cause
from timebank.notices import services as notices
from timebank.receipts import keys


@dataclass(frozen=True)
class JobContext:
    """What one run gives its job: the clock it runs at, its id (the cause of every transfer it makes, SPEC §4.10),
    and the schedule it runs on (``None`` when started by hand: then it runs as if it were due)."""

    name: str
    run_id: int
    now: datetime
    schedule: Schedule | None = None
    zone: tzinfo | None = None

    @property
    def scheduled(self) -> bool:
        return self.schedule is not None

    @property
    def cause(self) -> Cause:
        return Cause.job(self.name, self.run_id)

    @property
    def actor(self) -> Principal:
        return Principal.system(self.name)


@dataclass(frozen=True)
class Job:
    name: str
    title: object  # a lazy translation, what the admin's page calls it
    run: Callable[[Database, JobContext], dict[str, int]]
    default_schedule: str

    @property
    def setting(self) -> str:
        """The configuration key of its schedule: ``TIMEBANK_EXPIRE_CREDITS_SCHEDULE`` sets ``expire-credits``'s."""
        return f"{self.name.upper().replace('-', '_')}_SCHEDULE"


def expire_credits(db: Database, run: JobContext) -> dict[str, int]:
    """Lots past their expiry date give their remainder to the expiry sink (each lot once)."""
    return {"lots_expired": standalone.expire_due_lots(db, cause=run.cause, now=run.now)}


def void_stale_holds(db: Database, run: JobContext) -> dict[str, int]:
    """Reservations past their drive's ``pickup_until`` give back credits and stock; then any other hold whose
    time ran out is released. Reservations first, so a reservation's hold returns together with its stock."""
    voided = void_stale_reservations(db, now=run.now, actor=run.actor)
    timed_out = standalone.void_timed_out_holds(db, cause=run.cause, now=run.now)
    return {"reservations_voided": voided, "holds_timed_out": timed_out}


def send_expiry_notices(db: Database, run: JobContext) -> dict[str, int]:
    """Volunteers with credits expiring within 30 days (and again within 7) get a notice, never twice for a lot
    and window, each with its message in the outbox; dated on the city's clock (``TIMEBANK_TIMEZONE``)."""
    zone = str(run.zone) if run.zone is not None else current_app.config["TIMEZONE"]
    return {"notices_sent": notices.send_expiry_notices(db, now=run.now, zone=zone)}


def rotate_keys(db: Database, run: JobContext) -> dict[str, int]:
    """A new receipt signing key; keys nothing valid was signed with any more are retired. Run by hand it always
    makes a key (SPEC §6); on its schedule only when the active key is older than half the schedule's period, so a
    second scheduler firing at the same moment, or a catch-up after downtime, makes no second key."""
    older_than = None
    if run.schedule is not None:
        period = run.schedule.period(run.now, run.zone)
        older_than = period / 2 if period is not None else None
    rotation = keys.rotate_keys(db, now=run.now, if_older_than=older_than)
    return {"keys_created": int(rotation.new_key_id is not None), "keys_retired": len(rotation.retired_key_ids)}


JOBS: tuple[Job, ...] = (
    Job("expire-credits", _l("Expire credits"), expire_credits, default_schedule="10 0 * * *"),
    Job("void-stale-holds", _l("Void reservations not picked up"), void_stale_holds, default_schedule="every 5m"),
    # 08:00: a notice that a later channel sends by SMS should not wake anyone.
    Job("expiry-notices", _l("Expiry notices"), send_expiry_notices, default_schedule="0 8 * * *"),
    Job("rotate-keys", _l("Rotate the signing keys"), rotate_keys, default_schedule="0 3 1 * *"),
)

# What the counts a job returns are called on the admin's page (a count missing here is shown by its key).
COUNT_NAMES = {
    "lots_expired": _l("Lots expired"),
    "reservations_voided": _l("Reservations voided"),
    "holds_timed_out": _l("Holds timed out"),
    "notices_sent": _l("Notices sent"),
    "keys_created": _l("Keys created"),
    "keys_retired": _l("Keys retired"),
}


def job_named(name: str) -> Job | None:
    return next((job for job in JOBS if job.name == name), None)
