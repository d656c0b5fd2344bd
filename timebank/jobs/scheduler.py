"""``timebank scheduler``: the jobs on their schedules, in a process of its own (never inside a web worker).

An APScheduler 3 ``BlockingScheduler`` in the time zone of ``TIMEBANK_TIMEZONE``, one APScheduler job per job of the
registry whose schedule is not ``off``, each with ``coalesce`` (runs missed while the process was busy become one)
and ``max_instances=1`` (a job never overlaps itself in this process; the job's lock keeps other processes out).
Nothing is kept in APScheduler's memory that matters: when it starts, a job whose run fell due while no scheduler was
running (``Schedule.missed``, from the recorded runs) runs at once, and that one run catches up on everything.

SIGTERM (``systemctl stop``) or SIGINT stops it: no new run starts, a run in progress finishes and is recorded, and
the process exits with status 0.
"""
from __future__ import annotations

import logging
import signal
import threading
from datetime import tzinfo
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.jobs import services
from timebank.jobs.registry import JOBS
from timebank.jobs.rules import Schedule

log = logging.getLogger(__name__)

SCHEDULER = Principal.system("scheduler")


def build_scheduler(app: Flask) -> BlockingScheduler:
    """The scheduler with every scheduled job added; ``services.BadSchedule`` when a schedule cannot be read."""
    schedules = services.configured_schedules(app.config)
    zone = ZoneInfo(app.config["TIMEZONE"])
    scheduler = BlockingScheduler(timezone=zone, job_defaults={
        "coalesce": True, "max_instances": 1,
        "misfire_grace_time": None,  # a run that starts late (a busy machine) still runs, however late
    })
    succeeded = services.last_successes(get_db(app))
    now = utcnow()
    for job in JOBS:
        schedule = schedules[job.name]
        if schedule.off:
            log.info("%s: off (TIMEBANK_%s)", job.name, job.setting)
            continue
        catch_up = schedule.missed(succeeded.get(job.name), now, zone)
        options = {"next_run_time": now} if catch_up else {}
        scheduler.add_job(run_scheduled, schedule.trigger(zone), args=(app, job.name, schedule, zone),
                          id=job.name, name=job.name, **options)
        log.info("%s: %s%s", job.name, schedule.text, ", missed a run: runs now" if catch_up else "")
    return scheduler


def run_scheduled(app: Flask, name: str, schedule: Schedule, zone: tzinfo) -> None:
    """One scheduled run (on one of APScheduler's threads). Never raises: a failure is recorded with the run, and
    one that could not even be recorded (the database is down) is logged; the next run tries again."""
    with app.app_context():
        try:
            services.run_job(get_db(app), actor=SCHEDULER, name=name, started_via="schedule", schedule=schedule,
                             zone=zone)
        except Exception:  # noqa: BLE001 - keep the scheduler alive for the next run
            log.exception("%s: the run could not be recorded", name)


def serve(scheduler: BlockingScheduler) -> None:
    """Run until SIGTERM or SIGINT, then let a run in progress finish, and return."""
    stopping = threading.Event()
    stopper: list[threading.Thread] = []

    def stop(signum, _frame):
        if stopping.is_set():
            return
        stopping.set()
        log.info("stopping (%s): no new runs; a run in progress finishes first", signal.Signals(signum).name)
        # shutdown() waits for running jobs and takes the scheduler's locks, which the interrupted main thread may
        # hold: it runs on a thread of its own, and the main loop ends when it is done.
        thread = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, name="scheduler-shutdown")
        stopper.append(thread)
        thread.start()

    previous = {}

    def started(_event):
        # Only once it runs: a SIGTERM before that ends the process as usual, with nothing started yet.
        previous.update({number: signal.signal(number, stop) for number in (signal.SIGTERM, signal.SIGINT)})

    scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
    try:
        scheduler.start()
    finally:
        for thread in stopper:
            thread.join()
        for number, handler in previous.items():
            signal.signal(number, handler)
    log.info("stopped")
