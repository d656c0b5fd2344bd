"""The pure rules for people's data: phone numbers, names, codes, ID card tails, birth years."""
from __future__ import annotations

from datetime import date

import pytest

from timebank.centers.rules import normalize_center_code
from timebank.service_types.rules import normalize_service_type_code
from timebank.users.rules import normalize_username, one_time_password
from timebank.volunteers.rules import normalize_birth_year, normalize_id_card_tail, normalize_name, normalize_phone


@pytest.mark.parametrize("text", ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000",
                                  "8613800138000", "008613800138000", "１３８００１３８０００", " 13800138000 "])
def test_mainland_mobile_numbers_are_stored_as_eleven_digits(text):
    assert normalize_phone(text) == "13800138000"


@pytest.mark.parametrize("text", ["", "12345", "12800138000", "1380013800", "138001380001", "0511-85012345",
                                  "1.38001E+10", "abcdefghijk", "+1 13800138000"])
def test_anything_but_a_mainland_mobile_number_is_refused(text):
    with pytest.raises(ValueError):
        normalize_phone(text)


@pytest.mark.parametrize("text, stored", [("王秀英", "王秀英"), ("  欧阳  娜娜 ", "欧阳 娜娜"), ("买买提·艾力", "买买提·艾力"),
                                          ("Anne-Marie O'Neil", "Anne-Marie O'Neil")])
def test_names_of_any_script_are_kept_with_whitespace_collapsed(text, stored):
    assert normalize_name(text) == stored


@pytest.mark.parametrize("text", ["", "   ", "王" * 61, "张三3", "李<b>四</b>", "王\x00五"])
def test_empty_overlong_or_symbol_names_are_refused(text):
    with pytest.raises(ValueError):
        normalize_name(text)


def test_a_name_of_sixty_characters_is_accepted():
    assert normalize_name("王" * 60) == "王" * 60


def test_codes_are_normalized_and_checked():
    assert normalize_center_code(" jk01 ") == "JK01"
    assert normalize_service_type_code("Meal-Delivery") == "meal-delivery"
    for bad in ("", "JK 01", "京口", "-JK", "X" * 33):
        with pytest.raises(ValueError):
            normalize_center_code(bad)


def test_id_card_tails_are_three_digits_and_a_digit_or_x():
    assert normalize_id_card_tail("123x") == "123X"
    assert normalize_id_card_tail("  ") is None
    assert normalize_id_card_tail(None) is None
    for bad in ("12345", "12X4", "abc1", "12"):
        with pytest.raises(ValueError):
            normalize_id_card_tail(bad)


def test_birth_years_lie_between_1900_and_this_year():
    today = date(2026, 1, 1)
    assert normalize_birth_year("1958", today=today) == 1958
    assert normalize_birth_year("", today=today) is None
    assert normalize_birth_year(None, today=today) is None
    for bad in ("1899", "2027", "58年", "abc", True):
        with pytest.raises(ValueError):
            normalize_birth_year(bad, today=today)


def test_usernames_are_lowercase_and_plain():
    assert normalize_username(" Staff-JK01 ") == "staff-jk01"
    for bad in ("ab", "has space", "名字", "-leading"):
        with pytest.raises(ValueError):
            normalize_username(bad)


def test_one_time_passwords_are_random_readable_and_long_enough():
    first, second = one_time_password(), one_time_password()
    assert first != second
    assert len(first.replace("-", "")) == 12 and first.count("-") == 2
    assert not set(first) & set("0O1lI")
