"""``GET /api/v1/anomalies`` (SPEC §8.1): the anomalies of the centers the caller sees, one page at a time."""
from __future__ import annotations

from flask import current_app

from timebank.api import ApiBlueprint, current_principal
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.hours.supervision.anomalies import list_anomalies
from timebank.hours.supervision.permissions import READ_ANOMALIES
from timebank.hours.supervision.schemas import AnomalyPageSchema, AnomalyQuerySchema

blp = ApiBlueprint("anomalies", __name__, description="Anomalies in the service records (异常情况), for supervisors, "
                                                      "staff and admins")


@blp.get("/anomalies")
@allow(READ_ANOMALIES)
@blp.arguments(AnomalyQuerySchema, location="query")
@blp.response(200, AnomalyPageSchema, description="one page of anomalies, the latest first")
def list_service_record_anomalies(query):
    """Over 8 h a day, late entries, self-approvals, two centers at once, missing check-outs: each with its records"""
    return list_anomalies(get_db(), actor=current_principal(), zone=current_app.config["TIMEZONE"], **query)
