"""What a username and a display name may be, which roles and languages a user may have, and the one-time passwords
users are given; each limit is defined here once and used by the table, the service and the schemas.

Pure: no database, no Flask request. Each ``normalize_*`` returns the stored form or raises ``ValueError`` with a
sentence (a lazy translation) a person can act on."""
from __future__ import annotations

import re
import secrets

from flask_babel import lazy_gettext as _l

from timebank.auth.access import ROLES  # noqa: F401  (the roles a user may have: re-exported for the schemas)
from timebank.text import collapse_whitespace

USERNAME_MIN = 3
USERNAME_MAX = 60
DISPLAY_NAME_MAX = 60
LOCALES = ("zh", "en")

_USERNAME = re.compile(rf"[a-z0-9][a-z0-9._@-]{{{USERNAME_MIN - 1},{USERNAME_MAX - 1}}}")
# No 0/O, 1/l/I: a one-time password is read off a screen and typed by hand.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def normalize_username(text: str) -> str:
    username = (text or "").strip().lower() if isinstance(text, str) else ""
    if not _USERNAME.fullmatch(username):
        raise ValueError(_l("A username is %(min)s to %(max)s letters, digits, '.', '_', '-' or '@', starting with a "
                            "letter or digit.", min=USERNAME_MIN, max=USERNAME_MAX))
    return username


def normalize_display_name(value) -> str:
    """Any text, whitespace collapsed, kept as typed; may be empty."""
    text = collapse_whitespace(value)
    if len(text) > DISPLAY_NAME_MAX:
        raise ValueError(_l("Please enter at most %(limit)s characters.", limit=DISPLAY_NAME_MAX))
    return text


def one_time_password(length: int = 12) -> str:
    """A random password to be changed at first sign-in, grouped in fours to read aloud: ``"k7Qm-xR3p-Hw2d"``."""
    chars = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
    return "-".join(chars[i:i + 4] for i in range(0, length, 4))
