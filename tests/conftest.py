"""Fixtures shared by every test folder.

``database`` is parametrized over SQLite and PostgreSQL: every storage test runs on both. Each test gets its own
throwaway database: a copy of a SQLite file built once per test process, or a PostgreSQL database holding exactly
what a template built once per test process holds (emptied between tests rather than cloned: see ``_PgDatabases``).
With CI=true a missing PostgreSQL fails the test; elsewhere it is skipped with the reason.
"""
from __future__ import annotations

import os
import shutil
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


class _PgDatabases:
    """The test process's PostgreSQL databases: each test gets one that holds exactly what the template holds.

    Cloning a database (``CREATE DATABASE … TEMPLATE``) and dropping it each cost PostgreSQL a checkpoint's worth of
    waiting on the disk, most of a small test's time. So a database a test is done with is emptied instead, and the
    next test gets it: its other connections are ended, every table's rows are deleted in one transaction (tens of
    milliseconds, where TRUNCATE's new files cost a second), the template's rows (the system accounts) put back and
    the sequences set back to where the template's stand. A database that cannot be emptied is dropped."""

    def __init__(self, template: str):
        self.template = template
        self._free: list[str] = []
        self._all: set[str] = set()
        self._tables = [table.name for table in SQLModel.metadata.sorted_tables]
        with self._connect(template) as connection:
            self._rows = {name: (columns, rows) for name in self._tables
                          for columns, rows in [self._read(connection, name)] if rows}
            self._sequences = connection.execute(
                "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences").fetchall()

    @staticmethod
    def _connect(name: str):
        import psycopg

        return psycopg.connect(_pg_url(name).replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)

    @staticmethod
    def _read(connection, table: str):
        cursor = connection.execute(f'SELECT * FROM "{table}"')
        return [column.name for column in cursor.description], cursor.fetchall()

    def take(self) -> str:
        if self._free:
            return self._free.pop()
        name = f"tb_test_{uuid.uuid4().hex[:12]}"
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self._all.add(name)
        return name

    def give_back(self, name: str) -> None:
        try:
            self._empty(name)
        except Exception:  # noqa: BLE001 - whatever the test left, a database that cannot be emptied goes
            self._drop(name)
        else:
            self._free.append(name)

    def _empty(self, name: str) -> None:
        with _pg_admin() as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        with self._connect(name) as connection, connection.transaction():
            connection.execute("SET LOCAL lock_timeout = '5s'")
            for (stray,) in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"):
                if stray not in self._tables:  # a table a test made for itself
                    connection.execute(f'DROP TABLE "{stray}" CASCADE')
            for table in reversed(self._tables):
                connection.execute(f'DELETE FROM "{table}"')
            for table in self._tables:
                if table in self._rows:
                    columns, rows = self._rows[table]
                    listed = ", ".join(f'"{column}"' for column in columns)
                    marks = ", ".join(["%s"] * len(columns))
                    connection.cursor().executemany(f'INSERT INTO "{table}" ({listed}) VALUES ({marks})', rows)
            for sequence, last_value in self._sequences:
                connection.execute("SELECT setval(%s, %s, %s)", (sequence, last_value or 1, last_value is not None))

    def _drop(self, name: str) -> None:
        self._all.discard(name)
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for name in list(self._all) + [self.template]:
            self._drop(name)


@pytest.fixture(scope="session")
def pg_databases():
    """A PostgreSQL database with the schema, built once per test process, and the databases tests get from it."""
    admin = _pg_admin_or_skip()
    name = f"tb_tmpl_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    db = Database(_pg_url(name))
    SQLModel.metadata.create_all(db.engine)
    ensure_system_accounts(db)
    db.dispose()
    databases = _PgDatabases(name)
    yield databases
    databases.close()


@pytest.fixture
def pg_url(pg_databases):
    name = pg_databases.take()
    yield _pg_url(name)
    pg_databases.give_back(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file with the schema and the system accounts, built once per test process; tests get copies."""
    path = tmp_path_factory.mktemp("sqlite-template") / "timebank.db"
    db = Database(f"sqlite:///{path}")
    SQLModel.metadata.create_all(db.engine)
    ensure_system_accounts(db)
    db.dispose()
    return path


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path):
    path = tmp_path / "timebank.db"
    shutil.copyfile(sqlite_template, path)
    assert not sqlite_template.with_name("timebank.db-wal").exists(), "the template's WAL was not checkpointed"
    return f"sqlite:///{path}"


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