"""The operator API in process: the real app over httpx, the recording channel as the user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.console.accounts import add_operator
from bot.service import Service
from bot.web import create_app
from tests.conftest import Chat, RecordingSender

PASSWORD = "correct horse battery"


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
