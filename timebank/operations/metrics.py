"""``GET /metrics`` in Prometheus's text format: what the requests did (counted in each process) and what the
ledger, the drives and the scheduled jobs hold (read from the database at each scrape, so every worker answers the
same figures).

Under gunicorn with several workers set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory (``scripts/serve.sh``
and the systemd unit do): each worker then writes its request counters there and any worker's ``/metrics`` sums
them all. Without it the request counters are the answering process's own.

``/metrics`` answers callers on this machine (127.0.0.1, ::1: a Prometheus beside the service, or a reverse proxy
that does not forward it) and, when ``TIMEBANK_METRICS_TOKEN`` is set, anyone sending it as a bearer token.
"""
from __future__ import annotations

import hmac
import os
import time

from flask import Blueprint, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

from timebank.auth.access import allow
from timebank.db import get_db
from timebank.drives.models import Reservation
from timebank.jobs.models import JobRun
from timebank.ledger.models import Account, Lot, Transfer

bp = Blueprint("metrics", __name__)

REQUESTS = Counter("timebank_http_requests", "HTTP requests answered, by route and status",
                   ("method", "route", "status"))
DURATION = Histogram("timebank_http_request_duration_seconds", "Time to answer an HTTP request, by route",
                     ("route",), buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10))
LOOPBACK = ("127.0.0.1", "::1")

A, T, L, R, J = Account.__table__, Transfer.__table__, Lot.__table__, Reservation.__table__, JobRun.__table__
_OUTSTANDING = select(func.coalesce(func.sum(A.c.credits_posted - A.c.debits_posted), 0),
                      func.coalesce(func.sum(A.c.debits_pending), 0)).where(A.c.kind == "volunteer")
_TRANSFERS = select(T.c.kind, func.count(), func.coalesce(func.sum(T.c.amount), 0)).group_by(T.c.kind)
_LIVE_LOTS = select(func.count()).select_from(L).where(L.c.expired_at.is_(None), L.c.remaining > 0)
_RESERVATIONS = select(R.c.status, func.count()).group_by(R.c.status)
_JOB_RUNS = select(J.c.job, J.c.outcome, func.count()).group_by(J.c.job, J.c.outcome)
_JOB_SUCCEEDED = select(J.c.job, func.max(J.c.finished_at)).where(J.c.outcome == "succeeded").group_by(J.c.job)


class Database:
    """A collector that reads the figures from the database at each scrape."""

    def collect(self):
        db = get_db()
        outstanding, held = db.read_one(_OUTSTANDING)
        yield GaugeMetricFamily("timebank_credits_outstanding", "Credits the volunteers hold (posted, held "
                                "included), in credits: what the bank owes in goods", value=outstanding / 100)
        yield GaugeMetricFamily("timebank_credits_held", "Credits held by reservations not yet picked up, in credits",
                                value=held / 100)
        count = CounterMetricFamily("timebank_ledger_transfers", "Ledger transfers, by kind", labels=("kind",))
        amount = CounterMetricFamily("timebank_ledger_transfer_credits", "Credits moved by ledger transfers, by "
                                     "kind, in credits", labels=("kind",))
        for kind, n, total in db.read_all(_TRANSFERS):
            count.add_metric((kind,), n)
            amount.add_metric((kind,), total / 100)
        yield count
        yield amount
        yield GaugeMetricFamily("timebank_lots_live", "Lots of credits not yet spent or expired",
                                value=db.read_one(_LIVE_LOTS)[0])
        reservations = GaugeMetricFamily("timebank_reservations", "Reservations in drives, by status",
                                         labels=("status",))
        for status, n in db.read_all(_RESERVATIONS):
            reservations.add_metric((status,), n)
        yield reservations
        runs = CounterMetricFamily("timebank_job_runs", "Runs of the scheduled jobs, by job and outcome",
                                   labels=("job", "outcome"))
        for job, outcome, n in db.read_all(_JOB_RUNS):
            runs.add_metric((job, outcome), n)
        yield runs
        succeeded = GaugeMetricFamily("timebank_job_last_success_timestamp_seconds", "When each job last ended "
                                      "well (Unix time): alert when it is older than twice the job's interval",
                                      labels=("job",))
        for job, finished in db.read_all(_JOB_SUCCEEDED):
            succeeded.add_metric((job,), finished.timestamp())
        yield succeeded


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(DURATION)
    registry.register(Database())
    return registry


@bp.get("/metrics")
@allow(public=True)
def metrics():
    token = current_app.config.get("METRICS_TOKEN") or ""
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if request.remote_addr not in LOOPBACK and not (token and hmac.compare_digest(sent, token)):
        abort(404)  # nothing to see from outside: not even that it exists
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _answered(response):
    started = g.pop("metrics_started", None)
    if started is not None:
        route = request.url_rule.rule if request.url_rule is not None else "(no route)"
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        DURATION.labels(route).observe(time.perf_counter() - started)
    return response


def init_app(app) -> None:
    app.before_request(_started)
    app.after_request(_answered)
    app.register_blueprint(bp)
