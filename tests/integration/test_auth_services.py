"""Signing in, the database-backed throttle, tokens and password changes, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from tests.auth_helpers import PASSWORD, fast_hashing, make_center, make_user
from timebank.audit.models import AuditEntry
from timebank.auth import passwords, principals, services, throttle as throttle_module
from timebank.auth.access import Unauthorized
from timebank.auth.models import ApiToken, SignInFailure, User, UserSession
from timebank.auth.services import SignInFailed, Throttle, TooManyAttempts
from timebank.clock import utcnow
from timebank.errors import ValidationFailed

HERE = "203.0.113.7"


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_hashing(monkeypatch)


def sign_in(db, username, password=PASSWORD, address=HERE, **kwargs):
    return services.authenticate(db, username=username, password=password, address=address, **kwargs)


def later(monkeypatch, delta: timedelta):
    moment = utcnow() + delta
    for module in (services, throttle_module, principals):
        monkeypatch.setattr(module, "utcnow", lambda: moment)


def stored_user(db, user_id) -> User:
    return db.transaction(lambda s: s.get(User, user_id), readonly=True)


# --- signing in ------------------------------------------------------------------------------------------------------

def test_the_right_password_signs_in_with_the_users_role_and_centers(db):
    center = make_center(db)
    person = make_user(db, "supervisor", supervised=(center,))
    principal = sign_in(db, person.username)
    assert (principal.user_id, principal.username, principal.role) == (person.user_id, person.username, "supervisor")
    assert principal.supervised_center_ids == frozenset({center})
    assert principal.auth_epoch == 0
    assert principal.get_id() is None  # only a page session (a row of its own) has an id for the cookie


def test_a_staff_member_signs_in_with_their_center(db):
    center = make_center(db)
    person = make_user(db, "staff", center_id=center)
    assert sign_in(db, person.username).visible_center_ids() == frozenset({center})


def test_a_wrong_password_is_refused_and_counted(db):
    person = make_user(db, "admin")
    with pytest.raises(SignInFailed) as refusal:
        sign_in(db, person.username, "Not-the-password 1")
    assert (refusal.value.status, refusal.value.code) == (401, "unauthorized")
    assert services.count_recent_failures(db, username=person.username) == 1


def test_an_unknown_username_is_refused_like_a_wrong_password(db):
    with pytest.raises(SignInFailed) as refusal:
        sign_in(db, "nobody-here")
    assert refusal.value.message == "Wrong username or password."
    assert services.count_recent_failures(db, username="nobody-here") == 1


def test_a_deactivated_user_cannot_sign_in_even_with_the_right_password(db):
    person = make_user(db, "staff", active=False)
    with pytest.raises(SignInFailed, match="deactivated"):
        sign_in(db, person.username)


def test_a_successful_sign_in_forgets_the_usernames_earlier_failures(db):
    person = make_user(db, "admin")
    for _ in range(3):
        with pytest.raises(SignInFailed):
            sign_in(db, person.username, "Not-the-password 1")
    sign_in(db, person.username)
    assert services.count_recent_failures(db, username=person.username) == 0


def test_signing_in_replaces_a_hash_made_with_old_parameters(db):
    old_hash = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash(PASSWORD)
    person = make_user(db, "admin", password_hash=old_hash)
    sign_in(db, person.username)
    new_hash = stored_user(db, person.user_id).password_hash
    assert new_hash != old_hash
    assert not passwords.needs_rehash(new_hash)
    assert passwords.verify_password(new_hash, PASSWORD)


def test_a_current_hash_is_left_alone_on_sign_in(db):
    person = make_user(db, "admin")
    before = stored_user(db, person.user_id).password_hash
    sign_in(db, person.username)
    assert stored_user(db, person.user_id).password_hash == before


# --- the throttle ----------------------------------------------------------------------------------------------------

def test_the_sixth_rapid_failure_for_a_username_from_one_address_is_answered_too_many_attempts(db):
    person = make_user(db, "admin")
    for _ in range(5):
        with pytest.raises(SignInFailed):
            sign_in(db, person.username, "Not-the-password 1")
    with pytest.raises(TooManyAttempts) as refusal:
        sign_in(db, person.username, "Not-the-password 1")
    assert (refusal.value.status, refusal.value.code) == (429, "too_many_attempts")
    assert 14 * 60 <= refusal.value.retry_after <= 15 * 60


def test_failures_from_five_addresses_do_not_lock_the_owner_out(db):
    """Issue 6, bug 18: anyone could lock anyone out by guessing wrong from a few addresses."""
    person = make_user(db, "staff")
    for attempt in range(5):
        with pytest.raises(SignInFailed):
            sign_in(db, person.username, "Not-the-password 1", address=f"198.51.100.{attempt}")
    assert sign_in(db, person.username, address="198.51.100.99").user_id == person.user_id


def test_an_address_that_keeps_failing_on_a_username_waits_longer_each_time(db, monkeypatch):
    person = make_user(db, "staff")
    for attempt in range(5):
        with pytest.raises(SignInFailed):
            sign_in(db, person.username, "Not-the-password 1", address=f"198.51.100.{attempt}")
    # The username has 5 failures: an address that failed on it waits 1 s before its next try …
    with pytest.raises(TooManyAttempts) as refusal:
        sign_in(db, person.username, "Not-the-password 1", address="198.51.100.0")
    assert refusal.value.retry_after == 1
    later(monkeypatch, timedelta(seconds=2))
    with pytest.raises(SignInFailed):
        sign_in(db, person.username, "Not-the-password 1", address="198.51.100.0")
    # … and each further failure of the username doubles the wait (6 failures: 2 s).
    with pytest.raises(TooManyAttempts) as refusal:
        sign_in(db, person.username, "Not-the-password 1", address="198.51.100.0")
    assert refusal.value.retry_after == 2
    # The owner, from an address that has not failed, still signs in at once.
    assert sign_in(db, person.username, address="203.0.113.200").user_id == person.user_id


def test_the_growing_delay_stops_at_its_longest():
    bounds = Throttle()
    assert [bounds.delay(n).total_seconds() for n in (0, 4, 5, 6, 7, 10)] == [0, 0, 1, 2, 4, 32]
    assert bounds.delay(10_000) == bounds.longest_delay == timedelta(minutes=5)


def test_signing_in_does_not_forget_the_failures_from_other_addresses(db):
    person = make_user(db, "staff")
    with pytest.raises(SignInFailed):
        sign_in(db, person.username, "Not-the-password 1", address="198.51.100.1")
    sign_in(db, person.username, address="203.0.113.200")
    assert services.count_recent_failures(db, username=person.username) == 1


def test_a_throttled_username_is_refused_even_with_the_right_password(db):
    person = make_user(db, "admin")
    for _ in range(5):
        with pytest.raises(SignInFailed):
            sign_in(db, person.username, "Not-the-password 1")
    with pytest.raises(TooManyAttempts):
        sign_in(db, person.username)


def test_the_username_throttle_ignores_case(db):
    person = make_user(db, "admin", username="Zhang.Wei")
    for _ in range(5):
        with pytest.raises(SignInFailed):
            sign_in(db, "zhang.wei", "Not-the-password 1")
    with pytest.raises(TooManyAttempts):
        sign_in(db, person.username)


def test_the_throttle_lifts_when_the_failures_leave_the_window(db, monkeypatch):
    person = make_user(db, "admin")
    for _ in range(5):
        with pytest.raises(SignInFailed):
            sign_in(db, person.username, "Not-the-password 1")
    later(monkeypatch, timedelta(minutes=15, seconds=1))
    assert sign_in(db, person.username).user_id == person.user_id


def test_retry_after_counts_down_to_when_the_oldest_failure_leaves_the_window(db, monkeypatch):
    person = make_user(db, "admin")
    for _ in range(5):
        with pytest.raises(SignInFailed):
            sign_in(db, person.username, "Not-the-password 1")
    later(monkeypatch, timedelta(minutes=10))
    with pytest.raises(TooManyAttempts) as refusal:
        sign_in(db, person.username)
    assert 4 * 60 <= refusal.value.retry_after <= 5 * 60


def test_one_address_guessing_many_usernames_is_throttled(db):
    throttle = Throttle(per_address=8)
    for attempt in range(8):
        with pytest.raises(SignInFailed):
            sign_in(db, f"guess-{attempt}", "Not-the-password 1", throttle=throttle)
    with pytest.raises(TooManyAttempts):
        sign_in(db, "guess-new", "Not-the-password 1", throttle=throttle)
    person = make_user(db, "admin")
    assert sign_in(db, person.username, address="192.0.2.1", throttle=throttle).user_id == person.user_id


def test_wrong_passwords_for_a_made_up_user_do_not_lock_out_the_center(db):
    """Issue 6, bug 3: six wrong passwords for a made-up user from the center's address locked its admin out."""
    person = make_user(db, "admin")
    for _ in range(6):
        with pytest.raises((SignInFailed, TooManyAttempts)):
            sign_in(db, "made-up-user", "Not-the-password 1")
    assert sign_in(db, person.username).user_id == person.user_id


