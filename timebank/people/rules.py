"""Pure rules for people's data: what a phone number, a name, a code or a birth year may be.

No database, no Flask: the services, the schemas and the CSV import all call these, and unit tests call them directly.
Each ``normalize_*`` returns the stored form or raises ``ValueError`` with a message a person can act on.
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import date

NAME_MAX = 60
USERNAME_MAX = 60

# Mainland mobile numbers: 11 digits, 1 then 3–9. Landlines are not accepted: volunteers sign in with their phones.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_NOISE = re.compile(r"[\s\-().]")
_CENTER_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,31}")
_SERVICE_TYPE_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{2,59}")
_ID_CARD_TAIL = re.compile(r"[0-9]{3}[0-9X]")
# Characters a name may hold besides letters: the separators of minority and foreign names (买买提·艾力, Anne-Marie).
_NAME_PUNCTUATION = set("·•・.-' ")

# No 0/O, 1/l/I: a one-time password is read off a screen and typed by hand.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def one_line(limit: int, what: str):
    """A rule for a required one-line text: whitespace collapsed, at most ``limit`` characters."""

    def normalize(value) -> str:
        text = " ".join(unicodedata.normalize("NFKC", str(value or "")).split())
        if not text:
            raise ValueError(f"a {what} is required")
        if len(text) > limit:
            raise ValueError(f"a {what} has at most {limit} characters")
        return text

    return normalize


def normalize_phone(text: str) -> str:
    """``"+86 138-0013-8000"`` → ``"13800138000"``."""
    if not isinstance(text, str):
        raise ValueError("a phone number is required")
    compact = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", text))
    if compact.startswith("+86"):
        compact = compact[3:]
    elif compact.startswith("0086"):
        compact = compact[4:]
    elif compact.startswith("86") and len(compact) == 13:
        compact = compact[2:]
    if not compact:
        raise ValueError("a phone number is required")
    if not _MOBILE.fullmatch(compact):
        raise ValueError("not a mainland mobile number (11 digits starting with 13–19)")
    return compact


def normalize_name(text: str) -> str:
    """A person's name: letters of any script and the separators names use, at most 60 characters."""
    if not isinstance(text, str):
        raise ValueError("a name is required")
    name = " ".join(unicodedata.normalize("NFKC", text).split())
    if not name:
        raise ValueError("a name is required")
    if len(name) > NAME_MAX:
        raise ValueError(f"a name has at most {NAME_MAX} characters")
    for char in name:
        if not (unicodedata.category(char)[0] in "LM" or char in _NAME_PUNCTUATION):
            raise ValueError(f"a name may not contain {char!r}")
    return name


def normalize_center_code(text: str) -> str:
    """Center codes are case-insensitive and stored in capitals: ``"jk01"`` → ``"JK01"``."""
    code = (text or "").strip().upper()
    if not _CENTER_CODE.fullmatch(code):
        raise ValueError("a center code is 1–32 letters, digits, '-' or '_'")
    return code


def normalize_service_type_code(text: str) -> str:
    code = (text or "").strip().lower()
    if not _SERVICE_TYPE_CODE.fullmatch(code):
        raise ValueError("a service type code is 1–32 lowercase letters, digits, '-' or '_'")
    return code


def normalize_username(text: str) -> str:
    username = (text or "").strip().lower()
    if not _USERNAME.fullmatch(username):
        raise ValueError("a username is 3–60 letters, digits, '.', '_', '-' or '@', starting with a letter or digit")
    return username


def normalize_id_card_tail(text: str | None) -> str | None:
    """The last four characters of the resident ID card (the last may be X); empty means unknown."""
    if text is None:
        return None
    tail = unicodedata.normalize("NFKC", str(text)).strip().upper()
    if not tail:
        return None
    if not _ID_CARD_TAIL.fullmatch(tail):
        raise ValueError("the ID card tail is 4 characters: 3 digits, then a digit or X")
    return tail


def normalize_birth_year(value, *, today: date | None = None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("not a year")
    try:
        year = int(str(value).strip())
    except ValueError:
        raise ValueError("not a year") from None
    this_year = (today or date.today()).year
    if not 1900 <= year <= this_year:
        raise ValueError(f"a birth year is between 1900 and {this_year}")
    return year


def one_time_password(length: int = 12) -> str:
    """A random password to be changed at first sign-in, grouped in fours to read aloud: ``"k7Qm-xR3p-Hw2d"``."""
    chars = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
    return "-".join(chars[i:i + 4] for i in range(0, length, 4))
