"""What a volunteer's phone number, name, ID card tail or birth year may be; each limit is defined here once and used
by the table, the service, the import and the schemas.

Pure: no database, no Flask request. Each ``normalize_*`` returns the stored form or raises ``ValueError`` with a
sentence (a lazy translation) a person can act on. A name is stored as it was typed (only whitespace is collapsed):
its characters are judged in their half-width form, so ``买买提·艾力`` and ``Anne－Marie`` are names as typed."""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l

from timebank.text import REQUIRED, collapse_whitespace

NAME_MAX = 60
PHONE_MAX = 20  # stored: 11 digits; the column leaves room
PHONE_INPUT_MAX = 30  # as typed, with spaces, dashes and +86
ID_CARD_TAIL_LENGTH = 4
BIRTH_YEAR_MIN = 1900
BIRTH_YEAR_STORED_MAX = 2100  # the table's bound; the rule's is this year

# Mainland mobile numbers: 11 digits, 1 then 3–9. Landlines are not accepted: volunteers sign in with their phones.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_NOISE = re.compile(r"[\s\-().]")
_ID_CARD_TAIL = re.compile(r"[0-9]{3}[0-9X]")
# Characters a name may hold besides letters, judged after width folding: the separators of minority and foreign
# names (买买提·艾力 with the middle dot in any of its forms, Anne-Marie, O'Neil, J. Smith).
_NAME_PUNCTUATION = set("·•・‧∙.-'’ ")


def normalize_phone(text: str) -> str:
    """``"+86 138-0013-8000"`` → ``"13800138000"`` (full-width digits too: a phone number is an identifier)."""
    if not isinstance(text, str):
        raise ValueError(REQUIRED)
    compact = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", text))
    if compact.startswith("+86"):
        compact = compact[3:]
    elif compact.startswith("0086"):
        compact = compact[4:]
    elif compact.startswith("86") and len(compact) == 13:
        compact = compact[2:]
    if not compact:
        raise ValueError(REQUIRED)
    if not _MOBILE.fullmatch(compact):
        raise ValueError(_l("Please enter a mainland mobile number: 11 digits starting with 13 to 19."))
    return compact


def normalize_name(text: str) -> str:
    """A person's name as typed (whitespace collapsed): letters of any script and the separators names use."""
    if not isinstance(text, str):
        raise ValueError(REQUIRED)
    name = collapse_whitespace(text)
    if not name:
        raise ValueError(REQUIRED)
    if len(name) > NAME_MAX:
        raise ValueError(_l("Please enter at most %(limit)s characters.", limit=NAME_MAX))
    for char in name:
        folded = unicodedata.normalize("NFKC", char)
        if not all(unicodedata.category(c)[0] in "LM" or c in _NAME_PUNCTUATION for c in folded):
            raise ValueError(_l("A name may not contain “%(char)s”.", char=char))
    return name


def normalize_id_card_tail(text: str | None) -> str | None:
    """The last four characters of the resident ID card (the last may be X); empty means unknown."""
    if text is None:
        return None
    tail = unicodedata.normalize("NFKC", str(text)).strip().upper()
    if not tail:
        return None
    if not _ID_CARD_TAIL.fullmatch(tail):
        raise ValueError(_l("The ID card tail is 4 characters: 3 digits, then a digit or X."))
    return tail


def normalize_birth_year(value, *, today: date | None = None) -> int | None:
    """A year from 1900 to this year; empty means unknown."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    this_year = (today or date.today()).year
    out_of_range = ValueError(_l("Please enter a year of birth from %(first)s to %(last)s.",
                                 first=BIRTH_YEAR_MIN, last=this_year))
    if isinstance(value, bool):
        raise out_of_range
    try:
        year = int(unicodedata.normalize("NFKC", str(value)).strip())
    except ValueError:
        raise out_of_range from None
    if not BIRTH_YEAR_MIN <= year <= this_year:
        raise out_of_range
    return year
