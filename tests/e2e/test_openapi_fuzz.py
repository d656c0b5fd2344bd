"""No request makes the API fail with a server error, invalid requests are refused, and the answers are the ones the
OpenAPI document promises (schemathesis, as an admin).

Every operation of the document gets generated requests — valid ones and, in negative mode, ones the document says are
invalid (wrong types, missing fields, numbers past their bound) — so a new endpoint is fuzzed as soon as it is
documented. The stateful test chains calls along the links schemathesis infers (create a center, then read and change
it). Seeds are fixed (``derandomize``): a failure reproduces.
"""
from __future__ import annotations

import shutil
import tempfile
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.auth_helpers import bearer, fast_hashing, make_app, make_user, mint_token
from tests.conftest import _pg_admin
from timebank.db import get_db

# Input validation does not depend on the backend (every bound is in the schemas); storage is tested on both
# databases elsewhere. On SQLite only, the fuzz fits the suite's 20 minutes.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CHECKS = [not_a_server_error, negative_data_rejection, status_code_conformance, content_type_conformance,
          response_schema_conformance]
SUPPRESSED = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
              HealthCheck.function_scoped_fixture]


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
# Positive and negative cases; the bearer token is ours (a fresh valid one per call), not generated.
schema.config.generation.update(modes=list(GenerationMode), with_security_parameters=False)


def _headers(app) -> dict:
    # A fresh token each time: a case may sign out or change the password.
    return bearer(mint_token(get_db(app), app.config["FUZZ_ADMIN"]))


@schema.parametrize()
@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=SUPPRESSED)
def test_every_documented_operation_answers_as_documented(case, fuzzed_app):
    case.call_and_validate(app=fuzzed_app, headers=_headers(fuzzed_app), checks=CHECKS)


@pytest.fixture
def fresh_apps(request, database_url, monkeypatch, tmp_path):
    """``fresh_apps() -> app``: an app on a database of its own, copied from ``database_url`` (the schema and the
    system accounts), with one admin. Hypothesis replays a call sequence and expects the same answers: a sequence
    that met another's rows (a code taken, an id that exists) would answer differently on its replay, which
    Hypothesis reports as inconsistent data generation. So every sequence starts from the same empty city."""
    fast_hashing(monkeypatch)
    made: list[tuple[object, str | None]] = []

    def fresh():
        name = f"tb_seq_{uuid.uuid4().hex[:12]}"
        if database_url.startswith("sqlite"):
            copy = tmp_path / f"{name}.db"
            shutil.copyfile(database_url.removeprefix("sqlite:///"), copy)
            url, database = f"sqlite:///{copy}", None
        else:
            template = database_url.rsplit("/", 1)[1]
            with _pg_admin() as admin:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            url, database = database_url.rsplit("/", 1)[0] + f"/{name}", name
        app = make_app(url)
        app.config["FUZZ_ADMIN"] = make_user(get_db(app), "admin", username="fuzz-admin")
        made.append((app, database))
        return app

    yield fresh
    for app, database in made:
        get_db(app).dispose()
        if database is not None:
            with _pg_admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def test_call_sequences_answer_as_documented(fresh_apps):
    machine = schema.as_state_machine()
    links = [name for name in vars(machine) if "___2" in name]  # inferred: an answer's ids feed the next call
    assert any(name.startswith("POST_api_v1_centers___201") and "center_id" in name for name in links), links

    class Workflow(machine):
        def setup(self):
            self.app = fresh_apps()

        def get_call_kwargs(self, case):
            return {"app": self.app, "headers": _headers(self.app)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Workflow.run(settings=settings(max_examples=40, stateful_step_count=6, derandomize=True, deadline=None,
                                   suppress_health_check=SUPPRESSED))