def test_one_address_waits_only_after_many_failures_across_usernames(db):
    bound = Throttle().per_address
    assert bound >= 30  # a center's staff share one address: a few typos each must never lock the center out
    for attempt in range(bound):
        with pytest.raises(SignInFailed):
            sign_in(db, f"guess-{attempt}", "Not-the-password 1")
    with pytest.raises(TooManyAttempts):
        sign_in(db, "guess-new", "Not-the-password 1")


def test_failures_older_than_the_window_are_deleted_on_the_next_attempt(db, monkeypatch):
    with pytest.raises(SignInFailed):
        sign_in(db, "someone", "Not-the-password 1")
    later(monkeypatch, timedelta(hours=1))
    with pytest.raises(SignInFailed):
        sign_in(db, "someone", "Not-the-password 1")
    rows = db.transaction(lambda s: s.scalar(select(func.count()).select_from(SignInFailure)), readonly=True)
    assert rows == 1


# --- tokens ----------------------------------------------------------------------------------------------------------

def test_an_issued_token_stands_for_its_user_and_only_its_hash_is_stored(db):
    person = make_user(db, "admin")
    token, expires_at = services.issue_token(db, username=person.username, password=PASSWORD, address=HERE)
    assert len(token) >= 43
    assert timedelta(hours=11, minutes=59) < expires_at - utcnow() <= timedelta(hours=12)
    assert services.principal_for_token(db, token).user_id == person.user_id
    stored = db.transaction(lambda s: s.scalars(select(ApiToken.token_hash)).all(), readonly=True)
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_a_token_takes_its_lifetime_from_the_caller(db):
    person = make_user(db, "admin")
    _token, expires_at = services.issue_token(db, username=person.username, password=PASSWORD, address=HERE,
                                              ttl=timedelta(minutes=5))
    assert timedelta(minutes=4) < expires_at - utcnow() <= timedelta(minutes=5)


