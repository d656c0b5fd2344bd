"""Fixtures shared by every test folder.

``database`` is parametrized over SQLite and PostgreSQL: every storage test runs on both. Each test gets its own
throwaway database (a SQLite file in tmp_path; a PostgreSQL database cloned from a template built once per run).
With CI=true a missing PostgreSQL fails the test; elsewhere it is skipped with the reason.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest
from sqlmodel import SQLModel

import timebank.models  # noqa: F401
from timebank.db import Database
from timebank.ledger.standalone import ensure_system_accounts

PG_ADMIN_URL = os.environ.get("TIMEBANK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def _pg_admin():
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)


def _pg_admin_or_skip():
    """An admin connection to PostgreSQL. Without a server the test fails in CI (CI=true) and is skipped elsewhere."""
    try:
        return _pg_admin()
    except Exception as error:  # noqa: BLE001
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and is not reachable: {error}")
        pytest.skip(f"PostgreSQL not reachable: {error}")


@pytest.fixture(scope="session")
def pg_template():
    """A PostgreSQL database with the schema, built once; each test clones it (CREATE DATABASE … TEMPLATE)."""
    admin = _pg_admin_or_skip()
    name = f"tb_tmpl_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    db = Database(_pg_url(name))
    SQLModel.metadata.create_all(db.engine)
    ensure_system_accounts(db)
    db.dispose()
    yield name
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def pg_url(pg_template):
    name = f"tb_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield _pg_url(name)
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'timebank.db'}"
    db = Database(url)
    SQLModel.metadata.create_all(db.engine)
    ensure_system_accounts(db)
    db.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    """The URL of a fresh database with the schema and the system accounts, on each backend in turn."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def db(database_url):
    # At most 20 connections per test: PostgreSQL allows 100 in all, and threads beyond the pool wait their turn.
    database = Database(database_url, pool_size=20, secret_key="test")
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    """The URL of a database with no tables at all (for migrations and readiness), on each backend in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin = _pg_admin_or_skip()
    name = f"tb_empty_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the app, its client, and people of every role (PEOPLE) -----------------------------------------------------------

TEST_PASSWORD = "quiet-river-stone-42"


@pytest.fixture
def app(database_url):
    """The app on a fresh database, on each backend in turn."""
    from timebank import create_app
    from timebank.db import get_db

    application = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test"})
    yield application
    get_db(application).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    user_id: int
    role: str
    center: str | None = None  # staff: their center's code
    volunteer_id: int | None = None


@pytest.fixture
def make_user(app):
    """``make_user(role, center="C001", …) -> Login``: a user created through the services, with the password
    ``TEST_PASSWORD`` and no pending password change. The centers it names are opened when missing; a volunteer
    user gets a new volunteer profile at ``center`` unless ``volunteer_id`` is given."""
    from timebank.auth.access import Principal
    from timebank.centers.services import create_center
    from timebank.db import get_db
    from timebank.errors import AlreadyExists
    from timebank.users.services import create_user
    from timebank.volunteers.services import create_volunteer

    db = get_db(app)
    system = Principal.system("test")
    serial = iter(range(1, 10_000))

    def center(code: str) -> None:
        try:
            create_center(db, actor=system, code=code, name=f"{code} 养老服务中心", district="京口区")
        except AlreadyExists:
            pass

    def make(role: str, *, center: str = "C001", supervised_centers=(), volunteer_id: int | None = None,
             username: str | None = None, password: str = TEST_PASSWORD) -> Login:
        number = next(serial)
        username = username or f"{role}-{number}-{uuid.uuid4().hex[:6]}"
        scope = {}
        if role == "staff":
            make.center(center)
            scope["center"] = center
        elif role == "supervisor":
            for code in supervised_centers:
                make.center(code)
            scope["supervised_centers"] = supervised_centers
        elif role == "volunteer":
            if volunteer_id is None:
                make.center(center)
                volunteer_id = create_volunteer(
                    db, actor=system, name="测试志愿者", phone=f"139{uuid.uuid4().int % 10**8:08d}", home_center=center,
                ).id
            scope["volunteer_id"] = volunteer_id
        user = create_user(db, actor=system, username=username, password=password, role=role, **scope)
        return Login(username=user.username, password=password, user_id=user.id, role=role, center=user.center,
                     volunteer_id=user.volunteer_id)

    make.center = center
    return make


@pytest.fixture
def api_headers(client):
    """``api_headers(login) -> {"Authorization": "Bearer …"}``, signed in through ``POST /api/v1/auth/tokens``."""

    def headers(login: Login) -> dict:
        response = client.post("/api/v1/auth/tokens", json={"username": login.username, "password": login.password})
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return headers


@pytest.fixture
def fast_password_hashing(monkeypatch):
    """argon2id with the cheapest parameters, for tests that create and sign in many users and are not about
    passwords (the real parameters cost ~0.1–0.4 s per hash). Opt in: ``pytestmark = usefixtures(…)``."""
    from tests.auth_helpers import fast_hashing

    fast_hashing(monkeypatch)