"""The Telegram channel of one process: the library's Application, its lifecycle, and updates.

The webhook route and long polling both hand updates to ``TelegramChannel.process``,
so both paths behave the same. Updates go straight to the core rather than through
the library's handler dispatch, so a storage outage can become a 503 that Telegram
retries (shared/docs/CHANNELS.md §1.1, §1.5).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from typing import Any

from telegram import Bot, Update
from telegram.error import BadRequest, InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, Application

from bot.channels.telegram.handler import CHANNEL, Handle, Ignore, SetBlocked, to_action
from bot.channels.telegram.sender import TelegramSender
from bot.core.dialogue import TRANSIENT, ServiceUnavailable
from bot.service import Service
from bot.settings import Settings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
DEFAULT_API_URL = "https://api.telegram.org"
# setWebhook's secret_token: 1-256 characters, only A-Z a-z 0-9 _ -
# (https://core.telegram.org/bots/api#setwebhook).
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_RETRY_START = (2.0, 60.0)  # first and longest pause between start attempts, seconds

TelegramApp = Application[Any, Any, Any, Any, Any, Any]


class TelegramConfigError(RuntimeError):
    """The Telegram settings cannot work; the message names the one to fix."""


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, checked: a webhook without it would authenticate nothing."""
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not secret:
        raise TelegramConfigError(
            "TELEGRAM_TOKEN is set but TELEGRAM_WEBHOOK_SECRET is not: without a secret anyone "
            f"could post fake updates to {WEBHOOK_PATH}. Set it (1-256 characters of "
            "A-Z a-z 0-9 _ -), or use `safemig telegram-poll`.")
    if not _SECRET.match(secret):
        raise TelegramConfigError(
            "TELEGRAM_WEBHOOK_SECRET may only hold 1-256 characters of A-Z a-z 0-9 _ - "
            "(Telegram refuses any other secret_token).")
    return secret


def webhook_url(settings: Settings) -> str | None:
    """Where Telegram should post updates, or None when PUBLIC_URL is not set."""
    base = settings.public_url.strip().rstrip("/")
    return f"{base}{WEBHOOK_PATH}" if base else None


def quiet_library_logs() -> None:
    """Keep request URLs (they carry the token) and request parameters (texts) out of logs."""
    root = logging.getLogger().getEffectiveLevel()
    for name, floor in (("httpx", logging.WARNING), ("httpcore", logging.WARNING),
                        ("telegram", logging.INFO),
                        # With max_retries=0 it logs every 429 as an error with a traceback;
                        # the outbox handles a 429 and logs it (outbox_send_failed, throttled).
                        ("telegram.ext.AIORateLimiter", logging.CRITICAL)):
        logging.getLogger(name).setLevel(max(floor, root))


def build_application(settings: Settings, *, timeout: float | None = None) -> TelegramApp:
    """The library's Application for TELEGRAM_TOKEN, talking to TELEGRAM_API_URL."""
    token = settings.telegram_token.get_secret_value()
    if not token:
        raise TelegramConfigError("TELEGRAM_TOKEN is not set.")
    quiet_library_logs()
    # Opt in to PTB 23's time periods as timedelta now: otherwise every 429 (RetryAfter)
    # emits a PTBDeprecationWarning (telegram/_utils/datetime.py, get_timedelta_value).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    # The library appends the token and the method: <base>/bot<TOKEN>/<method>.
    base = (settings.telegram_api_url.strip() or DEFAULT_API_URL).rstrip("/").removesuffix("/bot")
    builder = (
        Application.builder().token(token).updater(None)
        .base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
        # Flood limits overall, ~30 messages/s (https://core.telegram.org/bots/faq, "My bot is
        # hitting limits"). max_retries=0: on a 429 the limiter would sleep and hold every
        # request; the outbox reschedules that one reply instead (CHANNELS.md §1.5).
        .rate_limiter(AIORateLimiter(overall_max_rate=settings.telegram_max_rate,
                                     overall_time_period=1, max_retries=0))
    )
    if timeout is not None:
        builder = (builder.connect_timeout(timeout).read_timeout(timeout)
                   .write_timeout(timeout).pool_timeout(timeout))
    application: TelegramApp = builder.build()
    return application


