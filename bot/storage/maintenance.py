"""Housekeeping the service runs by itself while it serves."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy import delete

from bot.storage.db import Database
from bot.storage.models import ProcessedUpdate, utcnow

log = logging.getLogger(__name__)

# Telegram stops redelivering after 24 h and Viber after an hour; update ids may
# restart at random after a week of silence, so an old id must not be kept forever.
DEDUPE_WINDOW = timedelta(hours=48)
EVERY = timedelta(hours=1)


async def purge_processed_updates(db: Database, older_than: timedelta = DEDUPE_WINDOW) -> int:
    """Forget delivery ids older than the platforms' retry window; returns how many."""
    async with db.transaction() as session:
        result = await session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.created_at < utcnow() - older_than)
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def housekeeping(db: Database, stop: asyncio.Event, every: timedelta = EVERY) -> None:
    """Run the purges now and then every ``every`` until ``stop`` is set."""
    while not stop.is_set():
        try:
            purged = await purge_processed_updates(db)
        except Exception as exc:  # an outage must not end the loop
            log.warning("housekeeping_failed", extra={"error": type(exc).__name__})
        else:
            log.info("housekeeping_done", extra={"processed_updates_purged": purged})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every.total_seconds())
