"""The real commands as separate processes: terminal chat, server restart, database outage."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from bot.core.dialogue import ServiceUnavailable
from bot.service import Service
from tests.conftest import (
    PG_ADMIN,
    Chat,
    RecordingSender,
    _pg_admin,
    env_for,
    make_settings,
    postgres_available,
)
from tests.fakes.tcp_proxy import TcpProxy


def chat_in_terminal(env: dict[str, str], lines: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "bot", "chat", *args], input=lines, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def test_the_terminal_chat_and_a_second_run_continues(tmp_path: Path, db_url: str) -> None:
    env = env_for(tmp_path, db_url)
    out = chat_in_terminal(env, "1\n3\n", "--lang", "en")
    assert "What would you like to do?" in out
    assert "[1] Safe migration topics" in out
    assert "[3] Help lines and family" in out  # 1 opened the groups, 3 chose the third
    assert "hotline_cont en" in out
    out = chat_in_terminal(env, "/menu\n")  # a new run, same user: the language is remembered
    assert out.count("What would you like to do?") == 2  # after /start and after /menu


def messages(ws: Any, count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while len(found) < count:
        frame = json.loads(ws.recv(timeout=20))
        if frame["type"] == "message":
            found.append(frame)
    return found


def test_a_killed_server_continues_the_conversation_after_restart(server_factory: Any) -> None:
    session = "k" * 32
    base = server_factory()
    ws_url = base.replace("http", "ws") + f"/chat/ws?session={session}"
    with connect(ws_url) as ws:
        ws.send(json.dumps({"type": "text", "text": "/start", "mid": "a"}))
        messages(ws, 1)
        ws.send(json.dumps({"type": "button", "button": "lang:uk", "mid": "b"}))
        messages(ws, 2)
        ws.send(json.dumps({"type": "button", "button": "topics", "mid": "c"}))
        messages(ws, 1)
    # SIGKILL: no shutdown handlers, no flushing.
    for proc in _children():
        os.kill(proc, signal.SIGKILL)
    base = server_factory()
    with connect(ws_url) as ws:
        ws.send(json.dumps({"type": "button", "button": "cat:help", "mid": "d"}))
        [topics] = messages(ws, 1)
    assert topics["language"] == "uk"
    assert "topic:hotline_contacts" in [b["id"] for row in topics["buttons"] for b in row]


def _children() -> list[int]:
    """Pids of this test's `safemig serve` processes."""
    out = subprocess.run(["pgrep", "-f", "-P", str(os.getpid()), "bot serve"],
                         capture_output=True, text=True, check=False)
    return [int(pid) for pid in out.stdout.split()]


@pytest.mark.postgres
async def test_a_database_outage_fails_cleanly_and_recovers(tmp_path: Path) -> None:
    if not postgres_available():
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    name = f"safemig_outage_{os.getpid()}"
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    await _pg_admin(f'CREATE DATABASE "{name}"')
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    url = PG_ADMIN.rsplit("@", 1)[0] + f"@127.0.0.1:{proxy.port}/{name}"
    settings = make_settings(tmp_path, url)
    service = Service.build(settings, {"test": RecordingSender()}, with_nlu=False)
    try:
        await service.db.upgrade()
        chat = Chat(service, service.senders["test"])  # type: ignore[arg-type]
        await chat.say("/start")
        await chat.press("lang:en")
        await proxy.cut()
        with pytest.raises(ServiceUnavailable):
            await service.dialogue.handle(chat.incoming(text="/menu", external_id="u-7"))
        assert not await service.db.ping()
        await proxy.start()
        # The platform retries the same update: it is handled now, and only once.
        result = await service.dialogue.handle(chat.incoming(text="/menu", external_id="u-7"))
        assert not result.duplicate
        await service.outbox.drain()
        [menu] = chat.sender.pop()
        assert menu.language == "en" and menu.button_ids()[0] == "topics"
    finally:
        await service.db.dispose()
        await proxy.cut()
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