class TelegramChannel:
    """One bot: handles its updates through the core and delivers the core's replies."""

    def __init__(self, application: TelegramApp, service: Service,
                 secret: str | None = None) -> None:
        self.application = application
        self.service = service
        self.secret = secret
        self.sender = TelegramSender(application.bot)
        self._retry: asyncio.Task[None] | None = None

    @property
    def bot(self) -> Bot:
        """The library's bot (used to read updates and to call the API)."""
        bot: Bot = self.application.bot
        return bot

    async def process(self, update: Update) -> None:
        """Handle one update; raises ServiceUnavailable when Telegram should deliver it again."""
        action = to_action(update, self.service.keyring)
        log.debug("telegram_update", extra={"update_id": update.update_id,
                                            "action": type(action).__name__})
        try:
            if isinstance(action, Handle):
                await self.service.dialogue.handle(action.incoming)
            elif isinstance(action, SetBlocked):
                await self._set_blocked(action)
            else:
                log.debug("telegram_update_ignored", extra={"update_id": update.update_id,
                                                            "reason": action.reason})
        finally:
            # The client shows a spinner on the button until the query is answered, so it is
            # answered whatever happened (https://core.telegram.org/bots/api#answercallbackquery).
            if isinstance(action, Handle | Ignore) and action.callback_query_id:
                await self._answer(action.callback_query_id)

    async def _set_blocked(self, action: SetBlocked) -> None:
        try:
            await self.service.dialogue.set_blocked(CHANNEL, action.user_key, action.blocked)
        except TRANSIENT as exc:
            raise ServiceUnavailable from exc

    async def _answer(self, query_id: str) -> None:
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as exc:  # too old, or Telegram down: the press was still handled
            log.warning("telegram_callback_answer_failed", extra={"error": type(exc).__name__})

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self, webhook: str | None = None) -> None:
        """Check the token (getMe) and register the webhook.

        A configuration error raises TelegramConfigError; Telegram being unreachable
        does not stop the rest of the service: the start is retried in the background.
        """
        try:
            await self._connect(webhook)
        except TelegramError as exc:
            log.error("telegram_start_failed", extra={"error": type(exc).__name__})
            self._retry = asyncio.create_task(self._keep_trying(webhook), name="telegram-start")

    async def stop(self) -> None:
        """Close the library's connections (the webhook stays set: updates wait at Telegram)."""
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
        await self.application.shutdown()
        await self.bot.shutdown()  # after a failed start the application holds none of it

    async def delete_webhook(self) -> None:
        """Stop webhook delivery so that getUpdates works (long polling)."""
        await self.bot.delete_webhook(drop_pending_updates=False)

    async def _connect(self, webhook: str | None) -> None:
        rejected = False
        try:
            await self.application.initialize()
        except InvalidToken:
            rejected = True
        if rejected:
            # Raised outside the except block: the library's message quotes the token.
            raise TelegramConfigError("TELEGRAM_TOKEN was rejected by the Bot API (getMe).")
        if webhook is None:
            return
        try:
            await self.bot.set_webhook(url=webhook, secret_token=self.secret,
                                       allowed_updates=list(ALLOWED_UPDATES))
        except BadRequest as exc:
            raise TelegramConfigError(
                f"Telegram refused the webhook URL {webhook} (from PUBLIC_URL): {exc.message}"
            ) from None
        log.info("telegram_webhook_set", extra={"url": webhook})

    async def _keep_trying(self, webhook: str | None) -> None:
        pause, longest = _RETRY_START
        while True:
            await asyncio.sleep(pause)
            try:
                await self._connect(webhook)
            except TelegramError as exc:
                log.warning("telegram_start_retry_failed", extra={"error": type(exc).__name__})
                pause = min(longest, pause * 2)
            except TelegramConfigError:
                log.exception("telegram_config_error")
                return
            else:
                log.info("telegram_started")
                return
