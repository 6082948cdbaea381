"""Starting and stopping the channel: configuration errors, Telegram down at start, polling."""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.channels.telegram import channel as channel_module
from bot.channels.telegram.channel import TelegramConfigError, build_application
from bot.channels.telegram.poll import run_polling
from bot.core.dialogue import ServiceUnavailable
from bot.service import Service
from bot.storage import Database
from bot.web import create_app
from tests.channels.telegram.conftest import PUBLIC_URL, load, personalize, telegram_settings
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI, error


@pytest.fixture
async def sqlite_url(tmp_path: Path, telegram_api: FakeTelegramAPI) -> str:
    """A migrated SQLite database (these tests are about the channel, not the engine)."""
    telegram_api.reset()
    url = f"sqlite:///{tmp_path / 'lifecycle.sqlite3'}"
    db = Database(telegram_settings(tmp_path, url, telegram_api).database)
    await db.upgrade()
    await db.dispose()
    return url


async def eventually(check: Any, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def service_for(tmp_path: Path, url: str, api: FakeTelegramAPI, **extra: Any) -> Service:
    return Service.build(telegram_settings(tmp_path, url, api, **extra), {}, with_nlu=False)


async def test_without_a_token_there_is_no_telegram_route(
        tmp_path: Path, sqlite_url: str, telegram_api: FakeTelegramAPI) -> None:
    service = service_for(tmp_path, sqlite_url, telegram_api, TELEGRAM_TOKEN="")
    app = create_app(service)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/webhooks/telegram", json=load("update_message_text"))
    assert response.status_code == 404
    assert "telegram" not in service.senders
    await service.db.dispose()


@pytest.mark.parametrize(("secret", "says"), [
    ("", "TELEGRAM_WEBHOOK_SECRET is not"),
    ("has spaces in it", "A-Z a-z 0-9 _ -"),
    ("x" * 257, "1-256 characters"),
])
async def test_a_webhook_without_a_usable_secret_refuses_to_start(
        tmp_path: Path, sqlite_url: str, telegram_api: FakeTelegramAPI, secret: str,
        says: str) -> None:
    service = service_for(tmp_path, sqlite_url, telegram_api, TELEGRAM_WEBHOOK_SECRET=secret)
    with pytest.raises(TelegramConfigError, match=says) as refused:
        create_app(service)
    assert TOKEN.split(":")[1] not in str(refused.value)
    await service.db.dispose()


async def test_a_rejected_token_stops_the_start_without_showing_the_token(
        tmp_path: Path, sqlite_url: str, telegram_api: FakeTelegramAPI,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "7012345678:AAHrevokedTokenRevokedToken-0000000"
    service = service_for(tmp_path, sqlite_url, telegram_api, TELEGRAM_TOKEN=wrong)
    app = create_app(service)
    with pytest.raises(TelegramConfigError, match="rejected") as refused:
        async with app.router.lifespan_context(app):
            pass
    # The library's own error quotes the token; ours neither quotes nor chains it.
    assert refused.value.__context__ is None and refused.value.__cause__ is None
    assert "revoked" not in str(refused.value) and "revoked" not in caplog.text
    await service.db.dispose()


async def test_a_webhook_url_telegram_refuses_is_a_configuration_error(
        tmp_path: Path, sqlite_url: str, telegram_api: FakeTelegramAPI) -> None:
    telegram_api.fail("setWebhook", error(400, "Bad Request: bad webhook: HTTPS url must be "
                                               "provided for webhook"))
    service = service_for(tmp_path, sqlite_url, telegram_api)
    app = create_app(service)
    with pytest.raises(TelegramConfigError, match=r"(?i)PUBLIC_URL.*https url must be provided"):
        async with app.router.lifespan_context(app):
            pass
    await service.db.dispose()


async def test_without_a_public_url_the_webhook_is_left_alone(
        tmp_path: Path, sqlite_url: str, telegram_api: FakeTelegramAPI) -> None:
    service = service_for(tmp_path, sqlite_url, telegram_api, PUBLIC_URL="")
    app = create_app(service)
    async with app.router.lifespan_context(app):
        assert [c.method for c in telegram_api.calls()] == ["getMe"]
    await service.db.dispose()


async def test_telegram_down_at_start_leaves_the_service_up_and_retries(
        tmp_path: Path, sqlite_url: str, telegram_api: FakeTelegramAPI,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(channel_module, "_RETRY_START", (0.05, 0.1))
    telegram_api.fail("getMe", "bad_gateway", "server_error")
    service = service_for(tmp_path, sqlite_url, telegram_api)
    app = create_app(service)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=transport, base_url="http://t") as client:
        assert (await client.get("/healthz")).status_code == 200
        assert "telegram_start_failed" in caplog.text
        await eventually(lambda: telegram_api.calls("setWebhook"))
        assert [c.method for c in telegram_api.calls()] == [
            "getMe", "getMe", "getMe", "setWebhook"]
        assert telegram_api.calls("setWebhook")[0].params["url"] == (
            f"{PUBLIC_URL}/webhooks/telegram")
    await service.db.dispose()


# --- long polling, in process ---------------------------------------------------------------


@pytest.fixture
async def poller(tmp_path: Path, sqlite_url: str, telegram_api: FakeTelegramAPI
                 ) -> AsyncIterator[tuple[Service, Any]]:
    """A service, and a way to start its polling loop (stopped by setting the event)."""
    settings = telegram_settings(tmp_path, sqlite_url, telegram_api,
                                 TELEGRAM_WEBHOOK_SECRET="", PUBLIC_URL="")
    service = Service.build(settings, {}, with_nlu=False)

    def start(stop: asyncio.Event) -> asyncio.Task[None]:
        return asyncio.create_task(run_polling(service, build_application(settings, timeout=2),
                                               stop, hold=1))

    yield service, start
    await service.db.dispose()


async def test_polling_deletes_the_webhook_answers_and_confirms_on_stop(
        poller: tuple[Service, Any], telegram_api: FakeTelegramAPI) -> None:
    _, start = poller
    telegram_api.webhook = {"url": "https://old.example.org/webhooks/telegram"}
    press = personalize(load("update_callback_query"), 555, 101)
    telegram_api.queue_updates(personalize(load("update_message_start_deeplink"), 555, 100),
                               press)
    stop = asyncio.Event()
    task = start(stop)
    await eventually(lambda: len(telegram_api.sent(555)) == 3)  # languages, welcome, menu
    assert len(telegram_api.calls("answerCallbackQuery")) == 1
    stop.set()
    await asyncio.wait_for(task, 5)
    methods = [c.method for c in telegram_api.calls()]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    first, last = telegram_api.calls("getUpdates")[0].params, telegram_api.calls("getUpdates")[-1]
    assert first["allowed_updates"] == ["message", "edited_message", "callback_query",
                                        "my_chat_member"]
    assert (last.params["offset"], last.params["timeout"]) == ("102", "0")  # confirmed

    # After a crash Telegram hands out again what was not confirmed: answered once only.
    telegram_api.queue_updates(copy.deepcopy(press))
    stop = asyncio.Event()
    task = start(stop)
    await eventually(lambda: len(telegram_api.calls("answerCallbackQuery")) == 2)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert len(telegram_api.sent(555)) == 3


async def test_polling_leaves_an_update_unconfirmed_while_the_database_is_down(
        poller: tuple[Service, Any], telegram_api: FakeTelegramAPI,
        monkeypatch: pytest.MonkeyPatch) -> None:
    service, start = poller
    handle = service.dialogue.handle
    outage = [True]

    async def flaky(incoming: Any) -> Any:
        if outage and outage.pop():
            raise ServiceUnavailable
        return await handle(incoming)

    monkeypatch.setattr(service.dialogue, "handle", flaky)
    telegram_api.queue_updates(personalize(load("update_message_text"), 556, 200))
    stop = asyncio.Event()
    task = start(stop)
    await eventually(lambda: len(telegram_api.sent(556)) == 1, within=8)
    stop.set()
    await asyncio.wait_for(task, 5)
    offsets = [c.params.get("offset") for c in telegram_api.calls("getUpdates")]
    assert offsets[0] is None and offsets[1] is None  # not confirmed after the failure
    assert offsets[-1] == "201"
