"""Passwords: argon2id hashes (argon2-cffi's current parameters) and the policy a new password must meet."""
from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

from timebank.auth.common_passwords import COMMON_PASSWORDS

MIN_LENGTH = 8
MAX_LENGTH = 256  # longer buys no security and costs the server hashing time

# argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile). When these change, hashes made with the old
# ones are replaced at the user's next successful sign-in (see needs_rehash).
hasher = PasswordHasher()

_dummy_hash: str | None = None


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def burn_verification_time(password: str) -> None:
    """Spend what a real verification costs, so an unknown username answers as slowly as a wrong password."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hasher.hash(secrets.token_urlsafe(16))
    verify_password(_dummy_hash, password)


def check_password_policy(password: str, *, username: str | None = None) -> list:
    """What is wrong with ``password`` as a new password (sentences that translate themselves); an empty list when it
    is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_l("Use at least %(count)s characters.", count=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_l("Use at most %(count)s characters.", count=MAX_LENGTH))
    folded = password.strip().lower()
    if folded in COMMON_PASSWORDS or _is_one_repeated_character(folded) or _is_a_run(folded):
        problems.append(_l("This password is too common; choose one that is harder to guess."))
    elif username and folded == username.strip().lower():
        problems.append(_l("Do not use your username as your password."))
    return problems


def _is_one_repeated_character(text: str) -> bool:
    return len(set(text)) <= 1


def _is_a_run(text: str) -> bool:
    """Counting up or down by one: 23456789, hgfedcba."""
    if len(text) < 2:
        return False
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:])}
    return steps in ({1}, {-1})
