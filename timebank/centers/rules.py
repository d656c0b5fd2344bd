"""What a center's code, name and district may be; each limit is defined here once and used by the table, the
service and the schemas.

Pure: no database, no Flask request. Each ``normalize_*`` returns the stored form or raises ``ValueError`` with a
sentence (a lazy translation) a person can act on."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from timebank.text import one_line

CODE_MAX = 32
NAME_MAX = 120
DISTRICT_MAX = 60

_CENTER_CODE = re.compile(rf"[A-Z0-9][A-Z0-9_-]{{0,{CODE_MAX - 1}}}")


def normalize_center_code(text: str) -> str:
    """Center codes are case-insensitive and stored in capitals: ``"jk01"`` → ``"JK01"``."""
    code = (text or "").strip().upper() if isinstance(text, str) else ""
    if not _CENTER_CODE.fullmatch(code):
        raise ValueError(_l("A center code is 1 to %(limit)s letters, digits, '-' or '_'.", limit=CODE_MAX))
    return code


# A center's name is kept as typed: full-width brackets, commas and digits included (京口区（大市口）中心，第１站).
normalize_center_name = one_line(NAME_MAX)
normalize_district = one_line(DISTRICT_MAX)
