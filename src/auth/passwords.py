"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 128
# The most common choices that still pass a length rule; a breach corpus would be better.
COMMON = frozenset(
    {
        "password1234",
        "passwordpassword",
        "123456789012",
        "qwertyuiopas",
        "iloveyou1234",
        "letmein12345",
        "welcome12345",
        "administrator",
        "changeme1234",
        "lpxgp-password",
    }
)

_hasher = PasswordHasher()
# Verified when the account does not exist, so both paths cost one argon2 verification.
_DUMMY_HASH = _hasher.hash("no account has this password")


def hash_password(password: str) -> str:
    """Hash with argon2id and a fresh salt."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant-cost check: a missing hash still costs one verification."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """What is wrong with a proposed password (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    if password.lower() in COMMON or len(set(password)) < 4:
        problems.append("This password is too easy to guess.")
    local_part = (email or "").split("@", 1)[0].lower()
    if len(local_part) >= 4 and local_part in password.lower():
        problems.append("Do not use your email address in your password.")
    return problems
