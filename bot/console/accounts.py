"""Console accounts: creating them, and checking passwords (argon2)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import Database, Operator

ROLES = ("operator", "supervisor")
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()
# Verified against when the name is unknown, so that a wrong name takes as long as a wrong
# password and the timing does not reveal which accounts exist.
_DUMMY = _hasher.hash("not a real password, only for constant timing")


class AccountError(ValueError):
    """The name, role or password is not acceptable."""


async def add_operator(db: Database, username: str, password: str,
                       role: str = "operator") -> Operator:
    """Create an account; raises AccountError when the name is taken or inputs are weak."""
    if not USERNAME.match(username):
        raise AccountError("the name may have 2-64 letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise AccountError("the role is operator or supervisor")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    async with db.transaction() as session:
        if await session.scalar(select(Operator.id).where(Operator.username == username)):
            raise AccountError(f"the name {username!r} is taken")
        operator = Operator(username=username, password_hash=_hasher.hash(password), role=role)
        session.add(operator)
    return operator


async def authenticate(session: AsyncSession, username: str, password: str) -> Operator | None:
    """The active operator with this name and password, or None (in constant-ish time)."""
    operator = await session.scalar(select(Operator).where(
        Operator.username == username, Operator.active.is_(True)))
    stored = operator.password_hash if operator is not None else _DUMMY
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if operator is None:
        return None
    if _hasher.check_needs_rehash(stored):
        operator.password_hash = _hasher.hash(password)
    return operator
