"""What a volunteer's phone number, name, ID card tail or birth year may be.

Pure: no database, no Flask. Each ``normalize_*`` returns the stored form or raises ``ValueError`` with a message
a person can act on."""
from __future__ import annotations

import re
import unicodedata
from datetime import date

NAME_MAX = 60

# Mainland mobile numbers: 11 digits, 1 then 3–9. Landlines are not accepted: volunteers sign in with their phones.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_NOISE = re.compile(r"[\s\-().]")
_ID_CARD_TAIL = re.compile(r"[0-9]{3}[0-9X]")
# Characters a name may hold besides letters: the separators of minority and foreign names (买买提·艾力, Anne-Marie).
_NAME_PUNCTUATION = set("·•・.-' ")


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
