"""``timebank jobs run NAME``, ``timebank jobs list`` and ``timebank scheduler``."""
from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext

from timebank.auth.access import Principal
from timebank.db import get_db
from timebank.jobs import services
from timebank.jobs.registry import JOBS
from timebank.jobs.scheduler import build_scheduler, serve

SKIPPED = 3  # the exit status of a run that found another run of the job holding its lock
NAMES = [job.name for job in JOBS]


@click.group("jobs", help="Run a scheduled job by hand, or list the jobs with their schedules and last runs.")
def jobs_cli():
    pass


@jobs_cli.command("run", help="Run one job now, as if it were due (rotate-keys makes a new key), and record the run. "
                              "Exit 0 when it succeeded, 1 when it failed, 3 when another run of it was going on "
                              "(nothing was done).")
@click.argument("name", type=click.Choice(NAMES), metavar="NAME")
@with_appcontext
def run_command(name):
    _log_to_stderr(logging.WARNING)  # what it did is the line below; a failure's traceback still goes to the log
    run = services.run_job(get_db(), actor=Principal.system("command line"), name=name, started_via="command")
    click.echo(f"{run.job}: {run.outcome} (run {run.id}, {_seconds(run)}){_counts(run)}")
    if run.outcome == "failed":
        click.echo(f"error: {run.error}", err=True)
        raise SystemExit(1)
    if run.outcome == "skipped":
        click.echo("another run of this job holds its lock; try again when it has finished", err=True)
        raise SystemExit(SKIPPED)


@jobs_cli.command("list", help="Every job, its schedule, and how its last run ended.")
@with_appcontext
def list_command():
    _schedules()  # refuse, naming it, a schedule the scheduler could not read
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    for status in services.job_statuses(get_db(), actor=Principal.system("command line")):
        last = status.last_run
        ended = (f"last run {last.outcome} at {last.started_at.astimezone(zone).isoformat(timespec='seconds')}"
                 if last else "never run")
        click.echo(f"{status.job.name:18} {services.schedule_text(status.job, current_app.config):14} {ended}")


@click.command("scheduler", help="Run the jobs on their schedules (TIMEBANK_<JOB>_SCHEDULE, in TIMEBANK_TIMEZONE) "
                                 "until SIGTERM. Exactly one should run; a second one does no harm (each run takes "
                                 "its job's lock) and no good.")
@with_appcontext
def scheduler_command():
    _log_to_stderr()
    app = current_app._get_current_object()
    try:
        scheduler = build_scheduler(app)
    except services.BadSchedule as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"scheduler: {len(scheduler.get_jobs())} jobs, times in {app.config['TIMEZONE']}; SIGTERM stops it",
               err=True)
    serve(scheduler)
    click.echo("scheduler: stopped", err=True)


def _schedules():
    try:
        return services.configured_schedules(current_app.config)
    except services.BadSchedule as error:
        raise click.UsageError(str(error)) from None


def _log_to_stderr(level: int = logging.INFO) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # its "Added job"/"Running job" lines repeat ours


def _seconds(run) -> str:
    return f"{run.seconds:.2f} s" if run.seconds is not None else "still running"


def _counts(run) -> str:
    return ": " + ", ".join(f"{key} {value}" for key, value in run.counts.items()) if run.counts else ""

