"""Delivers replies to the open web-chat pages of a session."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Protocol

from bot.core.messages import Outgoing
from bot.outbox import RecipientOffline
from bot.render import to_html


class Socket(Protocol):
    """The part of a WebSocket the sender uses."""

    async def send_json(self, data: Any, mode: str = "text") -> None:
        """Send one JSON message."""
        ...


def wire(message: Outgoing) -> dict[str, Any]:
    """The JSON a page receives for one reply."""
    return {
        "type": "message",
        "html": to_html(message.text),
        "language": message.language,
        "buttons": [[{"id": b.id, "label": b.label} for b in row] for row in message.buttons],
    }


class WebSender:
    """Keeps the open pages of each session; a session with none is offline."""

    channel = "web"

    def __init__(self) -> None:
        self._sockets: dict[str, set[Socket]] = defaultdict(set)
        self._user_keys: dict[str, str] = {}  # session -> the conversation's user key

    def connect(self, session: str, socket: Socket, user_key: str) -> None:
        """A page of this session opened its socket."""
        self._sockets[session].add(socket)
        self._user_keys[session] = user_key

    def reachable(self) -> frozenset[str]:
        """The user keys of the sessions with an open page in this process."""
        return frozenset(self._user_keys.values())  # kept only while a page is open

    def disconnect(self, session: str, socket: Socket) -> None:
        """A page closed."""
        sockets = self._sockets.get(session)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._sockets[session]
                self._user_keys.pop(session, None)

    async def send(self, address: str, message: Outgoing) -> None:
        """Push to every open page of the session, or report it offline."""
        sockets = list(self._sockets.get(address, ()))
        delivered = False
        for socket in sockets:
            try:
                await socket.send_json(wire(message))
                delivered = True
            except Exception:  # a page that went away mid-send
                self.disconnect(address, socket)
        if not delivered:
            raise RecipientOffline
