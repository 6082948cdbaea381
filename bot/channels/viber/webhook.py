"""The Viber webhook route (``POST /webhooks/viber``) and the channel's registration.

4xx only for what Viber would never send: an oversized body (413), a bad signature
(403), a body that is no callback (400). Known but unused events get 200; 503 when the
database is down, and Viber retries for an hour:
https://creators.viber.com/docs/bots-api/getting-started/web-hooks
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Final

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.http import read_limited_body
from bot.channels.viber import handler
from bot.channels.viber.api import ViberApi
from bot.channels.viber.handler import (
    Callback,
    ConversationStarted,
    DeliveryFailed,
    Ignored,
    Malformed,
    Subscription,
    UserMessage,
)
from bot.channels.viber.sender import ViberSender
from bot.channels.viber.welcome import InlineReplies, last_outbox_id, take_out_of_outbox
from bot.channels.viber.wire import Profile, welcome_body
from bot.core.dialogue import ServiceUnavailable
from bot.outbox import SendError
from bot.service import Service

log = logging.getLogger(__name__)

PATH: Final = "/webhooks/viber"
MAX_BODY: Final = 128 * 1024  # a 7,000-character message with escapes is well under this
SET_WEBHOOK_DELAYS: Final = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)


class ViberWebhook:
    """Verifies, parses and dispatches one callback per request."""

    def __init__(self, service: Service, token: str, sender: ViberSender) -> None:
        self.service = service
        self._token = token
        self.sender = sender

    async def handle(self, request: Request) -> Response:
        """The route: always a quick answer, replies go through the outbox."""
        body = await read_limited_body(request, MAX_BODY)
        if body is None:
            log.warning("viber_body_too_large")
            return Response(status_code=413)
        if not handler.verify(self._token, body, request.headers.get(handler.SIGNATURE_HEADER)):
            log.warning("viber_bad_signature")
            return Response(status_code=403)
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type and media_type != "application/json":  # Viber sends JSON, or says nothing
            log.warning("viber_content_type")
            return Response(status_code=415)
        try:
            callback = handler.parse(body, self._user_key)
        except Malformed as exc:
            log.warning("viber_malformed", extra={"reason": str(exc)})
            return Response(status_code=400)
        try:
            return await self._dispatch(callback)
        except (ServiceUnavailable, SQLAlchemyError, OSError) as exc:
            log.error("viber_unavailable", extra={"error": type(exc).__name__})
            return Response(status_code=503)

    def _user_key(self, viber_id: str) -> str:
        return self.service.keyring.user_key(handler.CHANNEL, viber_id)

    async def _dispatch(self, callback: Callback) -> Response:
        if isinstance(callback, UserMessage):
            await self.service.dialogue.handle(callback.incoming)
        elif isinstance(callback, ConversationStarted):
            return await self._welcome(callback)
        elif isinstance(callback, Subscription):
            await self.service.dialogue.set_blocked(handler.CHANNEL, callback.user_key,
                                                    blocked=not callback.subscribed)
        elif isinstance(callback, DeliveryFailed):
            # The token finds the message; Viber's free-text description is not logged.
            log.warning("viber_delivery_failed", extra={"message_token": callback.message_token})
        elif isinstance(callback, Ignored):
            log.debug("viber_event_ignored", extra={"viber_event": callback.event})
        return Response(status_code=200)

    async def _welcome(self, callback: ConversationStarted) -> Response:
        incoming = callback.incoming
        db = self.service.db
        async with self.sender.inline.hold(incoming.address) as held:
            before = await last_outbox_id(db, handler.CHANNEL, incoming.user_key)
            result = await self.service.dialogue.handle(incoming)
            if result.conversation_id is not None:
                held.replies = await take_out_of_outbox(db, result.conversation_id, before,
                                                        result.replies)
        body = welcome_body(result.replies, self.sender.profile)
        return JSONResponse(body) if body else Response(status_code=200)


async def set_webhook_when_up(api: ViberApi, url: str,
                              delays: Sequence[float] = SET_WEBHOOK_DELAYS) -> bool:
    """Register the webhook; Viber calls it back at once, so wait for the server first."""
    for attempt, delay in enumerate(delays, start=1):
        await asyncio.sleep(delay)
        try:
            await api.set_webhook(url)
        except SendError as exc:
            log.warning("viber_webhook_not_set", extra={"error": exc.code, "detail": str(exc),
                                                         "attempt": attempt})
        else:
            log.info("viber_webhook_set", extra={"attempt": attempt})
            return True
    return False


def register_viber(app: FastAPI, service: Service) -> None:
    """Add the Viber webhook and sender when VIBER_TOKEN is set."""
    settings = service.settings
    token = settings.viber_token.get_secret_value()
    if not token:
        return
    api = ViberApi(token, settings.viber_api_url)
    sender = ViberSender(api, Profile(settings.viber_bot_name, settings.viber_bot_avatar),
                         InlineReplies())
    service.add_sender(sender)
    webhook = ViberWebhook(service, token, sender)
    public_url = settings.public_url.rstrip("/")

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        """Register the webhook in the background; close the API client at shutdown."""
        task = (asyncio.create_task(set_webhook_when_up(api, public_url + PATH),
                                    name="viber-set-webhook") if public_url else None)
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await api.aclose()

    router = APIRouter(lifespan=lifespan)
    router.add_api_route(PATH, webhook.handle, methods=["POST"], include_in_schema=False)
    app.include_router(router)
