"""``safemig telegram-poll``: getUpdates long polling, for a machine with no public URL.

Telegram keeps updates until a later getUpdates asks for a higher offset
(https://core.telegram.org/bots/api#getupdates), so the offset needs no storage:
after a restart the last batch may come again, and the core drops what it has
seen (external_id = update_id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable
from typing import TypeVar

from telegram.error import Conflict, InvalidToken, TelegramError

from bot.channels.telegram.channel import (
    ALLOWED_UPDATES,
    TelegramApp,
    TelegramChannel,
    TelegramConfigError,
    build_application,
)
from bot.core.dialogue import ServiceUnavailable
from bot.service import Service
from bot.settings import Settings

log = logging.getLogger(__name__)

POLL_TIMEOUT = 30  # seconds Telegram holds one getUpdates open when there is nothing new
_PAUSE = (1.0, 30.0)  # first and longest pause after a failure, seconds
T = TypeVar("T")


def main(settings: Settings) -> int:
    """Poll until Ctrl-C or SIGTERM; 0 after a clean stop, 1 on a configuration error."""
    try:
        return asyncio.run(_main(settings))
    except TelegramConfigError as exc:
        print(f"safemig: {exc}", file=sys.stderr)
        return 1


async def _main(settings: Settings) -> int:
    application = build_application(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)  # Ctrl-C: finish the update in hand, then stop
    service = Service.build(settings, {})
    try:
        await service.db.upgrade()
        await run_polling(service, application, stop)
    finally:
        await service.db.dispose()
    log.info("telegram_poll_stopped")
    return 0


async def run_polling(service: Service, application: TelegramApp, stop: asyncio.Event, *,
                      hold: int = POLL_TIMEOUT) -> None:
    """Answer updates until ``stop`` is set, with the outbox worker in the same process."""
    channel = TelegramChannel(application, service)
    service.add_sender(channel.sender)
    await channel.start()
    worker = asyncio.create_task(service.outbox.run(stop), name="outbox")
    try:
        offset = await _poll(channel, stop, hold)
        if offset is not None:
            # Confirm the last batch so a restart does not fetch it again (PTB's Updater does
            # the same): a getUpdates with a higher offset is the confirmation.
            with contextlib.suppress(TelegramError):
                await channel.bot.get_updates(offset=offset, timeout=0, limit=1)
    finally:
        stop.set()
        await worker
        await channel.stop()


async def _poll(channel: TelegramChannel, stop: asyncio.Event, hold: int) -> int | None:
    offset: int | None = None
    pause = _PAUSE[0]
    webhook_deleted = False
    while not stop.is_set():
        try:
            if not webhook_deleted:  # getUpdates answers 409 while a webhook is set
                await channel.delete_webhook()
                webhook_deleted = True
                log.info("telegram_polling", extra={"hold": hold})
            updates = await _unless_stopped(channel.bot.get_updates(
                offset=offset, timeout=hold, allowed_updates=list(ALLOWED_UPDATES)), stop)
        except InvalidToken:
            raise TelegramConfigError("TELEGRAM_TOKEN was rejected by the Bot API.") from None
        except TelegramError as exc:
            level = logging.ERROR if isinstance(exc, Conflict) else logging.WARNING
            log.log(level, "telegram_poll_failed", extra={"error": type(exc).__name__})
            await _unless_stopped(asyncio.sleep(pause), stop)
            pause = min(_PAUSE[1], pause * 2)
            continue
        if updates is None:
            break
        pause = _PAUSE[0]
        for update in updates:
            try:
                await channel.process(update)
            except ServiceUnavailable:
                # Not confirmed: Telegram hands this update (and the rest) out again.
                log.warning("telegram_update_deferred", extra={"update_id": update.update_id})
                await _unless_stopped(asyncio.sleep(pause), stop)
                break
            offset = update.update_id + 1
    return offset


async def _unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> T | None:
    """The result of ``work``, or None as soon as ``stop`` is set (the work is cancelled)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, TelegramError):
        await task
    return None