def test_a_token_stops_working_when_it_expires(db, monkeypatch):
    person = make_user(db, "admin")
    token, _ = services.issue_token(db, username=person.username, password=PASSWORD, address=HERE)
    later(monkeypatch, timedelta(hours=12, seconds=1))
    assert services.principal_for_token(db, token) is None


def test_an_unknown_or_mangled_token_stands_for_nobody(db):
    person = make_user(db, "admin")
    token, _ = services.issue_token(db, username=person.username, password=PASSWORD, address=HERE)
    assert services.principal_for_token(db, token[:-1]) is None
    assert services.principal_for_token(db, "") is None
    assert services.principal_for_token(db, "x" * 5000) is None


def test_a_token_stops_working_when_its_user_is_deactivated(db):
    person = make_user(db, "admin")
    token, _ = services.issue_token(db, username=person.username, password=PASSWORD, address=HERE)

    def deactivate(s):
        s.get(User, person.user_id).active = False

    db.transaction(deactivate)
    assert services.principal_for_token(db, token) is None


def test_a_wrong_password_issues_no_token(db):
    person = make_user(db, "admin")
    with pytest.raises(SignInFailed):
        services.issue_token(db, username=person.username, password="Not-the-password 1", address=HERE)
    assert db.transaction(lambda s: s.scalar(select(func.count()).select_from(ApiToken)), readonly=True) == 0


