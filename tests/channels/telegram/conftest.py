"""The Telegram test harness: the fake Bot API, fixtures by name, and the in-process app.

``lab`` is one real ASGI app (lifespan, outbox worker, Telegram channel) per
database engine for a whole module; each test talks as fresh Telegram users,
so tests stay independent while the database is created once per engine.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import Select, and_, exists, func, select, text, update
from sqlalchemy.orm import aliased

from bot.core.dialogue import Result
from bot.core.messages import Incoming
from bot.service import Service
from bot.settings import Settings
from bot.storage import OutboxItem
from bot.storage.models import Base, utcnow
from bot.web import create_app
from tests.conftest import FIXTURES, make_settings, migrated_database
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI

TELEGRAM_FIXTURES = FIXTURES / "telegram"
SECRET = "test-webhook-secret_0123456789"
FIXTURE_USER = 412345678  # the user (and private chat) id in every fixture
PUBLIC_URL = "https://bot.example.org"
# What the fixtures hold of profiles, contacts and places: never in logs or the database.
PRIVATE_VALUES = ("Zinaida", "Prodanciuc", "zina_prodanciuc_md", "37369123456", "69123456",
                  "VCARD", "47.02", "28.83", "Piața Centrală", "Mihai Eminescu",
                  "Muncă în Italia")


def load(name: str) -> dict[str, Any]:
    """A fixture update by name (without .json)."""
    data: dict[str, Any] = json.loads((TELEGRAM_FIXTURES / f"{name}.json").read_text("utf-8"))
    return data


def personalize(update: dict[str, Any], user_id: int, update_id: int) -> dict[str, Any]:
    """The fixture as sent by another user (ids replaced), with a new update_id."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return user_id if value == FIXTURE_USER and not isinstance(value, bool) else value

    out: dict[str, Any] = walk(copy.deepcopy(update))
    if isinstance(out.get("update_id"), int):  # malformed ones stay malformed
        out["update_id"] = update_id
    return out


def telegram_settings(tmp_path: Path, db_url: str, api: FakeTelegramAPI,
                      **extra: Any) -> Settings:
    """Settings with the Telegram channel on, talking to the fake API."""
    values: dict[str, Any] = {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
                              "TELEGRAM_API_URL": api.url, "PUBLIC_URL": PUBLIC_URL, **extra}
    return make_settings(tmp_path, db_url, **values)


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[FakeTelegramAPI]:
    """The fake Bot API on 127.0.0.1 for the whole session (reset by each user)."""
    api = FakeTelegramAPI().start()
    yield api
    api.stop()


# --- the in-process app, one per engine and module -----------------------------------------


@dataclass
class Lab:
    """The real app on one database, driven over HTTP as Telegram would."""

    app: FastAPI
    service: Service
    api: FakeTelegramAPI
    client: httpx.AsyncClient
    startup: list[Any]
    handled: list[tuple[Incoming, Result]] = field(default_factory=list)
    blocked: list[tuple[str, bool]] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new_user(self) -> int:
        """A Telegram user id no other test uses."""
        return 7_391_846_000 + next(self._ids)

    def next_update_id(self) -> int:
        """A fresh update_id."""
        return 900_000_000 + next(self._ids)

    async def post(self, body: bytes | dict[str, Any], *, secret: str | None = SECRET,
                   content_type: str | None = "application/json") -> httpx.Response:
        """POST one webhook delivery."""
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        headers = {}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        if content_type is not None:
            headers["Content-Type"] = content_type
        return await self.client.post("/webhooks/telegram", content=raw, headers=headers)

    async def settle(self, within: float = 10.0) -> None:
        """Wait until the outbox has delivered everything that is due now."""
        deadline = time.monotonic() + within
        while True:
            async with self.service.db.sessions() as session:
                due = await session.scalar(_due())
            if not due:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{due} replies still waiting in the outbox")
            # A wake-up that lands while the worker is mid-pass is lost until its next poll
            # (bot/outbox.py clears the event after the pass); nudge it instead of waiting.
            self.service.outbox.wake()
            await asyncio.sleep(0.02)

    async def dump(self) -> str:
        """Every row of every table, as text."""
        rows: list[str] = []
        async with self.service.db.sessions() as session:
            for table in Base.metadata.sorted_tables:
                result = await session.execute(select(table))
                rows.extend(repr(tuple(row)) for row in result)
            versions = await session.execute(text("SELECT * FROM alembic_version"))
            rows.extend(repr(tuple(row)) for row in versions)
        return "\n".join(rows)


# What the outbox would send now: pending, due, and not behind an earlier reply of the same
# conversation (one throttled for 30 s holds the rest of its chat, as in bot/outbox.py).
def _due() -> Select[Any]:
    earlier = aliased(OutboxItem)
    return select(func.count()).select_from(OutboxItem).where(
        OutboxItem.status == "pending", OutboxItem.next_attempt_at <= utcnow(),
        ~exists().where(and_(earlier.conversation_id == OutboxItem.conversation_id,
                             earlier.status == "pending", earlier.id < OutboxItem.id)))


@pytest_asyncio.fixture(scope="module", loop_scope="module",
                        params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
              telegram_api: FakeTelegramAPI) -> AsyncIterator[Lab]:
    """The app with Telegram on, a migrated database, NLU off (buttons and commands)."""
    tmp = tmp_path_factory.mktemp("telegram")
    async with migrated_database(request.param, tmp) as url:
        settings = telegram_settings(tmp, url, telegram_api)
        service = Service.build(settings, {}, with_nlu=False)
        app = create_app(service)
        lab = Lab(app, service, telegram_api, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"), [])
        _spy(lab)
        telegram_api.reset()
        async with app.router.lifespan_context(app), lab.client:
            lab.startup = telegram_api.calls()
            yield lab


def _spy(lab: Lab) -> None:
    """Record what reaches the core, then let it through."""
    dialogue = lab.service.dialogue
    handle, set_blocked = dialogue.handle, dialogue.set_blocked

    async def spy_handle(incoming: Incoming) -> Result:
        result = await handle(incoming)
        lab.handled.append((incoming, result))
        return result

    async def spy_blocked(channel: str, user_key: str, blocked: bool) -> None:
        lab.blocked.append((user_key, blocked))
        await set_blocked(channel, user_key, blocked)

    dialogue.handle = spy_handle  # type: ignore[method-assign]
    dialogue.set_blocked = spy_blocked  # type: ignore[method-assign]


@pytest_asyncio.fixture(loop_scope="module")
async def tg(lab: Lab) -> AsyncIterator[Lab]:
    """The lab with nothing in flight: an empty record of calls and of core effects."""
    await lab.settle()
    lab.api.reset()
    lab.handled.clear()
    lab.blocked.clear()
    yield lab
    await lab.settle()
    # Replies a test left for later (a 429's retry) must not arrive during the next test.
    async with lab.service.db.transaction() as session:
        await session.execute(update(OutboxItem).where(OutboxItem.status == "pending")
                              .values(status="dead", last_error="left by a test"))
