"""The live event stream (Server-Sent Events) read over real HTTP from a uvicorn server."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn

import bot.console.api
from bot.console.accounts import add_operator
from bot.service import Service
from bot.settings import Settings
from tests.conftest import Chat, RecordingSender, free_port
from tests.console.conftest import PASSWORD, handoff_of, hearing, queued

EVENT_KEYS = {"type", "handoff_id", "urgent", "status"}


@pytest.fixture
async def server(app: Any, service: Service, monkeypatch: pytest.MonkeyPatch
                 ) -> AsyncIterator[str]:
    """The app on a free port of 127.0.0.1, in this test's event loop (the service's loop).

    httpx's ASGITransport answers only once the app has finished, so a stream that
    never ends needs a real server. On PostgreSQL the event listener runs meanwhile.
    """
    monkeypatch.setattr(bot.console.api, "PING_EVERY", 0.3)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None,
                            log_level="warning", timeout_graceful_shutdown=1)
    served = uvicorn.Server(config)
    task = asyncio.create_task(served.serve())
    async with asyncio.timeout(10):
        while not served.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
            await asyncio.sleep(0.02)
    try:
        async with hearing(service):
            yield f"http://127.0.0.1:{port}"
    finally:
        served.should_exit = True
        await asyncio.wait_for(task, timeout=10)


@contextlib.asynccontextmanager
async def logged_in(base: str, name: str = "ana") -> AsyncIterator[httpx.AsyncClient]:
    """A real HTTP client with a console session (the CSRF token on every request)."""
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        answer = await client.post("/api/auth/login",
                                   json={"username": name, "password": PASSWORD})
        assert answer.status_code == 200
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        yield client


async def next_event(lines: AsyncIterator[str]) -> dict[str, Any]:
    """The next ``data:`` line as JSON, skipping comments and blank lines (5 s at most)."""
    async with asyncio.timeout(5):
        async for line in lines:
            if line.startswith("data: "):
                event: dict[str, Any] = json.loads(line.removeprefix("data: "))
                return event
    raise AssertionError("the stream ended")


async def test_the_stream_tells_each_change_without_any_text(
        server: str, service: Service, user: Chat) -> None:
    await add_operator(service.db, "ana", PASSWORD)
    async with logged_in(server) as ana, ana.stream("GET", "/api/events") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["cache-control"] == "no-store"
        lines = stream.aiter_lines()
        assert await anext(lines) == "retry: 3000"  # subscribed: from here nothing is missed

        await queued(user)
        opened = await next_event(lines)
        hid = (await handoff_of(service, user)).id
        assert opened == {"type": "handoff_opened", "handoff_id": hid, "urgent": False,
                          "status": "waiting"}

        assert (await ana.post(f"/api/handoffs/{hid}/claim")).status_code == 200
        assert await next_event(lines) == {"type": "handoff_changed", "handoff_id": hid,
                                           "urgent": False, "status": "active"}
        await user.say("they keep my passport")
        assert (await next_event(lines))["type"] == "message"
        await ana.post(f"/api/handoffs/{hid}/messages", json={"text": "We will help."})
        assert (await next_event(lines))["type"] == "message"
        await ana.post(f"/api/handoffs/{hid}/notes", json={"text": "secret note"})
        assert (await next_event(lines))["type"] == "note"
        await ana.post(f"/api/handoffs/{hid}/close", json={"outcome": "possible_victim"})
        closed = await next_event(lines)
        assert closed == {"type": "handoff_changed", "handoff_id": hid, "urgent": False,
                          "status": "closed"}
        for event in (opened, closed):
            assert set(event) == EVENT_KEYS, "a hint, never text"
        # Quiet: a comment keeps the connection alive (every 15 s; 0.3 s in this test).
        async with asyncio.timeout(5):
            async for line in lines:
                if line == ": ping":
                    break


async def test_the_stream_needs_a_live_session(server: str, service: Service) -> None:
    await add_operator(service.db, "ana", PASSWORD)
    async with logged_in(server) as ana:
        assert (await ana.post("/api/auth/logout")).status_code == 200
        async with asyncio.timeout(5):
            refused = await ana.get("/api/events")
        assert refused.status_code == 401
    async with httpx.AsyncClient(base_url=server, timeout=5) as stranger:
        assert (await stranger.get("/api/events")).status_code == 401


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_events_from_another_process_arrive_on_postgres(
        server: str, service: Service, settings: Settings) -> None:
    await add_operator(service.db, "ana", PASSWORD)
    other = Service.build(settings, {"test": RecordingSender()}, with_nlu=False)
    try:
        async with logged_in(server) as ana, ana.stream("GET", "/api/events") as stream:
            lines = stream.aiter_lines()
            assert await anext(lines) == "retry: 3000"
            elsewhere = Chat(other, other.senders["test"], "elsewhere")  # type: ignore[arg-type]
            await queued(elsewhere)  # handled by the other "process": its own event bus
            event = await next_event(lines)
            assert event["type"] == "handoff_opened"
            assert event["handoff_id"] == (await handoff_of(other, elsewhere)).id
    finally:
        await other.db.dispose()
