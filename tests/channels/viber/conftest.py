"""The Viber harness: the real app in process, the fake Viber API on 127.0.0.1."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.channels.viber.sender import ViberSender
from bot.logs import JsonFormatter
from bot.service import Service
from bot.storage import Conversation, Message, OutboxItem
from bot.web import create_app
from tests.conftest import make_settings, migrated_database
from tests.fakes.viber_api import FakeViberApi, sign

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "viber"
# The token of the signature test vector (CHANNELS.md section 0), so that the vector
# is an ordinary row of the incoming table.
TOKEN = "44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3"
BOT_NAME = "Safe Migration Moldova"
USER_ID = "7M5rPvH+Wq3lfCzA9kR2bg=="  # the user of every fixture
# Everything personal in the fixtures: none of it may reach the database or a log line.
PRIVATE = (
    "Maria Ciobanu",
    "download_photo?dlid=Zt3Qm8PqW0xLr5",
    "download_photo?dlid=Qa7Xc2PpYy0",
    "Andrei Rusu",
    "+37369123456",
    "37369123456",
    "47.0104529",
    "28.8638103",
    "contract_Maria_Ciobanu.pdf",
    "IMG_20240610_101500.jpg",
    "5688fdffda7b41ad",
)


def fixture(name: str) -> bytes:
    """The exact bytes of a callback fixture."""
    return (FIXTURES / f"{name}.json").read_bytes()


def viber_id(seed: str) -> str:
    """A Viber-like user id (base64 of 16 bytes), different for each seed."""
    return base64.b64encode(hashlib.sha256(seed.encode()).digest()[:16]).decode()


@dataclass
class Viber:
    """Posts callbacks to the app and reads what the core and the fake saw."""

    service: Service
    client: httpx.AsyncClient
    fake: FakeViberApi
    users: set[str] = field(default_factory=set)  # every raw Viber id that was posted
    _seen: int = 0

    @property
    def sender(self) -> ViberSender:
        found = self.service.senders["viber"]
        assert isinstance(found, ViberSender)
        return found

    def user_key(self, user: str = USER_ID) -> str:
        return self.service.keyring.user_key("viber", user)

    async def post(self, payload: str | bytes, signature: str = "valid",
                   user: str = USER_ID) -> httpx.Response:
        """POST a fixture (by name) or raw bytes as ``user``, signed as asked.

        Another user also gets other message tokens (the same for the same fixture), since
        Viber's tokens are unique across users and the core dedupes on them.
        """
        body = fixture(payload) if isinstance(payload, str) else payload
        if user != USER_ID and isinstance(payload, str):
            body = _as_user(body, user)
        self.users.add(user)
        headers = {"Content-Type": "application/json"}
        if signature == "valid":
            headers["X-Viber-Content-Signature"] = sign(TOKEN, body)
        elif signature == "invalid":
            headers["X-Viber-Content-Signature"] = sign("not-the-token", body)
        elif signature == "reformatted":  # signed over the same JSON with other whitespace
            compact = json.dumps(json.loads(body), separators=(",", ":")).encode()
            headers["X-Viber-Content-Signature"] = sign(TOKEN, compact)
        elif signature != "missing":
            headers["X-Viber-Content-Signature"] = signature
        return await self.client.post("/webhooks/viber", content=body, headers=headers)

    async def deliver(self) -> list[dict[str, Any]]:
        """Run the outbox; the send_message bodies that reached the fake since last time."""
        await self.service.outbox.drain()
        sent = self.fake.sent()
        new, self._seen = sent[self._seen :], len(sent)
        return new

    async def conversation(self, user: str = USER_ID) -> Conversation | None:
        async with self.service.db.sessions() as session:
            return await session.scalar(select(Conversation).where(
                Conversation.channel == "viber", Conversation.user_key == self.user_key(user)))

    async def user_messages(self, user: str = USER_ID) -> list[Message]:
        async with self.service.db.sessions() as session:
            return list((await session.scalars(
                select(Message).join(Conversation).where(
                    Message.sender == "user", Conversation.user_key == self.user_key(user))
                .order_by(Message.id))).all())

    async def outbox(self, user: str = USER_ID) -> list[OutboxItem]:
        async with self.service.db.sessions() as session:
            return list((await session.scalars(
                select(OutboxItem).join(Conversation).where(
                    Conversation.user_key == self.user_key(user)).order_by(OutboxItem.id))).all())


def _as_user(body: bytes, user: str) -> bytes:
    body = body.replace(USER_ID.encode(), user.encode())
    with contextlib.suppress(ValueError, AttributeError):
        token = json.loads(body).get("message_token")
        if isinstance(token, int):
            shift = int(hashlib.sha256(user.encode()).hexdigest()[:9], 16)
            body = body.replace(str(token).encode(), str(token + shift).encode())
    return body


@contextlib.asynccontextmanager
async def open_viber(tmp_path: Path, db_url: str, fake: FakeViberApi) -> AsyncIterator[Viber]:
    """The real app with Viber on (NLU off). No lifespan runs: tests drain the outbox."""
    settings = make_settings(tmp_path, db_url, VIBER_TOKEN=TOKEN, VIBER_API_URL=fake.base_url,
                             VIBER_BOT_NAME=BOT_NAME)
    service = Service.build(settings, {}, with_nlu=False)
    app = create_app(service)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        harness = Viber(service, client, fake)
        try:
            yield harness
        finally:
            await harness.sender.api.aclose()
            await service.db.dispose()


@pytest.fixture
def fake() -> Iterator[FakeViberApi]:
    """The fake Viber API (no webhook callbacks: the in-process app has no socket)."""
    with FakeViberApi(TOKEN, call_back_on_set_webhook=False) as api:
        yield api


@pytest_asyncio.fixture(
    scope="module", loop_scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def viber(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Viber]:
    """One app and database per module and engine; each test talks as its own Viber user.

    A fresh database per case costs more than the case itself (PostgreSQL: CREATE
    DATABASE and every migration), and a table of forty cases pays it eighty times.
    Modules using it run in one event loop: ``pytest.mark.asyncio(loop_scope="module")``.
    """
    tmp_path = tmp_path_factory.mktemp("viber")
    async with migrated_database(request.param, tmp_path) as url:
        with FakeViberApi(TOKEN, call_back_on_set_webhook=False) as api:
            async with open_viber(tmp_path, url, api) as harness:
                yield harness


class Captured(logging.Handler):
    """Every log record of every logger, formatted as the service writes them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.json = JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.json.format(record) + " " + record.getMessage())


@pytest.fixture
def logs() -> Iterator[Captured]:
    """All log output at DEBUG level (libraries included) while the test runs."""
    handler = Captured()
    loggers = [logging.getLogger(name) for name in ("", "httpx", "httpcore", "viber", "bot")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    loggers[0].addHandler(handler)
    try:
        yield handler
    finally:
        loggers[0].removeHandler(handler)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
