"""What a username may be, and the one-time passwords users are given.

Pure: no database, no Flask. Each ``normalize_*`` returns the stored form or raises ``ValueError`` with a message
a person can act on."""
from __future__ import annotations

import re
import secrets

USERNAME_MAX = 60

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{2,59}")
# No 0/O, 1/l/I: a one-time password is read off a screen and typed by hand.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def normalize_username(text: str) -> str:
    username = (text or "").strip().lower()
    if not _USERNAME.fullmatch(username):
        raise ValueError("a username is 3–60 letters, digits, '.', '_', '-' or '@', starting with a letter or digit")
    return username


def one_time_password(length: int = 12) -> str:
    """A random password to be changed at first sign-in, grouped in fours to read aloud: ``"k7Qm-xR3p-Hw2d"``."""
    chars = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
    return "-".join(chars[i:i + 4] for i in range(0, length, 4))
