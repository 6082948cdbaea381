"""Delivers one core reply as Telegram messages, and maps Bot API errors to the outbox's.

Bot API errors (https://core.telegram.org/bots/api#making-requests: the HTTP
status is the ``error_code``), as python-telegram-bot 22 raises them
(``telegram/request/_baserequest.py``), and what the outbox does with them:

| HTTP     | description (examples)                          | PTB          | here               |
| -------- | ----------------------------------------------- | ------------ | ------------------ |
| 429      | Too Many Requests: retry after N (parameters)   | RetryAfter   | Throttled(N)       |
| 403      | Forbidden: bot was blocked by the user, user is | Forbidden    | RecipientBlocked   |
|          | deactivated, bot can't initiate conversation    |              |                    |
| 400      | Bad Request: chat not found                     | BadRequest   | RecipientBlocked   |
| 400      | Bad Request: message is too long, can't parse   | BadRequest   | PermanentSendError |
|          | entities, BUTTON_DATA_INVALID, ...              |              |                    |
| 400      | parameters.migrate_to_chat_id (groups only)     | ChatMigrated | PermanentSendError |
| 401, 404 | Unauthorized, Not Found (token revoked, typo)   | InvalidToken | TokenRejected      |
| 409      | Conflict                                        | Conflict     | SendError (retry)  |
| 5xx      | Internal Server Error, Bad Gateway              | NetworkError | SendError (retry)  |
| none     | timeout, connection refused or reset            | TimedOut,... | SendError (retry)  |

TokenRejected is a SendError too: retried with backoff, and logged as an error.
"""

from __future__ import annotations

import logging
import warnings
from collections import OrderedDict
from datetime import timedelta

from aiolimiter import AsyncLimiter
from telegram import Bot, LinkPreviewOptions
from telegram.constants import MessageLimit, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.channels.parts import PartProgress
from bot.channels.telegram.handler import CHANNEL
from bot.channels.telegram.keyboard import inline_keyboard
from bot.core.messages import Outgoing
from bot.outbox import PermanentSendError, RecipientBlocked, SendError, Throttled
from bot.render import split_message, to_telegram_html

log = logging.getLogger(__name__)

TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4,096 characters after entity parsing
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class TokenRejected(SendError):
    """The Bot API refused the token: a configuration error, not a problem of this reply.

    Retried with the outbox's backoff (not dropped), so replies decided during the
    incident are delivered once an operator fixes TELEGRAM_TOKEN and restarts.
    """

    code = "config"


def send_error(exc: TelegramError) -> SendError:
    """The outbox's error for a Bot API failure (see the table above)."""
    name = type(exc).__name__
    if isinstance(exc, RetryAfter):
        return Throttled(_retry_after(exc))
    if isinstance(exc, Forbidden):
        return RecipientBlocked(name)
    if isinstance(exc, BadRequest):
        # "chat not found" for a private chat we answered before: the account is gone or
        # never talked to this bot. Nothing reaches it until the user writes again, which
        # clears the blocked mark (Dialogue), so it is handled like a block.
        if "chat not found" in exc.message.lower():
            return RecipientBlocked(name)
        return PermanentSendError(name)  # the same request fails the same way again
    if isinstance(exc, ChatMigrated):
        return PermanentSendError(name)
    if isinstance(exc, InvalidToken):
        return TokenRejected(name)
    return SendError(name)  # TimedOut, NetworkError (5xx, connection), Conflict, unknown


def _retry_after(exc: RetryAfter) -> float:
    # A timedelta with PTB_TIMEDELTA (set by build_application), else seconds with a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def message_parts(text: str) -> list[str]:
    """The Markdown source cut into parts that each fit one Telegram message.

    The source is split (at paragraphs, then sentences) before rendering, so no
    HTML tag is ever cut. Telegram counts UTF-16 code units of the visible text,
    which the source's length bounds from above (markup only adds characters).
    """
    return _parts(text.strip(), TEXT_LIMIT)


def _parts(source: str, limit: int) -> list[str]:
    out: list[str] = []
    for part in split_message(source, limit):
        if len(part.encode("utf-16-le")) // 2 <= TEXT_LIMIT:
            out.append(part)
        else:  # astral characters (emoji) count twice: cut this part finer
            out.extend(_parts(part, max(1, limit * 3 // 4)))
    return out


class ChatPacer:
    """Keeps each chat under Telegram's per-chat flood limit.

    About one message a second per chat, with short bursts tolerated (Bot FAQ,
    "My bot is hitting limits"): a burst of three, then one a second. The
    library's AIORateLimiter covers the overall limit but not private chats.
    """

    def __init__(self, burst: int = 3, period: float = 3.0, chats: int = 4096) -> None:
        self.burst, self.period, self.chats = burst, period, chats
        self._limiters: OrderedDict[int, AsyncLimiter] = OrderedDict()

    def __call__(self, chat_id: int) -> AsyncLimiter:
        """The limiter of one chat (the least recently used are forgotten)."""
        limiter = self._limiters.get(chat_id)
        if limiter is None:
            limiter = self._limiters[chat_id] = AsyncLimiter(self.burst, self.period)
        self._limiters.move_to_end(chat_id)
        while len(self._limiters) > self.chats:
            self._limiters.popitem(last=False)
        return limiter


class TelegramSender:
    """Sends replies with ``sendMessage`` in HTML mode; buttons go on the last part."""

    channel = CHANNEL

    def __init__(self, bot: Bot, pacer: ChatPacer | None = None) -> None:
        self.bot = bot
        self.pacer = pacer or ChatPacer()
        self._progress = PartProgress()

    async def send(self, address: str, message: Outgoing) -> None:
        """Deliver one reply or raise the outbox's SendError for it."""
        try:
            chat_id = int(address)
        except ValueError:
            raise PermanentSendError("not a Telegram chat id") from None
        parts = message_parts(message.text) or ["…"]  # Telegram refuses empty text
        markup = inline_keyboard(message.buttons)
        key = PartProgress.key(address, message)
        # A retry after a failure mid-way resumes where it stopped (in this process).
        for index in range(self._progress.start(key), len(parts)):
            last = index == len(parts) - 1
            try:
                async with self.pacer(chat_id):
                    await self.bot.send_message(
                        chat_id=chat_id, text=to_telegram_html(parts[index]),
                        parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
                        reply_markup=markup if last else None,
                    )
            except TelegramError as exc:
                error = send_error(exc)
                if isinstance(error, TokenRejected):
                    log.error("telegram_token_rejected", extra={"error": type(exc).__name__})
                raise error from exc
            if not last:
                self._progress.delivered(key, index + 1)
        self._progress.done(key)
