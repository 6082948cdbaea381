"""The operator API in process: the real app over httpx, the recording channel as the user."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

import bot.service
from bot.console import accounts
from bot.console.accounts import add_operator
from bot.content import Content, load_content
from bot.core.messages import Outgoing
from bot.handoff import Event
from bot.offers import OfferData
from bot.service import Service, load_offer_data
from bot.settings import REPO_ROOT, Settings
from bot.storage import (
    AuditEntry,
    Conversation,
    Database,
    Handoff,
    HandoffNote,
    Message,
    OperatorSession,
    OutboxItem,
)
from bot.web import create_app
from tests.conftest import PG_ADMIN, Chat, RecordingSender, _pg_admin, postgres_available

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with its lowest cost: the tests log in often, and the cost is not what they test."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", cheap)
    monkeypatch.setattr(accounts, "_DUMMY", cheap.hash("not a real password"))


@pytest.fixture(autouse=True)
def shared_read_only_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Content and offer data (read-only) loaded once per folder, not for every service built."""
    def offers(settings: Settings) -> OfferData:
        own = settings.content_dir / "offers"
        key = (own if own.is_dir() else REPO_ROOT / "content" / "offers").resolve()
        if key not in _OFFER_DATA:
            _OFFER_DATA[key] = load_offer_data(settings)
        return _OFFER_DATA[key]

    def content(content_dir: Path, retention_days: int = 90) -> Content:
        key = (content_dir.resolve(), retention_days)
        if key not in _CONTENT:
            _CONTENT[key] = load_content(content_dir, retention_days)
        return _CONTENT[key]

    monkeypatch.setattr(bot.service, "load_offer_data", offers)
    monkeypatch.setattr(bot.service, "load_content", content)


_OFFER_DATA: dict[Path, OfferData] = {}
_CONTENT: dict[tuple[Path, int], Content] = {}


@pytest.fixture(scope="session")
def template_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated database per engine, copied for each test (migrating each time is slow)."""
    made: dict[str, str] = {}
    folder = tmp_path_factory.mktemp("template")
    sqlite = folder / "template.sqlite3"
    asyncio.run(_migrate(f"sqlite:///{sqlite}"))
    made["sqlite"] = str(sqlite)
    if postgres_available():
        name = f"safemig_template_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        asyncio.run(_migrate(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"))
        made["postgres"] = name
    yield made
    if "postgres" in made:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{made["postgres"]}" WITH (FORCE)'))


async def _migrate(url: str) -> None:
    db = Database(Settings(DATABASE_URL=url, _env_file=None).database)  # type: ignore[call-arg]
    await db.upgrade()
    await db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path,
                 template_databases: dict[str, str]) -> AsyncIterator[str]:
    """As tests/conftest.py's ``db_url`` (a fresh migrated database per engine), but copied."""
    if request.param == "sqlite":
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(template_databases["sqlite"], target)
        yield f"sqlite:///{target}"
        return
    if "postgres" not in template_databases:
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    name = f"safemig_test_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_databases["postgres"]}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def app(service: Service) -> Any:
    return create_app(service)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as c:
        yield c


class Operator:
    """One logged-in console user with their own cookie jar."""

    def __init__(self, client: httpx.AsyncClient, name: str, csrf: str) -> None:
        self.client = client
        self.name = name
        self.csrf = csrf

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.client.get(path, **kw)

    async def post(self, path: str, json: Any = None) -> httpx.Response:
        return await self.client.post(path, json=json if json is not None else {},
                                      headers={"X-CSRF-Token": self.csrf})


@pytest.fixture
async def operator_factory(service: Service, app: Any) -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []

    async def make(name: str = "ana", role: str = "operator") -> Operator:
        await add_operator(service.db, name, PASSWORD, role)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                   base_url="http://testserver")
        clients.append(client)
        answer = await client.post("/api/auth/login",
                                   json={"username": name, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return Operator(client, name, answer.json()["csrf_token"])

    yield make
    for c in clients:
        await c.aclose()


async def queued(chat: Chat, text: str = "/human", lang: str = "en") -> list[Any]:
    """A user who chose a language and asked for a person; returns the replies."""
    await chat.press(f"lang:{lang}")
    return await chat.say(text)


@pytest.fixture
def user(service: Service, sender: RecordingSender) -> Chat:
    return Chat(service, sender, "user-1")


# --- helpers shared by the console tests ----------------------------------------------------


async def handoff_of(service: Service, chat: Chat) -> Handoff:
    """The newest handoff of a user's conversation (fresh from the database)."""
    async with service.db.sessions() as session:
        found = await session.scalar(
            select(Handoff).join(Conversation, Conversation.id == Handoff.conversation_id)
            .where(Conversation.user_key == chat.user_key).order_by(Handoff.id.desc()).limit(1))
    assert found is not None, "the user has no handoff"
    return found


async def load_handoff(service: Service, handoff_id: int) -> Handoff:
    """One handoff row, fresh from the database."""
    async with service.db.sessions() as session:
        found = await session.get(Handoff, handoff_id)
    assert found is not None
    return found


async def set_handoff(service: Service, handoff_id: int, **values: Any) -> None:
    """Change a handoff's columns directly (to place it in time)."""
    async with service.db.transaction() as session:
        await session.execute(update(Handoff).where(Handoff.id == handoff_id).values(**values))


async def delivered(service: Service, sender: RecordingSender) -> list[Outgoing]:
    """What the outbox delivered to the user since the last look."""
    await service.outbox.drain()
    return sender.pop()


async def snapshot(service: Service) -> dict[str, Any]:
    """Everything a state-changing call could change, to compare before and after."""
    async with service.db.sessions() as session:
        handoffs = (await session.execute(
            select(Handoff.id, Handoff.status, Handoff.assignee_id, Handoff.outcome,
                   Handoff.claimed_at, Handoff.closed_at).order_by(Handoff.id))).all()
        counts = {model.__name__: await session.scalar(select(func.count()).select_from(model))
                  for model in (Message, HandoffNote, AuditEntry, OutboxItem, OperatorSession)}
    return {"handoffs": [tuple(row) for row in handoffs], **counts}


async def queue_users(service: Service, sender: RecordingSender, count: int,
                      prefix: str = "q") -> list[Chat]:
    """``count`` users, each in the queue (asked for a person), in order."""
    users = [Chat(service, sender, f"{prefix}{i}") for i in range(count)]
    for one in users:
        await queued(one)
    sender.pop()
    return users


@contextlib.asynccontextmanager
async def hearing(service: Service) -> AsyncIterator[asyncio.Queue[Event]]:
    """A subscription to the service's live events, once they really arrive.

    On PostgreSQL events travel by LISTEN/NOTIFY, so the listener runs while the
    context is open and a probe proves it is listening; on SQLite they stay in memory.
    """
    stop = asyncio.Event()
    listener = asyncio.create_task(service.events.run(stop))
    try:
        async with service.events.subscribe() as queue:
            async with asyncio.timeout(15):
                while True:
                    await service.events.publish([Event("probe", 0)])
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(queue.get(), timeout=0.2)
                        break
                # Everything published before the fence arrives before it: the queue is clean.
                await service.events.publish([Event("probe", -1)])
                while (await queue.get()).handoff_id != -1:
                    pass
            yield queue
    finally:
        stop.set()
        await asyncio.wait_for(listener, timeout=10)


def heard(queue: asyncio.Queue[Event]) -> list[Event]:
    """The events waiting in a subscription."""
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out
