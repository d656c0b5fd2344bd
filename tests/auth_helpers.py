"""Builders for sign-in, token and authorization tests: an app on a test database, and one user of each role made
straight from the models (so these tests depend on nothing but the schema and the auth services)."""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher

from timebank import create_app
from timebank.auth import passwords
from timebank.auth.models import ApiToken, SupervisorCenter, User, UserSession
from timebank.auth.services import _token_hash
from timebank.centers.models import Center
from timebank.clock import utcnow
from timebank.ledger import accounts, standalone
from timebank.volunteers.models import Volunteer

PASSWORD = "Plum-blossom 1987"  # meets the policy
ROLES = ("admin", "staff", "supervisor", "volunteer")


def make_app(database_url: str, **config):
    return create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test", "TESTING": True,
                       "WTF_CSRF_ENABLED": False, **config})


@dataclass(frozen=True)
class Person:
    user_id: int
    username: str
    password: str
    role: str


def make_center(db, code: str | None = None) -> int:
    code = code or f"C{uuid.uuid4().hex[:6].upper()}"
    account_id = standalone.open_account(db, code=f"issuance:{code}", kind="issuance")

    def work(s):
        center = Center(code=code, name=f"{code} 养老服务中心", district="京口区", issuance_account_id=account_id,
                        created_at=utcnow())
        s.add(center)
        s.flush()
        accounts.label_account(s, account_id, center_id=center.id)
        accounts.open_center_sinks(s, center_id=center.id, center_code=code)
        return center.id

    return db.transaction(work)


def make_volunteer(db, center_id: int) -> int:
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    account_id = standalone.open_account(db, code=f"volunteer:test-{phone}", kind="volunteer")

    def work(s):
        volunteer = Volunteer(name="王秀英", phone=phone, home_center_id=center_id, account_id=account_id,
                              created_at=utcnow())
        s.add(volunteer)
        s.flush()
        return volunteer.id

    return db.transaction(work)


def make_user(db, role: str, *, username: str | None = None, password: str = PASSWORD, active: bool = True,
              must_change_password: bool = False, password_hash: str | None = None, center_id: int | None = None,
              volunteer_id: int | None = None, supervised: tuple[int, ...] = ()) -> Person:
    username = username or f"{role}-{uuid.uuid4().hex[:8]}"
    if role == "staff" and center_id is None:
        center_id = make_center(db)
    if role == "volunteer" and volunteer_id is None:
        volunteer_id = make_volunteer(db, center_id or make_center(db))
    if role == "supervisor" and not supervised:
        supervised = (make_center(db),)

    def work(s):
        user = User(username=username, password_hash=password_hash or _hash(password), role=role,
                    center_id=center_id if role == "staff" else None, volunteer_id=volunteer_id, active=active,
                    must_change_password=must_change_password, created_at=utcnow())
        s.add(user)
        s.flush()
        for center in supervised:
            s.add(SupervisorCenter(user_id=user.id, center_id=center))
        return user.id

    return Person(db.transaction(work), username, password, role)


def fast_hashing(monkeypatch) -> None:
    """Cheap argon2id parameters for tests about sign-in rules rather than hashing (a real hash takes ~0.25 s here;
    tests/unit/test_passwords.py covers the real parameters)."""
    monkeypatch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(passwords, "_dummy_hash", None)


def _hash(password: str) -> str:
    hasher = passwords.hasher
    return _cached_hash(password, hasher.time_cost, hasher.memory_cost, hasher.parallelism)


@lru_cache(maxsize=16)
def _cached_hash(password: str, *_parameters) -> str:
    return passwords.hash_password(password)


def mint_token(db, person: Person, *, ttl: timedelta = timedelta(hours=1)) -> str:
    """A working API token for ``person`` without a sign-in (no argon2, no throttle): for sweeping many routes."""
    token = secrets.token_urlsafe(32)

    def work(s):
        user = s.get(User, person.user_id)
        now = utcnow()
        s.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), auth_epoch=user.auth_epoch,
                       expires_at=now + ttl, created_at=now))

    db.transaction(work)
    return token


def mint_session_key(db, person: Person, *, ttl: timedelta = timedelta(hours=1)) -> str:
    """A working page session for ``person`` without a sign-in: the key a session cookie carries (Flask-Login's
    ``_user_id``)."""
    key = secrets.token_urlsafe(32)

    def work(s):
        user = s.get(User, person.user_id)
        now = utcnow()
        s.add(UserSession(user_id=user.id, key_hash=_token_hash(key), auth_epoch=user.auth_epoch,
                          expires_at=now + ttl, created_at=now))

    db.transaction(work)
    return key


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
