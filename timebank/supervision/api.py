"""``/api/v1/reviews/periods`` (SPEC §8.1, §3.6): the periods, one period's center work, evaluations, closing; and
``POST /api/v1/anomalies/explanations`` (staff's note on an anomaly). Each view: load, one service, dump."""
from __future__ import annotations

from flask import current_app

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.supervision import queries, services
from timebank.supervision.permissions import CLOSE_PERIODS, EVALUATE_CENTERS, EXPLAIN_ANOMALIES, READ_REVIEWS
from timebank.supervision.schemas import (
    EvaluationCreateSchema,
    ExplanationCreateSchema,
    ExplanationSchema,
    PeriodDetailQuerySchema,
    PeriodDetailSchema,
    PeriodListQuerySchema,
    PeriodPageSchema,
    PeriodSchema,
    SavedEvaluationSchema,
)

blp = ApiBlueprint("reviews", __name__, description="Supervision periods (过程评价): samples, evaluations, "
                                                    "anomaly explanations, closing and publishing")


def _zone() -> str:
    return current_app.config["TIMEZONE"]


@blp.get("/reviews/periods")
@allow(READ_REVIEWS)
@blp.arguments(PeriodListQuerySchema, location="query")
@blp.response(200, PeriodPageSchema, description="one page of periods, newest first")
def list_review_periods(query):
    """The two-month review periods (the current one opened on first use), with the caller's centers' progress"""
    return queries.list_periods(get_db(), actor=current_principal(), zone=_zone(), **query)


@blp.get("/reviews/periods/<int:period_id>")
@allow(READ_REVIEWS)
@blp.arguments(PeriodDetailQuerySchema, location="query")
@blp.response(200, PeriodDetailSchema, description="the period; with ?center= that center's sample, ratings, "
                                                   "anomalies and evaluations")
def get_review_period(query, period_id: int):
    """One period; a supervisor of the center asking for it while open draws its sample (once)"""
    return queries.period_detail(get_db(), actor=current_principal(), period_id=period_id, zone=_zone(), **query)


@blp.post("/reviews/periods/<int:period_id>/evaluations")
@allow(EVALUATE_CENTERS)
@blp.arguments(EvaluationCreateSchema)
@blp.response(200, SavedEvaluationSchema, description="the caller's evaluation of the center, as saved")
@blp.refuses(409, "period_closed: the period is closed and published")
def evaluate_review_center(data, period_id: int):
    """A supervisor assigned to the center scores it 1–5 on four aspects with a comment (sent again: replaced)"""
    row = services.evaluate_center(get_db(), actor=current_principal(), period_id=period_id, **data)
    return {"period_id": row.period_id, "center": data["center"].strip().upper(),
            "scores": {aspect: getattr(row, aspect) for aspect in services.rules.ASPECTS}, "comment": row.comment,
            "updated_at": row.updated_at}


@blp.post("/reviews/periods/<int:period_id>/close")
@allow(CLOSE_PERIODS)
@blp.response(200, PeriodSchema, description="the period, closed; its figures are published")
@blp.refuses(409, "period_closed: the period is already closed")
def close_review_period(period_id: int):
    """Close and publish a period (admin): each center's figures are computed now and stored"""
    return services.close_period(get_db(), actor=current_principal(), period_id=period_id, zone=_zone())


@blp.post("/anomalies/explanations")
@allow(EXPLAIN_ANOMALIES)
@blp.arguments(ExplanationCreateSchema)
@blp.response(200, ExplanationSchema, description="the explanation as saved")
@blp.refuses(404, "not_found: no such center among the caller's, or no such anomaly among its anomalies")
@blp.refuses(409, "period_closed: the anomaly's period is closed")
def explain_anomaly(data):
    """Staff mark an anomaly of their center (its kind and records, as GET /anomalies lists it) explained"""
    return services.explain_anomaly(get_db(), actor=current_principal(), zone=_zone(), **data)
