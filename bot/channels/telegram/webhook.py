"""``POST /webhooks/telegram`` inside ``safemig serve``, and its place in the app's lifespan.

Answers: 403 wrong secret, 415 not JSON, 413 too large, 400 malformed, 503 when
storage is down (Telegram then delivers the same update again), 200 otherwise,
including update types this bot does not use (shared/docs/CHANNELS.md §1.1).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from bot.channels.http import read_limited_body
from bot.channels.telegram.channel import (
    WEBHOOK_PATH,
    TelegramApp,
    TelegramChannel,
    build_application,
    webhook_secret,
    webhook_url,
)
from bot.channels.telegram.handler import MalformedUpdate, parse_update
from bot.core.dialogue import ServiceUnavailable
from bot.service import Service

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
MAX_BODY = 1_048_576  # bytes; a real update is a few kilobytes
RETRY_AFTER = "10"  # seconds; Telegram honours Retry-After on a failed delivery


def register(app: FastAPI, service: Service,
             application: TelegramApp | None = None) -> TelegramChannel:
    """Add the route, the sender and the start/stop of the channel to an app."""
    settings = service.settings
    secret = webhook_secret(settings)  # refuse to run a webhook that authenticates nothing
    channel = TelegramChannel(application or build_application(settings), service, secret)
    service.add_sender(channel.sender)
    app.add_api_route(WEBHOOK_PATH, endpoint(channel, secret), methods=["POST"],
                      include_in_schema=False)
    _wrap_lifespan(app, channel, webhook_url(settings))
    app.state.telegram = channel
    return channel


def _wrap_lifespan(app: FastAPI, channel: TelegramChannel, url: str | None) -> None:
    # The channel starts before what was there (the outbox worker, which sends through the
    # bot) and stops after it. A router lifespan (include_router) would be entered after the
    # app's own and left before it: the worker could then send through a closed client.
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(the_app: Any) -> AsyncIterator[Any]:
        try:
            await channel.start(url)
        except BaseException:
            await channel.stop()
            raise
        try:
            async with inner(the_app) as state:
                yield state
        finally:
            await channel.stop()

    app.router.lifespan_context = lifespan


def endpoint(channel: TelegramChannel, secret: str) -> Callable[[Request], Awaitable[Response]]:
    """The route handler for one bot."""
    expected = secret.encode()

    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return _refuse(403, "secret")
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            return _refuse(415, "content_type")
        body = await read_limited_body(request, MAX_BODY)
        if body is None:
            return _refuse(413, "too_large")
        try:
            update = parse_update(json.loads(body), channel.bot)
        except (ValueError, MalformedUpdate):  # also UnicodeDecodeError, JSONDecodeError
            return _refuse(400, "malformed")
        try:
            await channel.process(update)
        except ServiceUnavailable:
            log.warning("telegram_update_deferred", extra={"update_id": update.update_id})
            return Response(status_code=503, headers={"Retry-After": RETRY_AFTER})
        return Response(status_code=200)

    return telegram_webhook


def _refuse(status: int, reason: str) -> Response:
    log.warning("telegram_webhook_refused", extra={"status": status, "reason": reason})
    return Response(status_code=status)
