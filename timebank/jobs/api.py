"""``/api/v1/jobs``: the runs of the scheduled jobs, and running one now (SPEC §6, §8). Admins only."""
from __future__ import annotations

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.jobs import services
from timebank.jobs.permissions import READ_JOB_RUNS, RUN_JOB
from timebank.jobs.schemas import JobRunListQuerySchema, JobRunPageSchema, JobRunSchema

blp = ApiBlueprint("jobs", __name__, description="The scheduled jobs (expire-credits, void-stale-holds, "
                                                 "expiry-notices, rotate-keys) and their runs")


@blp.get("/jobs/runs")
@allow(READ_JOB_RUNS)
@blp.arguments(JobRunListQuerySchema, location="query")
@blp.response(200, JobRunPageSchema, description="one page of runs, newest first")
def list_job_runs(query):
    """The jobs' runs, newest first, filtered by job and outcome"""
    return services.list_runs(get_db(), actor=current_principal(), **query)


@blp.post("/jobs/<string:name>/run")
@allow(RUN_JOB)
@blp.response(201, JobRunSchema, description="the run, as recorded when it ended: succeeded, failed (with its "
                                             "error) or skipped (another run of the job held its lock)")
def run_job(name: str):
    """Run a job now, as if it were due, and wait for it to end"""
    return services.run_job(get_db(), actor=current_principal(), name=name, started_via="api")
