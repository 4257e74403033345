"""Password hashing with Argon2id.

Production and development hash with argon2-cffi's RFC 9106 low-memory
profile (64 MiB, 3 passes: about 150 ms a login). The testing config uses the
library's cheapest profile instead, so the suite's logins cost microseconds.
A hash carries its own parameters, so either verifies with either hasher; a
login re-hashes a password whose hash was made with other parameters.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

from postal_tracker.config import Settings

STRONG = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
CHEAP = PasswordHasher.from_parameters(profiles.CHEAPEST)


def hasher_for(settings: Settings) -> PasswordHasher:
    return CHEAP if settings.env == "testing" else STRONG


def _hasher() -> PasswordHasher:
    """The hasher of the app in hand; outside an app (a script), the strong one."""
    if not has_app_context():
        return STRONG
    return hasher_for(current_app.config["SETTINGS"])


@cache
def _dummy(hasher: PasswordHasher) -> str:
    # A hash to verify against when the account does not exist, so that a
    # wrong username costs as much time as a wrong password.
    return hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(stored_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    try:
        return hasher.verify(stored_hash or _dummy(hasher), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)
