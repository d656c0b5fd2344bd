"""The pure rules for people's data: phone numbers, names, codes, ID card tails, birth years."""
from __future__ import annotations

from datetime import date

import pytest

from timebank.centers.rules import NAME_MAX as CENTER_NAME_MAX
from timebank.centers.rules import normalize_center_code, normalize_center_name
from timebank.errors import is_translatable
from timebank.text import fold, search_variants
from timebank.service_types.rules import normalize_service_type_code
from timebank.users.rules import normalize_username, one_time_password
from timebank.volunteers.rules import (
    NAME_MAX,
    normalize_birth_year,
    normalize_id_card_tail,
    normalize_name,
    normalize_phone,
)


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


# --- what people typed is kept (bug 7) ----------------------------------------------------------------------------

def test_a_center_name_keeps_its_full_width_punctuation_and_digits():
    assert normalize_center_name(" 全角（测试）中心，第１号 ") == "全角（测试）中心，第１号"
    assert normalize_center_name("京口区  大市口\u3000中心") == "京口区 大市口 中心"  # only whitespace collapses


@pytest.mark.parametrize("name", ["买买提·艾力", "买买提・艾力", "阿依古丽‧吐尔逊", "Anne－Marie", "ＡＢＣ"])
def test_a_person_name_keeps_the_separators_and_width_it_was_typed_with(name):
    assert normalize_name(name) == name


def test_a_refused_character_is_named_as_it_was_typed():
    with pytest.raises(ValueError) as refused:
        normalize_name("王芳（小）")
    assert "（" in str(refused.value.args[0]) and "(" not in str(refused.value.args[0])


def test_width_folds_only_for_comparison_and_search():
    assert fold("全角（测试）中心，第１号") == fold("全角(测试)中心,第1号")
    variants = search_variants("(测试)")
    assert "（测试）" in variants and "(测试)" in variants
    assert "1号" in search_variants("１号")


def test_rule_messages_are_sentences_that_translate_themselves():
    with pytest.raises(ValueError) as refused:
        normalize_birth_year("1890", today=date(2026, 1, 1))
    message = refused.value.args[0]
    assert is_translatable(message)
    assert str(message) == "Please enter a year of birth from 1900 to 2026."  # English outside a request


def test_the_limits_of_the_rules_are_the_limits_of_the_tables():
    from timebank.centers.models import Center
    from timebank.volunteers.models import Volunteer

    assert Center.__table__.c.name.type.length == CENTER_NAME_MAX
    assert Volunteer.__table__.c.name.type.length == NAME_MAX
    with pytest.raises(ValueError):
        normalize_center_name("中" * (CENTER_NAME_MAX + 1))
