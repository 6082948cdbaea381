"""The fuzz harness: one real app with Telegram and Viber on (SQLite), and both fake APIs.

One app per module: the properties post hundreds of random bodies, and a fresh
database per example would cost more than the examples themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import func, select

from bot.service import Service
from bot.storage.models import Base
from bot.web import create_app
from tests.conftest import make_settings, migrated_database
from tests.fakes.telegram_api import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.viber_api import FakeViberApi, sign

TELEGRAM_SECRET = "fuzz-webhook-secret_0123456789"
VIBER_TOKEN = "44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3"


@dataclass
class Channels:
    """The app with both messenger channels, driven as Telegram and Viber would."""

    service: Service
    client: httpx.AsyncClient

    async def telegram(self, body: bytes, *, secret: str | None = TELEGRAM_SECRET,
                       content_type: str | None = "application/json") -> httpx.Response:
        """POST one Telegram webhook delivery."""
        headers = {}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        if content_type is not None:
            headers["Content-Type"] = content_type
        return await self.client.post("/webhooks/telegram", content=body, headers=headers)

    async def viber(self, body: bytes, *, signature: str | None = "valid") -> httpx.Response:
        """POST one Viber callback, signed with the bot's token unless told otherwise."""
        headers = {"Content-Type": "application/json"}
        if signature == "valid":
            headers["X-Viber-Content-Signature"] = sign(VIBER_TOKEN, body)
        elif signature is not None:
            headers["X-Viber-Content-Signature"] = signature
        return await self.client.post("/webhooks/viber", content=body, headers=headers)

    async def row_counts(self) -> dict[str, int]:
        """How many rows each table holds."""
        async with self.service.db.sessions() as session:
            return {table.name: int(await session.scalar(
                        select(func.count()).select_from(table)) or 0)
                    for table in Base.metadata.sorted_tables}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def channels(tmp_path_factory: Any) -> AsyncIterator[Channels]:
    """The real app (lifespan, outbox worker, both channels) on a migrated SQLite database."""
    tmp = tmp_path_factory.mktemp("fuzz")
    telegram = FakeTelegramAPI().start()
    try:
        with FakeViberApi(VIBER_TOKEN, call_back_on_set_webhook=False) as viber:
            async with migrated_database("sqlite", tmp) as url:
                settings = make_settings(
                    tmp, url, TELEGRAM_TOKEN=TELEGRAM_TOKEN,
                    TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET, TELEGRAM_API_URL=telegram.url,
                    VIBER_TOKEN=VIBER_TOKEN, VIBER_API_URL=viber.base_url,
                    VIBER_BOT_NAME="Safe Migration Moldova")
                service = Service.build(settings, {}, with_nlu=False)
                app = create_app(service)
                client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                           base_url="http://testserver")
                async with app.router.lifespan_context(app), client:
                    yield Channels(service, client)
    finally:
        telegram.stop()
