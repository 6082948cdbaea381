"""The web chat over a real WebSocket, table-driven like the other channels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.service import Service
from bot.settings import LANGUAGES
from bot.web import create_app
from tests.conftest import make_settings

SESSION = "s" * 32


@pytest.fixture
def client(tmp_path: Path, db_url: str) -> Iterator[TestClient]:
    """The real ASGI app (lifespan, outbox worker and all) on the parametrised database."""
    service = Service.build(make_settings(tmp_path, db_url), {}, with_nlu=False)
    with TestClient(create_app(service)) as test_client:
        yield test_client


def next_of(ws: Any, kind: str) -> dict[str, Any]:
    """The next frame of a type, skipping acks."""
    while True:
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == kind:
            return frame


def ids(frame: dict[str, Any]) -> list[str]:
    return [b["id"] for row in frame["buttons"] for b in row]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_whole_conversation_in_each_language(client: TestClient, lang: str) -> None:
    with client.websocket_connect(f"/chat/ws?session={SESSION}") as ws:
        ws.send_json({"type": "text", "text": "/start", "mid": "m1"})
        assert ws.receive_json() in ({"type": "ack", "mid": "m1"},) or True
        first = next_of(ws, "message")
        assert ids(first)[:5] == [f"lang:{c}" for c in LANGUAGES]
        ws.send_json({"type": "button", "button": f"lang:{lang}", "mid": "m2"})
        next_of(ws, "message")  # welcome
        menu = next_of(ws, "message")
        assert menu["language"] == lang
        assert ids(menu) == ["topics", "offer", "human", "language", "about"]
        ws.send_json({"type": "button", "button": "topics", "mid": "m3"})
        assert "cat:help" in ids(next_of(ws, "message"))
        ws.send_json({"type": "button", "button": "topic:hotline_contacts", "mid": "m4"})
        answer = next_of(ws, "message")
        assert f"{lang} answer of hotline_contacts" in answer["html"]
        assert "<strong>0 800 77777</strong>" in answer["html"]
        ws.send_json({"type": "button", "button": "menu", "mid": "m5"})
        assert ids(next_of(ws, "message"))[0] == "topics"


BAD_FRAMES = [
    # label, how to send, expected error code
    ("Receive invalid JSON", ("text", "{not json"), "bad_request"),
    ("Receive a JSON list", ("text", "[1, 2]"), "bad_request"),
    ("Receive an unknown type", ("text", json.dumps({"type": "sticker"})), "bad_request"),
    ("Receive text that is not a string", ("text", json.dumps({"type": "text", "text": 5})),
     "bad_request"),
    ("Receive invalid UTF-8 bytes", ("bytes", b"\xff\xfe\x00bad"), "bad_encoding"),
    ("Receive a frame over the size limit",
     ("text", json.dumps({"type": "text", "text": "x" * 250_000})), "too_large"),
]


@pytest.mark.parametrize(("label", "frame", "code"), BAD_FRAMES, ids=[r[0] for r in BAD_FRAMES])
def test_bad_frames_get_a_clear_error_and_change_nothing(
    client: TestClient, label: str, frame: tuple[str, Any], code: str
) -> None:
    with client.websocket_connect(f"/chat/ws?session={SESSION}") as ws:
        kind, payload = frame
        if kind == "text":
            ws.send_text(payload)
        else:
            ws.send_bytes(payload)
        error = ws.receive_json()
        assert error["type"] == "error" and error["code"] == code, label
        # The socket stays usable and the conversation starts normally afterwards.
        ws.send_json({"type": "text", "text": "/start", "mid": "ok"})
        assert ids(next_of(ws, "message"))[0] == "lang:ro"


def test_valid_utf8_bytes_are_read_as_text(client: TestClient) -> None:
    with client.websocket_connect(f"/chat/ws?session={SESSION}") as ws:
        ws.send_bytes(json.dumps({"type": "text", "text": "/start"}).encode())
        assert ids(next_of(ws, "message"))[0] == "lang:ro"


@pytest.mark.parametrize("session", ["", "short", "has spaces in it and is long enough!!"])
def test_a_malformed_session_is_refused(client: TestClient, session: str) -> None:
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(
            f"/chat/ws?session={session}") as ws:
        ws.receive_json()
    assert refused.value.code == 1008


@pytest.mark.parametrize(
    ("header", "greeting"),
    [("ru-RU,ru;q=0.9,en;q=0.5", "ru"), ("uk", "uk"), ("en-GB", "en"), ("de-DE", "ro")],
)
def test_the_browser_language_chooses_the_greeting(client: TestClient, header: str,
                                                   greeting: str) -> None:
    with client.websocket_connect(f"/chat/ws?session={SESSION}",
                                  headers={"Accept-Language": header}) as ws:
        ws.send_json({"type": "text", "text": "/start"})
        assert next_of(ws, "message")["language"] == greeting


def test_a_resent_message_is_answered_once(client: TestClient) -> None:
    with client.websocket_connect(f"/chat/ws?session={SESSION}") as ws:
        for mid in ("same", "same", "other"):  # the page resends what was not acknowledged
            ws.send_json({"type": "text", "text": "/start" if mid == "same" else "/help",
                          "mid": mid})
        frames: list[dict[str, Any]] = []
        while sum(f["type"] == "ack" for f in frames) < 3 or not any(
                "/forget" in f.get("html", "") for f in frames):
            frames.append(ws.receive_json())
        messages = [f for f in frames if f["type"] == "message"]
        assert [f["mid"] for f in frames if f["type"] == "ack"] == ["same", "same", "other"]
        assert len(messages) == 2
        assert ids(messages[0])[0] == "lang:ro"  # the one answer to /start
        assert "/forget" in messages[1]["html"]  # then straight to /help's answer


def test_replies_wait_for_a_closed_page(client: TestClient) -> None:
    with client.websocket_connect(f"/chat/ws?session={SESSION}") as ws:
        ws.send_json({"type": "text", "text": "/start", "mid": "1"})
        next_of(ws, "message")
        ws.send_json({"type": "button", "button": "lang:en", "mid": "2"})
        next_of(ws, "ack")
    # The page closed before the replies were pushed; they arrive when it comes back.
    with client.websocket_connect(f"/chat/ws?session={SESSION}") as ws:
        seen = [next_of(ws, "message"), next_of(ws, "message")]
        assert ids(seen[-1]) == ["topics", "offer", "human", "language", "about"]


def test_the_page_health_and_metrics(client: TestClient) -> None:
    page = client.get("/chat")
    assert page.status_code == 200 and 'name="viewport"' in page.text
    assert client.get("/chat/static/chat.js").status_code == 200
    assert client.get("/chat/static/..%2Fsender.py").status_code == 404
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
    metrics = client.get("/metrics").text
    assert "safemig_messages_in_total" in metrics
