"""Shared fixtures: both databases, a service with a recording channel, no internet."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.core.messages import Incoming, Kind, Outgoing
from bot.service import Service
from bot.settings import REPO_ROOT, Settings
from bot.storage import Database
from tests.fakes.telegram_api import FakeTelegramAPI

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN = os.environ.get("SAFEMIG_TEST_PG_ADMIN", f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres")

# --- no network but loopback -------------------------------------------------------------

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback(host: Any) -> bool:
    if host in (None, "localhost", "", b"localhost"):
        return True
    try:
        return ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host).is_loopback
    except ValueError:
        return False


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _loopback(host):
        raise AssertionError(f"test tried to reach the network: {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def _guard_connect(real: Any) -> Any:
    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real(self, address)

    return connect


@pytest.fixture(autouse=True, scope="session")
def no_network() -> Iterator[None]:
    """Any connection to a non-loopback address fails the test."""
    socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]
    socket.socket.connect = _guard_connect(_real_connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = _guard_connect(_real_connect_ex)  # type: ignore[method-assign]
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(proxy, None)
    yield
    socket.getaddrinfo = _real_getaddrinfo
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


# --- databases ---------------------------------------------------------------------------


def postgres_available() -> bool:
    """Whether the PostgreSQL server of this machine answers."""
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def migrated_database(engine: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, migrated database on an engine, dropped afterwards (PostgreSQL skips if absent)."""
    name = None
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    else:
        if not postgres_available():
            pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
        name = f"safemig_test_{uuid.uuid4().hex[:12]}"
        await _pg_admin(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        db = Database(Settings(DATABASE_URL=url, _env_file=None).database)  # type: ignore[call-arg]
        await db.upgrade()
        await db.dispose()
        yield url
    finally:
        if name:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, migrated database on each engine (PostgreSQL skipped when absent)."""
    async with migrated_database(request.param, tmp_path) as url:
        yield url


def make_settings(tmp_path: Path, db_url: str, **extra: Any) -> Settings:
    """Settings for a test: its own var dir and database, the fixture content."""
    values: dict[str, Any] = {
        "VAR_DIR": tmp_path / "var",
        "DATABASE_URL": db_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "CONTENT_DIR": FIXTURES / "content",
        "LOCALES_DIR": REPO_ROOT / "locales",
        # Operators on duty unless a test says otherwise: results must not depend on the clock.
        "OPERATOR_HOURS": "always",
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Settings on the parametrised database."""
    return make_settings(tmp_path, db_url)


# --- an in-process channel that records what the bot sends ---------------------------------


class RecordingSender:
    """A test channel: keeps every delivered reply, can be told to fail."""

    channel = "test"

    def __init__(self) -> None:
        self.sent: list[tuple[str, Outgoing]] = []
        self.fail_with: list[Exception] = []

    async def send(self, address: str, message: Outgoing) -> None:
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.sent.append((address, message))

    def pop(self) -> list[Outgoing]:
        """Everything sent since the last pop."""
        out = [m for _, m in self.sent]
        self.sent.clear()
        return out


class Chat:
    """Drives one user through the real dialogue and outbox, errbot-style."""

    def __init__(self, service: Service, sender: RecordingSender, user: str = "u1") -> None:
        self.service = service
        self.sender = sender
        self.user_key = service.keyring.user_key("test", user)
        self.address = f"addr-{user}"
        self._ids = 0

    def incoming(self, **kwargs: Any) -> Incoming:
        return Incoming(channel="test", user_key=self.user_key, address=self.address, **kwargs)

    async def say(self, text: str, **kwargs: Any) -> list[Outgoing]:
        """Send text and return the replies delivered."""
        await self.service.dialogue.handle(self.incoming(text=text, **kwargs))
        await self.service.outbox.drain()
        return self.sender.pop()

    async def press(self, button: str) -> list[Outgoing]:
        """Press a button and return the replies delivered."""
        await self.service.dialogue.handle(self.incoming(kind=Kind.BUTTON, button=button))
        await self.service.outbox.drain()
        return self.sender.pop()

    async def send(self, kind: Kind, text: str = "") -> list[Outgoing]:
        """Send an attachment of some kind."""
        await self.service.dialogue.handle(self.incoming(kind=kind, text=text))
        await self.service.outbox.drain()
        return self.sender.pop()


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[Service]:
    """A built service with the recording channel, NLU off (buttons only)."""
    svc = Service.build(settings, {"test": RecordingSender()}, with_nlu=False)
    yield svc
    await svc.db.dispose()


@pytest.fixture
def sender(service: Service) -> RecordingSender:
    """The recording channel of the service."""
    found = service.senders["test"]
    assert isinstance(found, RecordingSender)
    return found


@pytest.fixture
def chat(service: Service, sender: RecordingSender) -> Chat:
    """One user talking to the service."""
    return Chat(service, sender)


def texts(replies: list[Outgoing]) -> str:
    """All reply texts joined, for assertions."""
    return "\n".join(r.text for r in replies)


def run(coro: Any) -> Any:
    """Run a coroutine from sync test code."""
    return asyncio.run(coro)


@pytest.fixture
def telegram_api() -> Iterator[FakeTelegramAPI]:
    """A fake Bot API of the test's own (tests/channels/telegram shares one per session)."""
    api = FakeTelegramAPI().start()
    yield api
    api.stop()


# --- the real server as a process ----------------------------------------------------------

@pytest.fixture(scope="session")
def nlu_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One trained model for every process of the test session."""
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture(scope="session")
def nlu_model(nlu_cache: Path):  # type: ignore[no-untyped-def]
    """The embedded model trained once for the whole session (from the shared cache)."""
    from nlu import build_nlu

    return build_nlu("embedded", data_dir=REPO_ROOT / "nlu" / "data", cache_dir=nlu_cache)


@pytest.fixture(autouse=True)
def _share_nlu_cache(nlu_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLU_CACHE_DIR", str(nlu_cache))


def env_for(tmp_path: Path, db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update({"DATABASE_URL": db_url, "VAR_DIR": str(tmp_path / "var"),
                "SECRET_KEY": "process-test-secret", "CONTENT_DIR": str(FIXTURES / "content"),
                "NLU_BACKEND": "embedded", "LOG_LEVEL": "WARNING", "OPERATOR_HOURS": "always"})
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server_factory(tmp_path: Path, db_url: str) -> Iterator[Any]:
    procs: list[subprocess.Popen[bytes]] = []
    port = free_port()

    def start() -> str:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)],
                                env=env_for(tmp_path, db_url), stderr=subprocess.DEVNULL)
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180  # the first start of a session trains the NLU
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    return base
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("server did not start")

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


