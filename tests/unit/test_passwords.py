"""Password hashing (argon2id, rehash when parameters change) and the policy for new passwords."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from timebank.auth import passwords
from timebank.auth.common_passwords import COMMON_PASSWORDS


def test_hashes_are_argon2id_and_verify_only_the_right_password():
    hashed = passwords.hash_password("Plum-blossom 1987")
    assert hashed.startswith("$argon2id$")
    assert "Plum-blossom 1987" not in hashed
    assert passwords.verify_password(hashed, "Plum-blossom 1987")
    assert not passwords.verify_password(hashed, "plum-blossom 1987")


def test_the_same_password_hashes_differently_each_time():
    assert passwords.hash_password("Plum-blossom 1987") != passwords.hash_password("Plum-blossom 1987")


def test_a_damaged_hash_verifies_nothing_and_asks_for_a_rehash():
    assert not passwords.verify_password("not-a-hash", "anything")
    assert passwords.needs_rehash("not-a-hash")


def test_a_hash_made_with_other_parameters_needs_a_rehash_and_a_current_one_does_not():
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("Plum-blossom 1987")
    assert passwords.verify_password(old, "Plum-blossom 1987")
    assert passwords.needs_rehash(old)
    assert not passwords.needs_rehash(passwords.hash_password("Plum-blossom 1987"))


@pytest.mark.parametrize("password", [
    "password", "12345678", "qwertyui", "11111111", "88888888", "iloveyou", "woaini1314",
    "Password1", "  PASSWORD  ", "5201314520", "1q2w3e4r",
])
def test_common_passwords_are_refused(password):
    assert any("too common" in problem for problem in passwords.check_password_policy(password))


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "23456789", "hgfedcba", "ZZZZZZZZZ"])
def test_one_repeated_character_or_a_counting_run_is_refused(password):
    assert any("too common" in problem for problem in passwords.check_password_policy(password))


def test_seven_characters_are_too_short_and_eight_are_enough():
    assert passwords.check_password_policy("Xk3#pq9") == ["Use at least 8 characters."]
    assert passwords.check_password_policy("Xk3#pq9z") == []


def test_an_overlong_password_is_refused():
    assert passwords.check_password_policy("Xk3#pq9z" * 40) == [f"Use at most {passwords.MAX_LENGTH} characters."]


def test_the_username_is_not_a_password():
    assert passwords.check_password_policy("Wang.Xiuying", username="wang.xiuying") == [
        "Do not use your username as your password."]
    assert passwords.check_password_policy("Wang.Xiuying", username="someone-else") == []


def test_chinese_passphrases_are_welcome():
    assert passwords.check_password_policy("镇江香醋配肴肉") == ["Use at least 8 characters."]
    assert passwords.check_password_policy("镇江香醋配水晶肴肉") == []


def test_the_shipped_list_is_a_few_hundred_lower_case_entries():
    assert 300 <= len(COMMON_PASSWORDS)
    assert all(entry == entry.lower() and entry.strip() == entry for entry in COMMON_PASSWORDS)
