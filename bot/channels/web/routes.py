"""HTTP and WebSocket routes of the web chat."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, Response
from sqlalchemy import select

from bot.core.dialogue import ServiceUnavailable
from bot.core.messages import Incoming, Kind
from bot.i18n import negotiate, parse_accept_language
from bot.service import Service
from bot.storage import Conversation

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
SESSION = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_FRAME = 200_000  # characters; longer frames are refused with an error, not stored
STATIC_FILES = {"chat.js": "text/javascript", "chat.css": "text/css"}

router = APIRouter()


@router.get("/chat", include_in_schema=False)
async def chat_page() -> FileResponse:
    """The chat page."""
    return FileResponse(STATIC / "chat.html", media_type="text/html",
                        headers={"Cache-Control": "no-cache"})


@router.get("/chat/static/{name}", include_in_schema=False)
async def chat_static(name: str) -> Response:
    """The page's script and style (a fixed list: no path from the request reaches the disk)."""
    if name not in STATIC_FILES:
        return Response(status_code=404)
    return FileResponse(STATIC / name, media_type=STATIC_FILES[name])


@router.websocket("/chat/ws")
async def chat_socket(socket: WebSocket) -> None:
    """One open page: messages in, replies out through the outbox."""
    service: Service = socket.app.state.service
    session = socket.query_params.get("session", "")
    if not SESSION.match(session):
        await socket.close(code=1008, reason="missing or malformed session")
        return
    await socket.accept()
    hint = negotiate(parse_accept_language(socket.headers.get("accept-language")))
    sender = socket.app.state.web_sender
    user_key = service.keyring.user_key("web", session)
    sender.connect(session, socket, user_key)
    try:
        await _release_waiting(service, user_key)
        while True:
            await _one_frame(service, socket, session, user_key, hint)
    except WebSocketDisconnect:
        pass
    finally:
        sender.disconnect(session, socket)


async def _one_frame(service: Service, socket: WebSocket, session: str, user_key: str,
                     hint: str | None) -> None:
    frame = await socket.receive()
    if frame["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(frame.get("code", 1000))
    raw = frame.get("text")
    if raw is None:
        try:
            raw = (frame.get("bytes") or b"").decode("utf-8")
        except UnicodeDecodeError:
            await _error(socket, "bad_encoding", "The message was not valid UTF-8 text.")
            return
    if len(raw) > MAX_FRAME:
        await _error(socket, "too_large", "The message is too large.")
        return
    data = _json_object(raw)
    if data is None:
        await _error(socket, "bad_request", "Expected a JSON object.")
        return
    incoming = _incoming(data, session, user_key, hint)
    if incoming is None:
        await _error(socket, "bad_request", "Unknown message type.")
        return
    try:
        await service.dialogue.handle(incoming)
    except ServiceUnavailable:
        tr = service.catalogs.get(hint)
        await _error(socket, "unavailable", tr._(
            "Sorry, something went wrong on our side. Please try again in a minute."),
            mid=data.get("mid"))
        return
    if incoming.external_id:
        await socket.send_json({"type": "ack", "mid": data.get("mid")})


def _json_object(raw: str) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _incoming(data: dict[str, Any], session: str, user_key: str,
              hint: str | None) -> Incoming | None:
    client_id = data.get("mid")
    external = f"{session[:16]}:{client_id}" if isinstance(client_id, str) and CLIENT_ID.match(
        client_id) else None
    common: dict[str, Any] = {"channel": "web", "user_key": user_key, "address": session,
                              "locale_hint": hint, "external_id": external}
    if data.get("type") == "text" and isinstance(data.get("text"), str):
        text = data["text"].encode("utf-8", "replace").decode("utf-8")  # lone surrogates
        return Incoming(kind=Kind.TEXT, text=text, **common)
    if data.get("type") == "button" and isinstance(data.get("button"), str):
        return Incoming(kind=Kind.BUTTON, button=data["button"][:64], **common)
    return None


async def _error(socket: WebSocket, code: str, message: str, **extra: Any) -> None:
    await socket.send_json({"type": "error", "code": code, "message": message, **extra})


async def _release_waiting(service: Service, user_key: str) -> None:
    async with service.db.sessions() as session:
        conv_id = await session.scalar(select(Conversation.id).where(
            Conversation.channel == "web", Conversation.user_key == user_key))
    if conv_id is not None:
        await service.outbox.release(conv_id)
