"""Console sessions: an HttpOnly cookie, a CSRF token, and login throttling.

Sessions live in the database (only a keyed hash of the cookie's token), so
every worker honours a login and a logout at once. Failed logins are counted
per name and per address in the database too, for the same reason.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import Keyring
from bot.storage import LoginFailure, Operator, OperatorSession
from bot.storage.models import utcnow

COOKIE = "safemig_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_LIFETIME = timedelta(hours=12)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20
SEEN_EVERY = timedelta(seconds=60)


class AuthError(Exception):
    """Refused: 401 (who are you?), 403 (no valid CSRF token, or the role) or 429."""

    def __init__(self, status: int, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class LoggedIn:
    """The operator behind a request, and the session's CSRF token."""

    operator: Operator
    csrf_token: str


class Sessions:
    """Creates, finds and ends console sessions."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def _hash(self, token: str) -> str:
        return self.keyring.keyed_hash("console session", token)

    async def start(self, session: AsyncSession, operator: Operator) -> tuple[str, str]:
        """A new session for the operator; returns (cookie token, CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = utcnow()
        session.add(OperatorSession(token_hash=self._hash(token), operator_id=operator.id,
                                    csrf_token=csrf, created_at=now,
                                    expires_at=now + SESSION_LIFETIME))
        operator.last_seen_at = now
        await session.execute(delete(OperatorSession).where(OperatorSession.expires_at < now))
        return token, csrf

    async def end(self, session: AsyncSession, token: str) -> None:
        """Log out: the token stops working in every worker."""
        await session.execute(delete(OperatorSession).where(
            OperatorSession.token_hash == self._hash(token)))

    async def require(self, session: AsyncSession, request: Request,
                      *, csrf: bool) -> LoggedIn:
        """The logged-in operator; checks the CSRF header when ``csrf``. Fail-closed."""
        token = request.cookies.get(COOKIE)
        if not token:
            raise AuthError(401, "log in first")
        now = utcnow()
        row = await session.execute(
            select(OperatorSession, Operator)
            .join(Operator, Operator.id == OperatorSession.operator_id)
            .where(OperatorSession.token_hash == self._hash(token),
                   OperatorSession.expires_at > now, Operator.active.is_(True)))
        found = row.first()
        if found is None:
            raise AuthError(401, "the session has ended; log in again")
        login, operator = found
        if csrf:
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or not hmac.compare_digest(sent, login.csrf_token):
                raise AuthError(403, "missing or wrong X-CSRF-Token header")
        if operator.last_seen_at is None or operator.last_seen_at < now - SEEN_EVERY:
            operator.last_seen_at = now
        return LoggedIn(operator, login.csrf_token)


class Throttle:
    """Refuses logins after too many recent failures for a name or an address."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def _keys(self, username: str, address: str) -> tuple[str, str]:
        return (self.keyring.keyed_hash("login name", username.lower()),
                self.keyring.keyed_hash("login address", address))

    async def check(self, session: AsyncSession, username: str, address: str) -> None:
        """Raise a 429 AuthError when either key has failed too often lately."""
        now = utcnow()
        since = now - THROTTLE_WINDOW
        for key, limit in zip(self._keys(username, address),
                              (MAX_FAILURES_PER_NAME, MAX_FAILURES_PER_ADDRESS), strict=True):
            count, oldest = (await session.execute(
                select(func.count(), func.min(LoginFailure.at))
                .where(LoginFailure.key == key, LoginFailure.at > since))).one()
            if count >= limit:
                retry = _seconds_until(oldest + THROTTLE_WINDOW, now) if oldest else 60
                raise AuthError(429, "too many failed logins; try again later", retry)

    async def failed(self, session: AsyncSession, username: str, address: str) -> None:
        """Count a failure against the name and the address."""
        for key in self._keys(username, address):
            session.add(LoginFailure(key=key))

    async def succeeded(self, session: AsyncSession, username: str) -> None:
        """A correct password clears the name's failures (not the address's)."""
        name_key, _ = self._keys(username, "")
        await session.execute(delete(LoginFailure).where(LoginFailure.key == name_key))


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds()) + 1)


def client_address(request: Request) -> str:
    """The caller's address (uvicorn applies X-Forwarded-For from a trusted proxy)."""
    return request.client.host if request.client else "unknown"
