"""Pure rules of receipts: the short code a person reads aloud, the masked name, and why a receipt is not good."""
from __future__ import annotations

import re
import unicodedata

# 31 symbols (a prime): digits and capitals without I, L, O, U (read as 1, 1, 0, V) and Z (read as 2).
SHORT_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"
SHORT_CODE_BASE = len(SHORT_CODE_ALPHABET)
SHORT_CODE_DIGITS = 9  # 31⁹ ≈ 2.6 × 10¹³ codes; then one check character
SHORT_CODE_LENGTH = SHORT_CODE_DIGITS + 1
_VALUE = {symbol: value for value, symbol in enumerate(SHORT_CODE_ALPHABET)}
_READ_AS = {"O": "0", "I": "1", "L": "1"}
_SEPARATORS = re.compile(r"[\s\-‐‑–—_·.]+")
# The check character makes the weighted sum (weights 1, 2, … 10) a multiple of 31. Since 31 is prime and every
# weight and every difference of two symbols is below it, one wrong character changes the sum by a non-multiple of
# 31, and so does a swap of two neighbours (it changes the sum by the difference of the two symbols).
_CHECK_WEIGHT_INVERSE = pow(SHORT_CODE_LENGTH, -1, SHORT_CODE_BASE)

# Statuses a receipt can have, and the ones a revocation records.
STATUSES = ("valid", "reversed", "redeemed", "cancelled", "expired")
REVOKED_STATUSES = ("reversed", "redeemed", "cancelled")
# Why a text is not a good receipt, from the parser and the signature check.
INVALID_REASONS = ("malformed", "unknown_key", "bad_signature", "wrong_kind", "unknown_receipt")


class BadShortCode(ValueError):
    pass


def short_code_for(single_use_id: bytes) -> str:
    """The 10-character short code of a receipt, from its single-use id (so an offline verifier can show it too)."""
    value = int.from_bytes(single_use_id, "big") % SHORT_CODE_BASE ** SHORT_CODE_DIGITS
    digits = []
    for _ in range(SHORT_CODE_DIGITS):
        value, digit = divmod(value, SHORT_CODE_BASE)
        digits.append(digit)
    digits.reverse()
    return "".join(SHORT_CODE_ALPHABET[d] for d in digits) + SHORT_CODE_ALPHABET[_check_value(digits)]


def _check_value(digits: list[int]) -> int:
    weighted = sum(weight * digit for weight, digit in enumerate(digits, start=1))
    return (-weighted * _CHECK_WEIGHT_INVERSE) % SHORT_CODE_BASE


def looks_like_short_code(text: str) -> bool:
    """Is this what a person typed for a short code (rather than a scanned receipt text)?"""
    return len(_SEPARATORS.sub("", text.strip())) <= SHORT_CODE_LENGTH + 2


def normalize_short_code(text: str) -> str:
    """``k7qxm-3pa9w`` → ``K7QXM3PA9W``; ``BadShortCode`` with the reason when it cannot be one."""
    code = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    code = "".join(_READ_AS.get(symbol, symbol) for symbol in code)
    if len(code) != SHORT_CODE_LENGTH:
        raise BadShortCode("length")
    if any(symbol not in _VALUE for symbol in code):
        raise BadShortCode("symbol")
    values = [_VALUE[symbol] for symbol in code]
    if sum(weight * value for weight, value in enumerate(values, start=1)) % SHORT_CODE_BASE:
        raise BadShortCode("check")
    return code


def display_short_code(code: str) -> str:
    """Grouped for reading aloud: ``K7QXM-3PA9W``."""
    return f"{code[:5]}-{code[5:]}"


def mask_name(name: str) -> str:
    """The most a receipt shows of a person: 王小英 → 王*英, 王英 → 王*, John Smith → J*** S****."""
    name = (name or "").strip()
    if not name:
        return "*"
    words = name.split()
    if len(words) > 1 or name.isascii():
        return " ".join(word[0] + "*" * max(1, len(word) - 1) for word in words)
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
