"""argon2id password hashing, with parameters from the settings."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 10
# Letters and digits a person reads off a screen and types without mixing them up
# (no 0/O, 1/l/I).
_READABLE = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def password_hasher(config: Mapping[str, Any]) -> PasswordHasher:
    """The hasher the settings ask for (ARGON2_*); built at the edge, passed to services."""
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_KIB"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def hash_password(hasher: PasswordHasher, password: str) -> str:
    return hasher.hash(password)


def verify_password(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(hasher: PasswordHasher, password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)


def burn_time(hasher: PasswordHasher, password: str) -> None:
    """Spend one hash's time on an unknown username, so timing does not reveal it."""
    hasher.hash(password)


def generated_password() -> str:
    """A new random password (about 83 bits) in three groups of five, for an administrator
    to hand over once: the person changes it after signing in."""
    return "-".join("".join(secrets.choice(_READABLE) for _ in range(5)) for _ in range(3))
