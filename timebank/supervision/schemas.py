"""What crosses the HTTP boundary for review periods and the published results (SPEC §3.6, §8.1): the one contract
for the API and the pages."""
from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import fields, validate

from timebank.hours.supervision.rules import KINDS
from timebank.paging import MAX_ID
from timebank.schemas import PageSchema, PagingQuerySchema, Schema
from timebank.supervision import rules


def period_label(period) -> str:
    return rules.period_label(period.year, period.number, chinese=str(get_locale() or "").startswith("zh"))


def supervisor_label(number: int) -> str:
    return _("Supervisor %(number)s", number=number)


class _PeriodFields(Schema):
    year = fields.Integer(dump_only=True)
    number = fields.Integer(dump_only=True, metadata={"description": "1: January–February … 6: November–December"})
    label = fields.Function(period_label, dump_only=True, metadata={"description": "in the reader's language"})
    starts_at = fields.AwareDateTime(dump_only=True, format="iso", metadata={"description": "its first moment"})
    ends_at = fields.AwareDateTime(dump_only=True, format="iso",
                                   metadata={"description": "the next period's first moment"})
    closed_at = fields.AwareDateTime(dump_only=True, format="iso", allow_none=True)


class PeriodSchema(_PeriodFields):
    id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": list(rules.STATUSES)})


class CenterStatusSchema(Schema):
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    sample_drawn = fields.Boolean(dump_only=True)
    evaluations = fields.Integer(dump_only=True, metadata={"description": "how many supervisors have evaluated it"})
    evaluated_by_me = fields.Boolean(dump_only=True)
    published = fields.Boolean(dump_only=True)


class PeriodItemSchema(Schema):
    period = fields.Nested(PeriodSchema, dump_only=True)
    centers = fields.List(fields.Nested(CenterStatusSchema), dump_only=True,
                          metadata={"description": "the caller's centers"})


class PeriodPageSchema(PageSchema):
    items = fields.List(fields.Nested(PeriodItemSchema), required=True, metadata={"description": "newest first"})


class PeriodListQuerySchema(PagingQuerySchema):
    pass


class PeriodDetailQuerySchema(Schema):
    center = fields.String(validate=validate.Length(min=1, max=32),
                           metadata={"description": "a center's code: its sample, ratings, anomalies, evaluations"})


class ScoresSchema(Schema):
    punctuality = fields.Integer(required=True, validate=validate.Range(rules.SCORE_MIN, rules.SCORE_MAX),
                                 metadata={"description": "守时"})
    service_quality = fields.Integer(required=True, validate=validate.Range(rules.SCORE_MIN, rules.SCORE_MAX),
                                     metadata={"description": "服务质量"})
    record_keeping = fields.Integer(required=True, validate=validate.Range(rules.SCORE_MIN, rules.SCORE_MAX),
                                    metadata={"description": "记录规范"})
    satisfaction = fields.Integer(required=True, validate=validate.Range(rules.SCORE_MIN, rules.SCORE_MAX),
                                  metadata={"description": "居民满意度"})


class EvaluationCreateSchema(Schema):
    center = fields.String(required=True, validate=validate.Length(min=1, max=32))
    scores = fields.Nested(ScoresSchema, required=True)
    comment = fields.String(validate=validate.Length(max=rules.COMMENT_MAX), allow_none=True,
                            metadata={"description": "published when the period closes (names are masked)"})


class EvaluationSchema(Schema):
    supervisor = fields.String(dump_only=True, metadata={"description": "the supervisor's username"})
    scores = fields.Dict(dump_only=True)
    comment = fields.String(dump_only=True, allow_none=True)
    updated_at = fields.AwareDateTime(dump_only=True, format="iso")


class SavedEvaluationSchema(Schema):
    period_id = fields.Integer(dump_only=True)
    center = fields.String(dump_only=True)
    scores = fields.Dict(dump_only=True)
    comment = fields.String(dump_only=True, allow_none=True)
    updated_at = fields.AwareDateTime(dump_only=True, format="iso")


class SampleRecordSchema(Schema):
    id = fields.Integer(dump_only=True)
    volunteer_id = fields.Integer(dump_only=True)
    service_type = fields.String(dump_only=True)
    started_at = fields.AwareDateTime(dump_only=True, format="iso")
    ended_at = fields.AwareDateTime(dump_only=True, format="iso")
    minutes = fields.Integer(dump_only=True)
    rating = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "the resident's, 1–5"})


