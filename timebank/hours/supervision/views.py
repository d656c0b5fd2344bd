"""The supervisor's pages: the approved records of their centers to rate (``/record-reviews``), and the anomalies
page every admin, supervisor and staff member reads for the centers they see (``/anomalies``), with a read-only
view of each record an anomaly links to. Two blueprints, so each has its own entry in the navigation."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from timebank.auth.access import allow
from timebank.centers.services import list_centers
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.hours import services
from timebank.hours.permissions import REVIEW_RECORDS
from timebank.hours.rules import RATING_MAX, RATING_MIN
from timebank.hours.schemas import RatingSchema
from timebank.hours.supervision import rules
from timebank.hours.supervision.anomalies import list_anomalies
from timebank.hours.supervision.permissions import READ_ANOMALIES
from timebank.hours.supervision.reviews import record_with_my_review, records_to_review
from timebank.hours.supervision.schemas import AnomalyQuerySchema, ReviewListQuerySchema
from timebank.paging import MAX_PER_PAGE
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FormState, load_and_call, query
from timebank.web.lists import ListFilter

anomalies_bp = page_blueprint("anomalies", __name__, url_prefix="/anomalies", template_folder="templates")
reviews_bp = page_blueprint("record_reviews", __name__, url_prefix="/record-reviews", template_folder="templates")

# The periods a list offers, in days back from today; 60 days is one supervision period (SPEC §3.6).
PERIODS = (("7", _l("Last 7 days")), ("30", _l("Last 30 days")), ("60", _l("Last 2 months")),
           ("365", _l("Last 12 months")))
RATING_WORDS = {1: _l("1 – very poor"), 2: _l("2 – poor"), 3: _l("3 – acceptable"), 4: _l("4 – good"),
                5: _l("5 – very good")}


@anomalies_bp.get("/", endpoint="index")
@allow(READ_ANOMALIES)
def anomalies_index():
    db, actor = get_db(), current_principal()
    args = _with_period(query(AnomalyQuerySchema()))
    found = list_anomalies(db, actor=actor, zone=current_app.config["TIMEZONE"], **args)
    filters = [_center_filter(db, actor),
               ListFilter("kind", _l("Kind"), tuple((kind, rules.KIND_WORDS[kind]) for kind in rules.KINDS)),
               _period_filter()]
    return render_template("supervision/anomalies.html", anomalies=found,
                           filters=[f for f in filters if f is not None], kind_words=rules.KIND_WORDS)


@anomalies_bp.get("/records/<int:record_id>")
@allow(READ_ANOMALIES)
def record(record_id: int):
    """One record as an anomaly links to it: read only (staff decide on their own pages)."""
    found = record_with_my_review(get_db(), actor=current_principal(), record_id=record_id)
    return render_template("supervision/record.html", item=found, state=None, rating_words=RATING_WORDS)


@reviews_bp.get("/", endpoint="index")
@allow(REVIEW_RECORDS)
def reviews_index():
    db, actor = get_db(), current_principal()
    args = _with_period(query(ReviewListQuerySchema()))
    found = records_to_review(db, actor=actor, **args)
    filters = [_center_filter(db, actor),
               ListFilter("reviewed", _l("Rating"), (("false", _l("Not rated yet")), ("true", _l("Rated by me")))),
               _period_filter()]
    return render_template("supervision/reviews.html", items=found, filters=[f for f in filters if f is not None])


@reviews_bp.route("/<int:record_id>", methods=["GET", "POST"])
@allow(REVIEW_RECORDS)
def review(record_id: int):
    """A record of the supervisor's centers and their 1–5 rating of it with a comment, given once."""
    db, actor = get_db(), current_principal()
    item = record_with_my_review(db, actor=actor, record_id=record_id)
    state = FormState()
    if request.method == "POST" and item.my_rating is None:
        done = load_and_call(RatingSchema(), lambda data: services.review_record(
            db, actor=actor, record_id=record_id, **data), state=state, fields=("rating", "comment"),
            optional=("comment",))
        if done is not None:
            flash(_("Your rating of service record %(record_id)s was saved.", record_id=record_id), "success")
            return redirect(url_for("record_reviews.index", reviewed="false"))
    return render_template("supervision/record.html", item=item, state=state, rating_words=RATING_WORDS,
                           ratings=range(RATING_MIN, RATING_MAX + 1)), state.status


def _center_filter(db, actor) -> ListFilter | None:
    """The centers the person sees, when there is a choice (staff have one center)."""
    if actor.role == "staff":
        return None
    centers = list_centers(db, actor=actor, active=None, per_page=MAX_PER_PAGE).items
    return ListFilter("center", _l("Center"), tuple((c.code, c.name) for c in centers), _l("All my centers")
                      if actor.role == "supervisor" else _l("All centers"))


def _period_filter() -> ListFilter:
    return ListFilter("days", _l("Period"), PERIODS, _l("Any time"))


def _with_period(args: dict) -> dict:
    """``days`` of the address (one of PERIODS) as the list's ``from``; anything else is no period."""
    days = request.args.get("days", "")
    if days in dict(PERIODS):
        args["from_"] = utcnow() - timedelta(days=int(days))
    return args
