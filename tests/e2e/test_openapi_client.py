"""A client generated from the OpenAPI document by a stock generator (openapi-python-client) works as it comes out:
it signs in, creates a center, reads it back, lists centers, and parses refusals (a duplicate's 409, a 422, a 404)
into the error model, against a real gunicorn server on a free local port."""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.auth_helpers import PASSWORD, make_app, make_user
from tests.live_server import gunicorn
from timebank.db import Database

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The client package generated from the document, imported (``timebank_client``)."""
    folder = tmp_path_factory.mktemp("client")
    app = make_app(f"sqlite:///{folder / 'unused.db'}")
    document = folder / "openapi.json"
    document.write_text(json.dumps(app.test_client().get("/api/v1/openapi.json").get_json()))
    result = subprocess.run([str(BIN / "openapi-python-client"), "generate", "--path", str(document),
                             "--output-path", str(folder / "out")],
                            capture_output=True, text=True, env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout  # nothing skipped: every operation and body is usable
    sys.path.insert(0, str(folder / "out"))
    try:
        yield importlib.import_module("timebank_client")
    finally:
        sys.path.remove(str(folder / "out"))
        for name in [n for n in sys.modules if n == "timebank_client" or n.startswith("timebank_client.")]:
            del sys.modules[name]


@pytest.fixture
def server(database_url, tmp_path):
    with gunicorn(database_url, tmp_path / "gunicorn.log", workers=1) as base:
        yield base


class Operations:
    """The generated modules of one tag, by operation id (the generator names each module after it)."""

    def __init__(self, tag: str, *operation_ids: str):
        for operation_id in operation_ids:
            setattr(self, operation_id, importlib.import_module(f"timebank_client.api.{tag}.{operation_id}"))


def test_a_generated_client_signs_in_creates_reads_and_parses_refusals(generated, server, database_url):
    db = Database(database_url, pool_size=2)
    try:
        admin = make_user(db, "admin")
    finally:
        db.dispose()
    models = importlib.import_module("timebank_client.models")
    auth = Operations("auth", "create_token")
    centers = Operations("centers", "create_center", "get_center", "list_centers", "update_center")

    anonymous = generated.Client(base_url=server)
    signed_in = auth.create_token.sync_detailed(
        client=anonymous, body=models.TokenRequest(username=admin.username, password=PASSWORD))
    assert signed_in.status_code == 201
    assert isinstance(signed_in.parsed, models.Token)
    refused = auth.create_token.sync_detailed(
        client=anonymous, body=models.TokenRequest(username=admin.username, password="not the password"))
    assert refused.status_code == 401 and isinstance(refused.parsed, models.Error)
    assert refused.parsed.error.code == "unauthorized"

    client = generated.AuthenticatedClient(base_url=server, token=signed_in.parsed.token)
    body = models.CenterCreate(code="JK01", name="京口区大市口街道养老服务中心", district="京口区")
    created = centers.create_center.sync_detailed(client=client, body=body)
    assert created.status_code == 201
    assert isinstance(created.parsed, models.Center)
    assert (created.parsed.code, created.parsed.name) == ("JK01", "京口区大市口街道养老服务中心")

    read = centers.get_center.sync(client=client, center_id=created.parsed.id)
    assert isinstance(read, models.Center) and read.code == "JK01"
    listed = centers.list_centers.sync(client=client, search="京口")
    assert isinstance(listed, models.CenterPage)
    assert [c.code for c in listed.items] == ["JK01"] and listed.total == 1

    duplicate = centers.create_center.sync_detailed(client=client, body=body)
    assert duplicate.status_code == 409
    assert isinstance(duplicate.parsed, models.Error)  # documented, so it parses: not None
    assert duplicate.parsed.error.code == "already_exists"
    assert "code" in duplicate.parsed.error.fields.to_dict()

    missing = centers.get_center.sync_detailed(client=client, center_id=999_999)
    assert missing.status_code == 404 and missing.parsed.error.code == "not_found"
    invalid = centers.create_center.sync_detailed(
        client=client, body=models.CenterCreate(code="JK02", name="", district="京口区"))
    assert invalid.status_code == 422 and invalid.parsed.error.code == "validation_error"
    assert list(invalid.parsed.error.fields.to_dict()) == ["name"]
    changed = centers.update_center.sync(client=client, center_id=created.parsed.id,
                                         body=models.CenterUpdate(district="润州区"))
    assert isinstance(changed, models.Center) and changed.district == "润州区"
