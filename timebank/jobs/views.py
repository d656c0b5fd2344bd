"""The admin's page of the scheduled jobs: each job's schedule and last run with a button to run it now, and every
run, newest first, paged and filtered by job and outcome."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from timebank.auth.access import allow
from timebank.db import get_db
from timebank.jobs import services
from timebank.jobs.permissions import READ_JOB_RUNS, RUN_JOB
from timebank.jobs.registry import COUNT_NAMES, JOBS, job_named
from timebank.jobs.rules import parse_schedule
from timebank.jobs.schemas import JobRunListQuerySchema
from timebank.paging import Page
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import query
from timebank.web.lists import ListFilter

PER_PAGE = 20
bp = page_blueprint("jobs", __name__, url_prefix="/jobs", template_folder="templates")

OUTCOME_NAMES = {
    "running": _l("Running"),
    "succeeded": _l("Succeeded"),
    "failed": _l("Failed"),
    "skipped": _l("Skipped: another run was going on"),
    "interrupted": _l("Interrupted"),
}
WAY_STARTED_NAMES = {
    "schedule": _l("On schedule"),
    "command": _l("Command line"),
    "api": _l("API"),
    "page": _l("This page"),
}


@bp.get("/")
@allow(READ_JOB_RUNS)
def index():
    db, actor = get_db(), current_principal()
    args = query(JobRunListQuerySchema())
    if "per_page" not in request.args:
        args["per_page"] = PER_PAGE
    runs = services.list_runs(db, actor=actor, **args)
    statuses = services.job_statuses(db, actor=actor)
    jobs = Page(items=tuple(statuses), total=len(statuses), page=1, per_page=max(1, len(statuses)), pages=1)
    filters = [ListFilter("job", _l("Job"), tuple((job.name, job.title) for job in JOBS), _l("All jobs")),
               ListFilter("outcome", _l("Outcome"), tuple(OUTCOME_NAMES.items()), _l("All outcomes"))]
    return render_template("jobs/index.html", jobs=jobs, runs=runs, filters=filters, titles=_titles(),
                           schedules=_schedules(),
                           outcomes=OUTCOME_NAMES, ways_started=WAY_STARTED_NAMES, count_names=COUNT_NAMES,
                           zone=current_app.config["TIMEZONE"])


@bp.post("/<string:name>/run")
@allow(RUN_JOB)
def run(name: str):
    run = services.run_job(get_db(), actor=current_principal(), name=name, started_via="page")
    title = job_named(run.job).title
    if run.outcome == "succeeded":
        counts = _("; ").join(_("%(name)s: %(value)s", name=COUNT_NAMES.get(key, key), value=value)
                              for key, value in run.counts.items())
        flash(_("%(job)s ran: %(counts)s.", job=title, counts=counts) if counts else
              _("%(job)s ran.", job=title), "success")
    elif run.outcome == "skipped":
        flash(_("%(job)s is running already (started elsewhere), so this run did nothing. Look below for how that "
                "run ends.", job=title), "error")
    else:
        flash(_("%(job)s failed: %(error)s", job=title, error=run.error), "error")
    return redirect(url_for("jobs.index"))


def _schedules() -> dict:
    """Each job's schedule as a person says it; one that cannot be read says so (the scheduler refuses to start)."""
    described = {}
    for job in JOBS:
        text = services.schedule_text(job, current_app.config)
        try:
            described[job.name] = parse_schedule(text).describe()
        except ValueError:
            described[job.name] = _l("Cannot be read: %(schedule)s", schedule=text)
    return described


def _titles() -> dict:
    return {job.name: job.title for job in JOBS}
