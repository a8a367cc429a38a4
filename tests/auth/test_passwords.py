"""Password rules and hashing."""

from __future__ import annotations

import pytest

from src.auth.passwords import hash_password, password_problems, verify_password


def test_hash_is_salted_argon2id_and_verifies():
    first, second = hash_password("a long passphrase here"), hash_password("a long passphrase here")
    assert first != second and first.startswith("$argon2id$")
    assert verify_password(first, "a long passphrase here")
    assert not verify_password(first, "a long passphrase herE")


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$broken"])
def test_missing_or_broken_hashes_never_verify(stored):
    assert verify_password(stored, "anything at all") is False


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 12"),
        ("x" * 129, "at most 128"),
        ("password1234", "too easy"),
        ("aaaaaaaaaaaaaaaa", "too easy"),
        ("jane.doe-secret-words", "email address"),
    ],
)
def test_password_problems_name_the_rule(password, problem):
    assert any(problem in p for p in password_problems(password, email="jane.doe@example.org"))


def test_a_good_passphrase_has_no_problems():
    assert password_problems("correct horse battery staple", email="jane@example.org") == []
