"""What a service type code may be.

Pure: no database, no Flask. Each ``normalize_*`` returns the stored form or raises ``ValueError`` with a message
a person can act on."""
from __future__ import annotations

import re

_SERVICE_TYPE_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def normalize_service_type_code(text: str) -> str:
    code = (text or "").strip().lower()
    if not _SERVICE_TYPE_CODE.fullmatch(code):
        raise ValueError("a service type code is 1–32 lowercase letters, digits, '-' or '_'")
    return code
