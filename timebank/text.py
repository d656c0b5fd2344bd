"""Rules for free text that every feature shares."""
from __future__ import annotations

import unicodedata


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
