"""``GET /api/v1/jobs/runs`` and ``POST /api/v1/jobs/{name}/run`` over HTTP, on SQLite and PostgreSQL: the house's
page shape, a run by hand recorded with its counts, admins only, and refusals in SPEC §8's shape and the caller's
language."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.jobs_helpers import expired_lot_ids, mint_lots, seed_runs
from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.jobs.services import list_runs

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

API = "/api/v1"
RUN_FIELDS = {"id", "job", "started_via", "started_by", "started_at", "finished_at", "outcome", "counts", "error"}


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    return body["error"]


@pytest.fixture
def admin(make_user, api_headers):
    login = make_user("admin")
    return login, api_headers(login)


def test_an_admin_runs_a_job_now_and_finds_the_run_in_the_list(app, client, admin):
    login, headers = admin
    now = utcnow()
    lots = mint_lots(get_db(app), expiring=[now - timedelta(days=1), now - timedelta(hours=1)],
                     minted_at=now - timedelta(days=800))
    response = client.post(f"{API}/jobs/expire-credits/run", headers=headers)
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert set(made) == RUN_FIELDS
    assert (made["job"], made["outcome"], made["counts"], made["error"]) == ("expire-credits", "succeeded",
                                                                             {"lots_expired": 2}, None)
    assert (made["started_via"], made["started_by"]) == ("api", login.username)
    assert made["started_at"].endswith("+00:00") and made["finished_at"] >= made["started_at"]
    assert expired_lot_ids(get_db(app)) == set(lots)

    listed = client.get(f"{API}/jobs/runs", headers=headers)
    assert listed.status_code == 200
    assert listed.get_json() == {"items": [made], "total": 1, "page": 1, "per_page": 20, "pages": 1}


def test_the_runs_are_a_page_newest_first_filtered_by_job_and_outcome(app, client, admin):
    _, headers = admin
    seed_runs(get_db(app), 45, now=utcnow())
    third = client.get(f"{API}/jobs/runs?page=3&per_page=20", headers=headers).get_json()
    assert (third["total"], third["page"], third["per_page"], third["pages"], len(third["items"])) == (45, 3, 20, 3, 5)
    first = client.get(f"{API}/jobs/runs?per_page=20", headers=headers).get_json()["items"]
    assert [run["started_at"] for run in first] == sorted((run["started_at"] for run in first), reverse=True)
    assert first[0]["started_at"] > third["items"][0]["started_at"]
    failed = client.get(f"{API}/jobs/runs?outcome=failed&job=void-stale-holds", headers=headers).get_json()
    assert failed["total"] == 9 and {run["outcome"] for run in failed["items"]} == {"failed"}
    assert all(run["error"] for run in failed["items"])
    assert client.get(f"{API}/jobs/runs?job=rotate-keys", headers=headers).get_json()["total"] == 0


@pytest.mark.parametrize("role", ["staff", "supervisor", "volunteer"])
def test_only_an_admin_may_read_the_runs_or_run_a_job(app, client, make_user, api_headers, role):
    headers = api_headers(make_user(role))
    error_of(client.get(f"{API}/jobs/runs", headers=headers), 403, "forbidden")
    refused = error_of(client.post(f"{API}/jobs/rotate-keys/run", headers=headers), 403, "forbidden")
    assert refused["message"] == "您的角色无权进行此操作。"
    error_of(client.post(f"{API}/jobs/rotate-keys/run"), 401, "unauthorized")
    assert list_runs(get_db(app), actor=Principal.system("test")).total == 0  # nothing ran


def test_an_unknown_job_is_not_found_in_the_callers_language(client, admin):
    _, headers = admin
    chinese = error_of(client.post(f"{API}/jobs/expire-everything/run", headers=headers), 404, "not_found")
    assert chinese == {"code": "not_found", "message": "没有名为 expire-everything 的任务。", "fields": {}}
    english = error_of(client.post(f"{API}/jobs/expire-everything/run",
                                   headers={**headers, "Accept-Language": "en-GB"}), 404, "not_found")
    assert english["message"] == "There is no job named expire-everything."
    long_name = "x" * 5000
    assert error_of(client.post(f"{API}/jobs/{long_name}/run", headers=headers), 404, "not_found")["message"] == (
        f"没有名为 {'x' * 60} 的任务。")


@pytest.mark.parametrize("query, field", [("job=expire-everything", "job"), ("outcome=great", "outcome"),
                                          ("page=0", "page"), ("per_page=1000", "per_page")])
def test_a_bad_query_is_a_validation_error_naming_the_field(client, admin, query, field):
    _, headers = admin
    error = error_of(client.get(f"{API}/jobs/runs?{query}", headers=headers), 422, "validation_error")
    assert field in error["fields"]
