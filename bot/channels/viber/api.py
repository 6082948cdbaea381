"""The few Viber REST calls we make, over one async httpx client.

viberbot is synchronous (``requests`` with no timeout) and puts the token in the JSON
body. Run through ``asyncio.to_thread``, a hung Viber call would hold a worker thread
forever and stall the outbox behind it. We need two endpoints, so viberbot only parses
callbacks, and sends go out here with timeouts and the ``X-Viber-Auth-Token`` header.
"""

from __future__ import annotations

import json
from typing import Any, Final

import httpx

from bot.channels.viber.errors import error_for_http, error_for_status
from bot.outbox import SendError

DEFAULT_BASE_URL: Final = "https://chatapi.viber.com/pa"
# Events we want besides the ones Viber always sends (message, subscribed, unsubscribed);
# delivered/seen would only cost requests, since nothing is kept of them.
WEBHOOK_EVENTS: Final = ("conversation_started", "failed", "subscribed", "unsubscribed")


class ViberApi:
    """POSTs JSON to ``{base_url}/{endpoint}`` and turns every failure into a SendError."""

    def __init__(self, token: str, base_url: str = "", *, timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            headers={"X-Viber-Auth-Token": token, "User-Agent": "safemig"},
            transport=transport,
        )

    def __repr__(self) -> str:  # never the token
        return f"ViberApi({self.base_url!r})"

    async def call(self, endpoint: str, payload: dict[str, Any]) -> dict[str, Any]:
        """One API call; returns the answer when its status is 0, raises a SendError otherwise."""
        # UTF-8, not \u escapes: 7,000 Cyrillic characters must fit Viber's 30 KB request limit.
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            response = await self._client.post(
                f"{self.base_url}/{endpoint}", content=body,
                headers={"Content-Type": "application/json; charset=utf-8"})
        except httpx.TimeoutException as exc:
            raise SendError("viber timed out") from exc
        except (httpx.HTTPError, RuntimeError) as exc:  # RuntimeError: client closed at shutdown
            raise SendError("viber unreachable") from exc
        if response.status_code != 200:
            raise error_for_http(response.status_code, response.headers.get("Retry-After"))
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or type(answer.get("status")) is not int:
            raise SendError("viber answered something that is not a status")
        if answer["status"] != 0:
            raise error_for_status(answer["status"])
        return answer

    async def send_message(self, receiver: str, body: dict[str, Any]) -> None:
        """Send one message (the send_message shape without ``receiver``) to a user."""
        await self.call("send_message", {"receiver": receiver, **body})

    async def set_webhook(self, url: str) -> None:
        """Point Viber at our webhook; Viber checks it with a signed callback first."""
        # send_name/send_photo false: we never keep names or pictures, so don't ask for them.
        await self.call("set_webhook", {"url": url, "event_types": list(WEBHOOK_EVENTS),
                                        "send_name": False, "send_photo": False})

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
