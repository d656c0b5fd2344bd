"""What crosses the HTTP boundary for the jobs: a run, a page of runs and the list's query."""
from __future__ import annotations

from marshmallow import fields, validate

from timebank.jobs.models import OUTCOMES, WAYS_STARTED
from timebank.jobs.registry import JOBS
from timebank.schemas import PageSchema, PagingQuerySchema, Schema

JOB_NAMES = tuple(job.name for job in JOBS)


class JobRunSchema(Schema):
    id = fields.Integer(dump_only=True)
    job = fields.String(dump_only=True, metadata={"enum": list(JOB_NAMES), "example": "expire-credits"})
    started_via = fields.String(dump_only=True, metadata={"enum": list(WAYS_STARTED),
                                                      "description": "what started it: the scheduler or a person"})
    started_by = fields.String(dump_only=True, metadata={"description": "the admin's username, or the system"})
    started_at = fields.AwareDateTime(dump_only=True, format="iso")
    finished_at = fields.AwareDateTime(dump_only=True, format="iso", allow_none=True,
                                       metadata={"description": "null while it runs"})
    outcome = fields.String(dump_only=True, metadata={
        "enum": list(OUTCOMES),
        "description": "skipped: another run of the job held its lock and this one did nothing; interrupted: its "
                       "process stopped before it finished"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), dump_only=True,
                         metadata={"example": {"lots_expired": 12}})
    error = fields.String(dump_only=True, allow_none=True, metadata={"description": "why it failed (English)"})


class JobRunListQuerySchema(PagingQuerySchema):
    job = fields.String(validate=validate.OneOf(JOB_NAMES))
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))


class JobRunPageSchema(PageSchema):
    items = fields.List(fields.Nested(JobRunSchema), required=True)
