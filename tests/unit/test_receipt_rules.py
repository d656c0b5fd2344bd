"""Receipts' pure rules: the short code catches every single mistyped character and every swap of neighbours, reads
what people type (hyphens, spaces, lowercase, O for 0, I and L for 1), and the masked name shows no more than SPEC §5."""
from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timebank.receipts.rules import (
    SHORT_CODE_ALPHABET,
    SHORT_CODE_LENGTH,
    BadShortCode,
    display_short_code,
    looks_like_short_code,
    mask_name,
    normalize_short_code,
    short_code_for,
)

CODES = [short_code_for(random.Random(seed).randbytes(8)) for seed in range(200)]


def caught(text: str) -> bool:
    try:
        normalize_short_code(text)
    except BadShortCode:
        return True
    return False


def test_every_short_code_is_10_of_the_31_symbols_and_reads_back_as_itself():
    assert len(SHORT_CODE_ALPHABET) == 31 and not set("ILOUZ") & set(SHORT_CODE_ALPHABET)
    for code in CODES:
        assert len(code) == SHORT_CODE_LENGTH == 10
        assert set(code) <= set(SHORT_CODE_ALPHABET)
        assert normalize_short_code(code) == code


@given(st.binary(min_size=8, max_size=8))
def test_the_short_code_depends_only_on_the_single_use_id(single_use_id):
    code = short_code_for(single_use_id)
    assert code == short_code_for(bytes(single_use_id)) and len(code) == 10
    assert normalize_short_code(code) == code


def test_short_codes_of_different_ids_differ():
    assert len(set(CODES)) == len(CODES)


def test_every_single_wrong_character_in_any_position_is_caught():
    for code in CODES:
        for position in range(SHORT_CODE_LENGTH):
            for symbol in SHORT_CODE_ALPHABET:
                if symbol != code[position]:
                    wrong = code[:position] + symbol + code[position + 1:]
                    assert caught(wrong), (code, wrong)


def test_every_swap_of_two_neighbouring_characters_is_caught():
    for code in CODES:
        for position in range(SHORT_CODE_LENGTH - 1):
            swapped = code[:position] + code[position + 1] + code[position] + code[position + 2:]
            if swapped != code:
                assert caught(swapped), (code, swapped)


def test_the_reasons_are_length_symbol_and_check():
    code = CODES[0]
    for text, reason in ((code[:-1], "length"), (code + "0", "length"), ("", "length"),
                         (code[:-1] + "U", "symbol"), (code[:-1] + "#", "symbol"), ("Z" + code[1:], "symbol")):
        with pytest.raises(BadShortCode) as raised:
            normalize_short_code(text)
        assert raised.value.args == (reason,), text
    wrong = code[:-1] + next(s for s in SHORT_CODE_ALPHABET if s != code[-1])
    with pytest.raises(BadShortCode, match="check"):
        normalize_short_code(wrong)


def test_what_people_type_is_read_hyphens_spaces_lowercase_and_look_alike_letters():
    for code in CODES[:50]:
        grouped = display_short_code(code)
        assert grouped == f"{code[:5]}-{code[5:]}"
        sloppy = code.lower().replace("0", "o").replace("1", "l")
        for text in (grouped, grouped.lower(), f" {code[:3]} {code[3:6]} {code[6:]} ", sloppy,
                     code.replace("1", "I"), code.replace("0", "O"), f"{code[:5]}–{code[5:]}",
                     code.replace("1", "i"), "".join(chr(ord(c) + 0xFEE0) for c in code)):  # full-width
            assert normalize_short_code(text) == code, text


def test_a_short_code_is_told_apart_from_a_scanned_text():
    assert all(looks_like_short_code(display_short_code(code)) for code in CODES)
    assert looks_like_short_code(" k7qxm 3pa9w ")
    assert not looks_like_short_code("HTTPS://X.CN/R/" + "1" * 200)
    assert not looks_like_short_code("1" * 200)


@pytest.mark.parametrize(("name", "masked"), [
    ("王小英", "王*英"),
    ("王英", "王*"),
    ("欧阳小明", "欧**明"),
    ("司马相如", "司**如"),
    ("王", "*"),
    ("  王小英  ", "王*英"),
    ("", "*"),
    (None, "*"),
    ("John Smith", "J*** S****"),
    ("Al", "A*"),
    ("J", "J*"),
    ("Mary Ann Lee", "M*** A** L**"),
    ("阿卜杜拉 买买提", "阿*** 买**"),
])
def test_a_name_is_masked_to_its_first_and_last_characters(name, masked):
    assert mask_name(name) == masked


@given(st.text(min_size=1, max_size=40))
def test_a_masked_name_never_holds_more_than_two_characters_of_a_word(name):
    masked = mask_name(name)
    for word in masked.split():
        assert len(word.replace("*", "")) <= 2
