"""No request the OpenAPI document allows makes the API fail with a server error (schemathesis, as an admin).

Every operation of the document gets generated requests — including odd strings, huge numbers and empty bodies — so a
new endpoint is fuzzed as soon as it is documented. Seeds are fixed (``derandomize``): a failure reproduces.
"""
from __future__ import annotations

import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.auth_helpers import bearer, fast_hashing, make_app, make_user, mint_token
from timebank.db import get_db


@pytest.fixture
def fuzzed_app(database_url, monkeypatch):
    fast_hashing(monkeypatch)
    app = make_app(database_url)
    app.config["FUZZ_ADMIN"] = make_user(get_db(app), "admin")
    yield app
    get_db(app).dispose()


def _document() -> dict:
    # The document is the same for every app and needs no database: building an app never connects.
    with tempfile.TemporaryDirectory() as folder:
        return make_app(f"sqlite:///{folder}/unused.db").test_client().get("/api/v1/openapi.json").get_json()


schema = schemathesis.openapi.from_dict(_document())


@schema.parametrize()
@settings(max_examples=25, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
def test_no_documented_request_is_a_server_error(case, fuzzed_app):
    db = get_db(fuzzed_app)
    token = mint_token(db, fuzzed_app.config["FUZZ_ADMIN"])  # fresh each time: a case may sign out or change password
    case.call_and_validate(app=fuzzed_app, headers=bearer(token), checks=[not_a_server_error])
