"""End to end: `safemig serve` as a process, signed callbacks over HTTP, the fake Viber API."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.settings import Settings
from bot.storage import Base, Conversation, Database
from tests.channels.viber.conftest import BOT_NAME, PRIVATE, TOKEN, USER_ID, fixture
from tests.conftest import env_for, free_port
from tests.fakes.viber_api import FakeViberApi, sign


@dataclass
class Server:
    """The running server, the fake it talks to, and its log."""

    base: str
    fake: FakeViberApi
    log: Path
    tokens: Iterator[int] = field(default_factory=lambda: itertools.count(7_100_000_000_000_001))

    def post(self, name: str, **changes: Any) -> httpx.Response:
        """POST a fixture as a new callback (fresh token; ``text`` changes the message text)."""
        data = json.loads(fixture(name))
        data["message_token"] = next(self.tokens)
        if "text" in changes:
            data["message"]["text"] = changes["text"]
        body = json.dumps(data, ensure_ascii=False).encode()
        return httpx.post(self.base + "/webhooks/viber", content=body, timeout=30, headers={
            "Content-Type": "application/json", "X-Viber-Content-Signature": sign(TOKEN, body)})

    def say(self, text: str, replies: int) -> list[dict[str, Any]]:
        """Send a text message (or a button's ActionBody); the replies Viber then received."""
        before = len(self.fake.sent())
        assert self.post("callback_message_text", text=text).status_code == 200
        self.fake.wait_for(before + replies)
        time.sleep(0.1)  # a double send would land here and fail the count
        sent = self.fake.sent()[before:]
        assert len(sent) == replies, [b.get("text", "")[:60] for b in sent]
        assert all(b["receiver"] == USER_ID and b["sender"] == {"name": BOT_NAME} for b in sent)
        return sent


def presses(body: dict[str, Any]) -> list[str]:
    return [b["ActionBody"] for b in body.get("keyboard", {}).get("Buttons", [])]


@pytest.fixture
def server(tmp_path: Path, db_url: str) -> Iterator[Server]:
    """`safemig serve` with Viber on, PUBLIC_URL set and the API pointed at the fake."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with FakeViberApi(TOKEN) as fake, log.open("wb") as stderr:
        env = {**env_for(tmp_path, db_url), "VIBER_TOKEN": TOKEN, "VIBER_API_URL": fake.base_url,
               "VIBER_BOT_NAME": BOT_NAME, "PUBLIC_URL": base, "LOG_LEVEL": "INFO"}
        proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)],
                                env=env, stderr=stderr)
        try:
            deadline = time.monotonic() + 180  # the session's first start trains the NLU
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                raise AssertionError("server did not start: " + log.read_text()[-2000:])
            yield Server(base, fake, log)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_a_viber_conversation_through_the_real_server(server: Server, db_url: str) -> None:
    fake = server.fake
    [registered] = fake.wait_for(1, "set_webhook")
    assert registered.body["url"] == server.base + "/webhooks/viber"
    assert registered.token == TOKEN
    deadline = time.monotonic() + 10
    while not fake.webhook_checks and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake.webhook_checks == [200]  # Viber's signed check of the URL was answered

    # Opening the chat from a deep link: the welcome is the HTTP answer itself.
    opened = server.post("callback_conversation_started")
    assert opened.status_code == 200
    welcome = opened.json()
    assert "receiver" not in welcome and welcome["sender"] == {"name": BOT_NAME}
    assert welcome["text"].startswith("Bună ziua! Alegeți limba:")
    assert presses(welcome) == ["btn:lang:ro", "btn:lang:ru", "btn:lang:uk", "btn:lang:en",
                                "btn:lang:rom"]
    time.sleep(1.2)  # longer than the outbox's poll: it must not send the welcome again
    assert fake.sent() == []

    greeting, menu = server.say("btn:lang:en", replies=2)
    assert greeting["text"].startswith("Welcome!") and "keyboard" not in greeting
    assert menu["text"] == "What would you like to do?"
    assert presses(menu) == ["btn:topics", "btn:offer", "btn:human", "btn:language",
                             "btn:about"]
    [groups] = server.say("btn:topics", replies=1)
    assert "btn:cat:help" in presses(groups)
    [topics] = server.say("btn:cat:help", replies=1)
    assert "btn:topic:hotline_contacts" in presses(topics)
    [answer] = server.say("btn:topic:hotline_contacts", replies=1)
    assert "en answer of hotline_contacts" in answer["text"] and "0 800 77777" in answer["text"]

    # A question in words goes through the NLU to its topic.
    [understood] = server.say("what should I do before I leave for work abroad", replies=1)
    assert "en answer of before_departure" in understood["text"]

    # The offer check starts by asking for the offer's text.
    [entry] = server.say("btn:offer", replies=1)
    assert entry["text"].startswith("Paste the text of the job offer here, or describe it in "
                                    "your own words")
    assert presses(entry)[-1] == "btn:menu"

    # The offer itself: a pasted ad comes back as a report; a high risk offers a person.
    [report] = server.say("We hire girls 18-25 for bar work in Cyprus, 3000 EUR per month, no "
                          "experience needed. Registration fee 200 EUR before departure, the "
                          "employer keeps your passport. Leave next week.", replies=1)
    assert presses(report)[0] == "btn:human:high_risk_offer" and "0 800 77777" in report["text"]

    stored = asyncio.run(_stored(db_url))
    assert stored["campaign"] == "spring_fair-2026"
    for secret in (*PRIVATE, USER_ID, TOKEN):
        assert secret not in stored["dump"], secret
    log = server.log.read_text()
    assert "viber_webhook_set" in log
    for secret in (*PRIVATE, USER_ID, TOKEN):
        assert secret not in log, secret


async def _stored(db_url: str) -> dict[str, Any]:
    db = Database(Settings(DATABASE_URL=db_url, _env_file=None).database)  # type: ignore[call-arg]
    values: list[str] = []
    try:
        async with db.sessions() as session:
            campaign = await session.scalar(
                select(Conversation.campaign).where(Conversation.channel == "viber"))
            for table in Base.metadata.sorted_tables:
                for row in (await session.execute(select(table))).all():
                    values.extend(json.dumps(v, ensure_ascii=False, default=str) for v in row)
    finally:
        await db.dispose()
    return {"campaign": campaign, "dump": "\n".join(values)}
