"""What a catalog item's SKU, names, unit and price may be; each limit is defined here once and used by the table,
the service and the schemas.

Pure: no database, no Flask request. Each ``normalize_*`` returns the stored form or raises ``ValueError`` with a
sentence (a lazy translation) a person can act on."""
from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from timebank.ledger.rules import format_credits
from timebank.text import one_line

SKU_MAX = 32
NAME_MAX = 80
UNIT_MAX = 16
# 10,000.00 credits: far above any real price (a bag of rice is a few credits), catches a misplaced decimal point.
MAX_PRICE = 10_000_00

_SKU = re.compile(rf"[A-Z0-9][A-Z0-9_-]{{0,{SKU_MAX - 1}}}")


def normalize_sku(text) -> str:
    """``rice-5kg`` → ``RICE-5KG``: letters, digits, ``-`` and ``_``, stored in capitals (full-width folded)."""
    sku = unicodedata.normalize("NFKC", text).strip().upper() if isinstance(text, str) else ""
    if not _SKU.fullmatch(sku):
        raise ValueError(_l("A SKU is 1 to %(limit)s letters, digits, '-' or '_'.", limit=SKU_MAX))
    return sku


normalize_item_name = one_line(NAME_MAX)
normalize_unit = one_line(UNIT_MAX)


def check_price(value) -> int:
    """A price in hundredths of a credit: more than 0.00 and at most ``MAX_PRICE``."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_PRICE:
        raise ValueError(_l("A price must be more than 0.00 and at most %(limit)s credits.",
                            limit=format_credits(MAX_PRICE)))
    return value
