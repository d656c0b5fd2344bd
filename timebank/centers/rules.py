"""What a center code may be.

Pure: no database, no Flask. Each ``normalize_*`` returns the stored form or raises ``ValueError`` with a message
a person can act on."""
from __future__ import annotations

import re

_CENTER_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,31}")


def normalize_center_code(text: str) -> str:
    """Center codes are case-insensitive and stored in capitals: ``"jk01"`` → ``"JK01"``."""
    code = (text or "").strip().upper()
    if not _CENTER_CODE.fullmatch(code):
        raise ValueError("a center code is 1–32 letters, digits, '-' or '_'")
    return code
