"""``/healthz`` says the process answers; ``/readyz`` says the database answers and is at the latest migration."""
from __future__ import annotations

from contextlib import contextmanager

from timebank import create_app, migrate


@contextmanager
def client_for(url: str):
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test", "TESTING": True})
    try:
        yield app.test_client()
    finally:
        app.extensions["timebank.db"].dispose()


def test_healthz_answers_without_touching_the_database(tmp_path):
    with client_for(f"sqlite:///{tmp_path / 'no-such-dir' / 'timebank.db'}") as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_on_a_database_at_the_latest_migration(empty_database_url):
    migrate.upgrade(empty_database_url)
    with client_for(empty_database_url) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "revision": migrate.head_revision()}


def test_readyz_is_unavailable_on_a_database_not_yet_migrated(empty_database_url):
    with client_for(empty_database_url) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["reason"] == "database not at the latest migration"
    assert (body["current"], body["head"]) == (None, migrate.head_revision())


def test_readyz_is_unavailable_when_the_database_cannot_be_reached(tmp_path):
    with client_for(f"sqlite:///{tmp_path / 'no-such-dir' / 'timebank.db'}") as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["reason"].startswith("database unreachable")
