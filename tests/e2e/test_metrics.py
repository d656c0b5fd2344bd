"""``GET /metrics``: Prometheus's text format with the requests answered and the ledger's figures read from the
database; every gunicorn worker answers the same sums; nobody beyond this machine sees it without the token."""
from __future__ import annotations

import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.drive_helpers import make_city, volunteer_with
from tests.live_server import gunicorn
from timebank import create_app
from timebank.db import get_db
from timebank.drives.reservations import reserve
from timebank.jobs.services import run_job
from timebank.auth.access import Principal


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample by (name, sorted labels)."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_metrics_count_requests_and_read_the_ledger(database_url):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test"})
    db = get_db(app)
    try:
        city = make_city(db)
        volunteer = volunteer_with(db, city.jk, 100_00)
        volunteer_with(db, city.rz, 25_50, name="李建国")
        reserve(db, actor=city.volunteer_actor(volunteer.id), drive_id=city.drive.id, center="JK01",
                lines=[{"sku": "RICE-5KG", "quantity": 2}])  # 25.00 held
        ran = run_job(db, actor=Principal.system("test"), name="void-stale-holds", started_via="command")
        assert ran.outcome == "succeeded"
        client = app.test_client()
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
        answer = client.get("/metrics")
        assert answer.status_code == 200 and answer.mimetype == "text/plain"
        found = samples(answer.get_data(as_text=True))
        assert found[("timebank_credits_outstanding", ())] == 125.50
        assert found[("timebank_credits_held", ())] == 25.00
        assert found[("timebank_ledger_transfers_total", (("kind", "mint"),))] == 2
        assert found[("timebank_ledger_transfers_total", (("kind", "pending"),))] == 1
        assert found[("timebank_ledger_transfer_credits_total", (("kind", "mint"),))] == 125.50
        assert found[("timebank_lots_live", ())] == 2
        assert found[("timebank_reservations", (("status", "held"),))] == 1
        assert found[("timebank_job_runs_total", (("job", "void-stale-holds"), ("outcome", "succeeded")))] == 1
        assert found[("timebank_job_last_success_timestamp_seconds", (("job", "void-stale-holds"),))] \
            == ran.finished_at.timestamp()
        healthz = ("timebank_http_requests_total", (("method", "GET"), ("route", "/healthz"), ("status", "200")))
        assert found[healthz] >= 3  # this process's counter: other tests in it count too
        assert found[("timebank_http_request_duration_seconds_count", (("route", "/healthz"),))] >= 3

        outside = {"REMOTE_ADDR": "203.0.113.7"}
        assert client.get("/metrics", environ_base=outside).status_code == 404
        app.config["METRICS_TOKEN"] = "scrape-7f3a9c"
        assert client.get("/metrics", environ_base=outside,
                          headers={"Authorization": "Bearer wrong"}).status_code == 404
        assert client.get("/metrics", environ_base=outside,
                          headers={"Authorization": "Bearer scrape-7f3a9c"}).status_code == 200
    finally:
        db.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_gunicorn_worker_answers_the_sum_of_all_workers_requests(database_url, tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    with gunicorn(database_url, tmp_path / "gunicorn.log", workers=3,
                  env={"PROMETHEUS_MULTIPROC_DIR": str(folder)}) as base:
        for _ in range(30):
            with urllib.request.urlopen(f"{base}/healthz", timeout=10) as answer:
                assert answer.status == 200
        workers = {line.split()[0] for line in (tmp_path / "gunicorn.log").read_text().splitlines()
                   if line.split()[1:] == ["200", "GET", "/healthz"]}
        scraped = []
        for _ in range(6):
            with urllib.request.urlopen(f"{base}/metrics", timeout=10) as answer:
                scraped.append(samples(answer.read().decode()))
    healthz = ("timebank_http_requests_total", (("method", "GET"), ("route", "/healthz"), ("status", "200")))
    # The readiness polls of the fixture count too: at least the 30 sent here, the same from every worker.
    assert len({found[healthz] for found in scraped}) == 1 and scraped[0][healthz] >= 30
    assert len(workers) >= 2, "the requests should have spread over several workers"
