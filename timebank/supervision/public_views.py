"""The public pages of the published results (``/public/``: the city; ``/public/centers/<code>``: one center,
period by period). No sign-in. They show only what a period's close stored — counts and scores, supervisors by
number — so nothing on them names a volunteer or a resident."""
from __future__ import annotations

from flask import render_template

from timebank.auth.access import allow
from timebank.db import get_read_db
from timebank.supervision import queries, rules
from timebank.supervision.schemas import PublicCenterListQuerySchema
from timebank.web.access import page_blueprint
from timebank.web.forms import query

bp = page_blueprint("public_results", __name__, url_prefix="/public", template_folder="templates")


@bp.get("/", endpoint="index")
@allow(public=True)
def city():
    found = queries.public_centers(get_read_db(), **query(PublicCenterListQuerySchema()))
    return render_template("supervision_periods/public_city.html", centers=found, aspects=rules.ASPECTS,
                           aspect_words=rules.ASPECT_WORDS)


@bp.get("/centers/<code>")
@allow(public=True)
def center(code: str):
    found = queries.public_center(get_read_db(), code=code[:32])
    return render_template("supervision_periods/public_center.html", center=found, aspects=rules.ASPECTS,
                           aspect_words=rules.ASPECT_WORDS)