class ReviewAnomalySchema(Schema):
    kind = fields.String(dump_only=True, attribute="anomaly.kind", metadata={"enum": list(KINDS)})
    record_ids = fields.List(fields.Integer(), dump_only=True, attribute="anomaly.record_ids")
    at = fields.AwareDateTime(dump_only=True, format="iso", attribute="anomaly.at")
    detail = fields.Dict(dump_only=True, attribute="anomaly.detail")
    explained = fields.Function(lambda item: item.note is not None, dump_only=True)
    note = fields.String(dump_only=True, allow_none=True)


class CenterReviewSchema(Schema):
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    sample = fields.List(fields.Nested(SampleRecordSchema), dump_only=True,
                         metadata={"description": "drawn once per period and center, at random"})
    approved_records = fields.Integer(dump_only=True)
    rating_count = fields.Integer(dump_only=True)
    rating_average = fields.Float(dump_only=True, allow_none=True)
    anomalies = fields.List(fields.Nested(ReviewAnomalySchema), dump_only=True)
    anomalies_resolved = fields.Integer(dump_only=True)
    evaluations = fields.List(fields.Nested(EvaluationSchema), dump_only=True)
    result = fields.Dict(dump_only=True, allow_none=True, metadata={"description": "the published figures"})


class PeriodDetailSchema(Schema):
    period = fields.Nested(PeriodSchema, dump_only=True)
    centers = fields.List(fields.Nested(CenterStatusSchema), dump_only=True)
    center = fields.Nested(CenterReviewSchema, dump_only=True, allow_none=True)


class ExplanationCreateSchema(Schema):
    center = fields.String(required=True, validate=validate.Length(min=1, max=32))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    record_ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=MAX_ID)), required=True,
                             validate=validate.Length(min=1, max=50))
    note = fields.String(required=True, validate=validate.Length(min=1, max=rules.NOTE_MAX))


class ExplanationSchema(Schema):
    period_id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True)
    anomaly_key = fields.String(dump_only=True)
    note = fields.String(dump_only=True)
    explained_at = fields.AwareDateTime(dump_only=True, format="iso")


# --- published (no sign-in) -------------------------------------------------------------------------------------------

class PublishedEvaluationSchema(Schema):
    supervisor = fields.Integer(dump_only=True, metadata={"description": "a number per center and period: no name"})
    label = fields.Function(lambda e: supervisor_label(e["supervisor"]), dump_only=True)
    scores = fields.Dict(dump_only=True)
    comment = fields.String(dump_only=True, allow_none=True)


class PublishedPeriodSchema(_PeriodFields):
    hours_served = fields.Function(lambda p: p.figures.get("hours_served"), dump_only=True, allow_none=True,
                                   metadata={"description": "null when fewer than 5 volunteers served"})
    volunteers_active = fields.Function(lambda p: p.figures.get("volunteers_active"), dump_only=True,
                                        allow_none=True, metadata={"description": "null when fewer than 5"})
    rating_average = fields.Function(lambda p: p.figures.get("rating_average"), dump_only=True, allow_none=True,
                                     metadata={"description": "null when fewer than 5 ratings"})
    rating_count = fields.Function(lambda p: p.figures.get("rating_count"), dump_only=True, allow_none=True)
    evaluations = fields.Function(lambda p: PublishedEvaluationSchema(many=True).dump(p.figures.get("evaluations",
                                                                                                    [])),
                                  dump_only=True)
    anomalies_found = fields.Function(lambda p: p.figures.get("anomalies_found"), dump_only=True)
    anomalies_resolved = fields.Function(lambda p: p.figures.get("anomalies_resolved"), dump_only=True)


class PublicCenterSchema(Schema):
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    district = fields.String(dump_only=True)
    periods = fields.List(fields.Nested(PublishedPeriodSchema), dump_only=True,
                          metadata={"description": "the closed periods, newest first"})


class PublicCenterSummarySchema(Schema):
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    district = fields.String(dump_only=True)
    latest = fields.Nested(PublishedPeriodSchema, dump_only=True, allow_none=True)


class PublicCenterPageSchema(PageSchema):
    items = fields.List(fields.Nested(PublicCenterSummarySchema), required=True)


class PublicCenterListQuerySchema(PagingQuerySchema):
    pass
