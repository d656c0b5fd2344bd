"""The review pages (``/reviews``): the periods with each of the person's centers, one period's center work (its
sample with links to the records, the residents' ratings, the anomalies with staff's explain form, the supervisors'
evaluations and the score form), and the admin's close button. Every form posts, then the page is shown again."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from timebank.auth.access import allow
from timebank.db import get_db
from timebank.errors import DomainError, NotFound
from timebank.hours.supervision.rules import KIND_WORDS
from timebank.supervision import queries, rules, services
from timebank.supervision.permissions import CLOSE_PERIODS, EVALUATE_CENTERS, EXPLAIN_ANOMALIES, READ_REVIEWS
from timebank.supervision.schemas import (
    EvaluationCreateSchema,
    ExplanationCreateSchema,
    PeriodListQuerySchema,
    period_label,
)
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FormState, flash_refusal, query

bp = page_blueprint("review_periods", __name__, url_prefix="/reviews", template_folder="templates")
bp.add_app_template_global(period_label, "review_period_label")

SCORES = tuple(range(rules.SCORE_MIN, rules.SCORE_MAX + 1))


def _zone() -> str:
    return current_app.config["TIMEZONE"]


@bp.get("/", endpoint="index")
@allow(READ_REVIEWS)
def periods():
    found = queries.list_periods(get_db(), actor=current_principal(), zone=_zone(),
                                 **query(PeriodListQuerySchema()))
    return render_template("supervision_periods/periods.html", periods=found, status_words=rules.STATUS_WORDS)


@bp.get("/<int:period_id>")
@allow(READ_REVIEWS)
def period(period_id: int):
    center = request.args.get("center", "").strip()[:32] or None
    detail = queries.period_detail(get_db(), actor=current_principal(), period_id=period_id, center=center,
                                   zone=_zone())
    return render_template("supervision_periods/period.html", detail=detail, status_words=rules.STATUS_WORDS,
                           aspects=rules.ASPECTS, aspect_words=rules.ASPECT_WORDS, scores=SCORES,
                           kind_words=KIND_WORDS)


@bp.post("/<int:period_id>/evaluations")
@allow(EVALUATE_CENTERS)
def evaluate(period_id: int):
    form = request.form
    center = form.get("center", "").strip()
    data = {"center": center, "scores": {a: form.get(a, "").strip() or None for a in rules.ASPECTS},
            "comment": form.get("comment", "").strip() or None}
    data["scores"] = {a: v for a, v in data["scores"].items() if v is not None}
    if _refused(lambda: services.evaluate_center(get_db(), actor=current_principal(), period_id=period_id,
                                                 **EvaluationCreateSchema().load(data))):
        return _back(period_id, center)
    flash(_("Your evaluation of center %(code)s was saved. You can change it until the period closes.",
            code=center.upper()), "success")
    return _back(period_id, center)


@bp.post("/<int:period_id>/explanations")
@allow(EXPLAIN_ANOMALIES)
def explain(period_id: int):
    form = request.form
    center = form.get("center", "").strip()
    ids = [part for part in form.get("record_ids", "").replace(",", " ").split() if part]
    data = {"center": center, "kind": form.get("kind", ""), "record_ids": ids, "note": form.get("note", "").strip()}
    if not _refused(lambda: services.explain_anomaly(get_db(), actor=current_principal(), zone=_zone(),
                                                     **ExplanationCreateSchema().load(data))):
        flash(_("The explanation was saved."), "success")
    return _back(period_id, center)


@bp.post("/<int:period_id>/close")
@allow(CLOSE_PERIODS)
def close(period_id: int):
    if not _refused(lambda: services.close_period(get_db(), actor=current_principal(), period_id=period_id,
                                                  zone=_zone())):
        flash(_("The period is closed and its results are published."), "success")
    return redirect(url_for("review_periods.period", period_id=period_id))


def _refused(action) -> bool:
    """Run ``action``; a refusal (other than "not found", which is the page's 404) is said on the next page."""
    try:
        action()
    except NotFound:
        raise
    except (ValidationError, DomainError) as error:
        state = FormState()
        state.refuse(error)
        flash_refusal(state)
        return True
    return False


def _back(period_id: int, center: str):
    return redirect(url_for("review_periods.period", period_id=period_id, center=center.upper() or None,
                            _anchor="evaluation" if center else None))