def test_a_revoked_token_stops_working(db):
    person = make_user(db, "admin")
    token, _ = services.issue_token(db, username=person.username, password=PASSWORD, address=HERE)
    services.revoke_token(db, token)
    assert services.principal_for_token(db, token) is None


# --- sessions --------------------------------------------------------------------------------------------------------

def start_session(db, username, password=PASSWORD, **kwargs):
    return services.start_session(db, username=username, password=password, address=HERE, **kwargs)


def test_a_session_key_loads_its_principal_until_the_password_changes(db):
    person = make_user(db, "admin")
    principal = start_session(db, person.username)
    assert services.principal_for_session(db, principal.get_id()) == principal
    assert services.principal_for_session(db, principal.get_id()).get_id() == principal.get_id()
    services.change_password(db, principal=principal, current_password=PASSWORD, new_password="Lotus-pond 2024")
    assert services.principal_for_session(db, principal.get_id()) is None
    fresh = start_session(db, person.username, "Lotus-pond 2024")
    assert services.principal_for_session(db, fresh.get_id()) == fresh


def test_a_session_stays_a_server_row_and_only_the_hash_of_its_key_is_stored(db):
    person = make_user(db, "staff")
    principal = start_session(db, person.username)
    key = principal.get_id()
    assert len(key) >= 43
    stored = db.transaction(lambda s: s.scalars(select(UserSession.key_hash)).all(), readonly=True)
    assert stored == [principals.secret_hash(key)]


def test_ending_a_session_makes_its_key_load_nobody(db):
    """Issue 6, bug 17: a copied session cookie kept working after signing out."""
    person = make_user(db, "staff")
    principal = start_session(db, person.username)
    other = start_session(db, person.username)
    services.end_session(db, principal.get_id())
    assert services.principal_for_session(db, principal.get_id()) is None
    assert services.principal_for_session(db, other.get_id()) == other  # the other browser stays signed in


def test_a_session_expires(db, monkeypatch):
    person = make_user(db, "staff")
    principal = start_session(db, person.username, ttl=timedelta(hours=1))
    later(monkeypatch, timedelta(hours=1, seconds=1))
    assert services.principal_for_session(db, principal.get_id()) is None


def test_a_session_ends_when_its_user_is_deactivated(db):
    person = make_user(db, "staff")
    principal = start_session(db, person.username)

    def deactivate(s):
        s.get(User, person.user_id).active = False

    db.transaction(deactivate)
    assert services.principal_for_session(db, principal.get_id()) is None


def test_changing_the_password_can_keep_this_browser_signed_in_and_no_other(db):
    person = make_user(db, "staff")
    here, elsewhere = start_session(db, person.username), start_session(db, person.username)
    renewed = services.change_password(db, principal=here, current_password=PASSWORD,
                                       new_password="Lotus-pond 2024", keep_signed_in=True)
    assert renewed.auth_epoch == 1 and renewed.get_id() not in (here.get_id(), elsewhere.get_id())
    assert services.principal_for_session(db, renewed.get_id()) == renewed
    assert services.principal_for_session(db, here.get_id()) is None
    assert services.principal_for_session(db, elsewhere.get_id()) is None
    rows = db.transaction(lambda s: s.scalar(select(func.count()).select_from(UserSession)), readonly=True)
    assert rows == 1


