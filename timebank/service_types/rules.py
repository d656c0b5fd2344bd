"""What a service type's code, names and rate may be; each limit is defined here once and used by the table, the
service and the schemas.

Pure: no database, no Flask request. Each ``normalize_*`` returns the stored form or raises ``ValueError`` with a
sentence (a lazy translation) a person can act on."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from timebank.ledger.rules import format_credits
from timebank.text import one_line

CODE_MAX = 32
NAME_MAX = 80
MAX_CREDITS_PER_HOUR = 100_00  # 100.00 credits an hour: far above any real rate, catches a misplaced decimal point

_SERVICE_TYPE_CODE = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{CODE_MAX - 1}}}")


def normalize_service_type_code(text: str) -> str:
    code = (text or "").strip().lower() if isinstance(text, str) else ""
    if not _SERVICE_TYPE_CODE.fullmatch(code):
        raise ValueError(_l("A service type code is 1 to %(limit)s lowercase letters, digits, '-' or '_'.",
                            limit=CODE_MAX))
    return code


normalize_service_type_name = one_line(NAME_MAX)


def check_rate(value) -> int:
    """Credits per hour, in hundredths: more than 0.00 and at most ``MAX_CREDITS_PER_HOUR``."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_CREDITS_PER_HOUR:
        raise ValueError(_l("Credits per hour must be more than 0.00 and at most %(limit)s.",
                            limit=format_credits(MAX_CREDITS_PER_HOUR)))
    return value
