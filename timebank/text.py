"""Rules for free text that every feature shares.

What people typed is kept as they typed it (full-width brackets, commas and digits are part of a Chinese name:
``全角（测试）中心，第１号``); only runs of whitespace are collapsed. Comparison and search fold the width
(``fold`` and ``search_variants``), never the stored text.
"""
from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l

REQUIRED = _l("This field is required.")


def one_line(limit: int):
    """A rule for a required one-line text: whitespace collapsed, at most ``limit`` characters, no control
    characters; otherwise exactly as typed."""

    def normalize(value) -> str:
        text = collapse_whitespace(value)
        if not text:
            raise ValueError(REQUIRED)
        if len(text) > limit:
            raise ValueError(_l("Please enter at most %(limit)s characters.", limit=limit))
        if any(unicodedata.category(char) == "Cc" for char in text):
            raise ValueError(_l("Please remove the control characters from this text."))
        return text

    return normalize


def collapse_whitespace(value) -> str:
    return " ".join(str(value or "").split())


def fold(text: str) -> str:
    """The form two texts are compared in: full-width and half-width alike (NFKC), case folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def search_variants(term: str) -> list[str]:
    """A search term as typed, with full-width punctuation and digits made half-width, and the other way round,
    so ``(测试)`` finds ``（测试）`` and ``１号`` finds ``1号`` in a stored name."""
    variants = [term, unicodedata.normalize("NFKC", term), _widen(unicodedata.normalize("NFKC", term))]
    return list(dict.fromkeys(variants))


def _widen(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" and not char.isalpha() else char for char in text)
