"""Password hashes: argon2id at OWASP's recommended parameters, older schemes still verify.

OWASP's Password Storage Cheat Sheet recommends argon2id with m=19 MiB, t=2, p=1. The
configuration may lower them (``PASSWORD_ARGON2``, for the test suite only). Hashes
made earlier by werkzeug (scrypt, pbkdf2) keep verifying; a successful sign-in replaces
any hash whose scheme or parameters differ from the current ones, so accounts migrate
without anyone resetting a password.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from werkzeug.security import check_password_hash

OWASP_ARGON2 = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
ARGON2_PREFIX = "$argon2"


@functools.cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID
    )


def current_hasher() -> PasswordHasher:
    params = OWASP_ARGON2
    if has_app_context():
        params = current_app.config.get("PASSWORD_ARGON2") or OWASP_ARGON2
    return _hasher(params["time_cost"], params["memory_cost"], params["parallelism"])


def hash_password(password: str) -> str:
    return current_hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    if not stored:
        return False
    if stored.startswith(ARGON2_PREFIX):
        try:
            # Any argon2 variant and parameters: the hash itself says which.
            return current_hasher().verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    try:
        return check_password_hash(stored, password)
    except ValueError:  # a scheme werkzeug does not know
        return False


def needs_rehash(stored: str) -> bool:
    if not stored.startswith(ARGON2_PREFIX):
        return True
    try:
        return current_hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return True


@functools.cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_cost, parallelism).hash("timing-equaliser")


def waste_verification(password: str) -> None:
    """As costly as checking a real password: an unknown e-mail answers as slowly as a wrong one."""
    hasher = current_hasher()
    dummy = _dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    verify_password(dummy, password)