def test_a_supervisors_session_carries_every_supervised_center(db):
    first, second = make_center(db), make_center(db)
    person = make_user(db, "supervisor", supervised=(first, second))
    principal = start_session(db, person.username)
    loaded = services.principal_for_session(db, principal.get_id())
    assert loaded.visible_center_ids() == frozenset({first, second})


@pytest.mark.parametrize("session_id", ["", "abc", "1", "1:0", ":", None, "x" * 5000])
def test_a_malformed_session_id_loads_nobody(db, session_id):
    assert services.principal_for_session(db, session_id) is None


def test_load_principal_skips_unknown_and_deactivated_users(db):
    person = make_user(db, "staff", active=False)
    assert services.load_principal(db, person.user_id) is None
    assert services.load_principal(db, 987654) is None


# --- changing the password -------------------------------------------------------------------------------------------

def test_changing_the_password_ends_every_token_and_lifts_the_one_time_flag(db):
    person = make_user(db, "admin", must_change_password=True)
    principal = sign_in(db, person.username)
    assert principal.must_change_password
    token, _ = services.issue_token(db, username=person.username, password=PASSWORD, address=HERE)
    services.change_password(db, principal=principal, current_password=PASSWORD, new_password="Lotus-pond 2024")
    assert services.principal_for_token(db, token) is None
    user = stored_user(db, person.user_id)
    assert (user.auth_epoch, user.must_change_password) == (1, False)
    with pytest.raises(SignInFailed):
        sign_in(db, person.username)
    assert not sign_in(db, person.username, "Lotus-pond 2024").must_change_password


def test_a_password_change_is_audited(db):
    person = make_user(db, "admin")
    principal = sign_in(db, person.username)
    services.change_password(db, principal=principal, current_password=PASSWORD, new_password="Lotus-pond 2024")
    entries = db.transaction(lambda s: s.scalars(select(AuditEntry)).all(), readonly=True)
    assert [(e.action, e.object_type, e.object_id, e.actor_user_id) for e in entries] == [
        ("user.change_password", "user", str(person.user_id), person.user_id)]


@pytest.mark.parametrize("new_password, problem", [
    ("short1", "at least 8"),
    ("88888888", "too common"),
    (PASSWORD, "different from the current"),
])
def test_an_unacceptable_new_password_is_refused_and_nothing_changes(db, new_password, problem):
    person = make_user(db, "admin")
    principal = sign_in(db, person.username)
    with pytest.raises(ValidationFailed) as refusal:
        services.change_password(db, principal=principal, current_password=PASSWORD, new_password=new_password)
    assert refusal.value.status == 422
    assert problem in " ".join(map(str, refusal.value.fields["new_password"]))
    assert stored_user(db, person.user_id).auth_epoch == 0


def test_a_wrong_current_password_is_refused_and_counts_as_a_failed_sign_in(db):
    person = make_user(db, "admin")
    principal = sign_in(db, person.username)
    with pytest.raises(ValidationFailed) as refusal:
        services.change_password(db, principal=principal, current_password="Not-the-password 1",
                                 new_password="Lotus-pond 2024")
    assert "current_password" in refusal.value.fields
    assert services.count_recent_failures(db, username=person.username) == 1
    assert passwords.verify_password(stored_user(db, person.user_id).password_hash, PASSWORD)


def test_guessing_the_current_password_is_throttled(db):
    person = make_user(db, "admin")
    principal = sign_in(db, person.username)
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            services.change_password(db, principal=principal, current_password="Not-the-password 1",
                                     new_password="Lotus-pond 2024")
    with pytest.raises(TooManyAttempts):
        services.change_password(db, principal=principal, current_password=PASSWORD, new_password="Lotus-pond 2024")


def test_a_session_older_than_the_last_password_change_cannot_change_it_again(db):
    person = make_user(db, "admin")
    principal = sign_in(db, person.username)
    services.change_password(db, principal=principal, current_password=PASSWORD, new_password="Lotus-pond 2024")
    with pytest.raises(Unauthorized):
        services.change_password(db, principal=principal, current_password="Lotus-pond 2024",
                                 new_password="Willow-bank 2025")
