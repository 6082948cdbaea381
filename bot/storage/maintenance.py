"""Housekeeping the service runs by itself while it serves."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete

from bot.storage.db import Database
from bot.storage.models import ProcessedUpdate, utcnow

log = logging.getLogger(__name__)

# Telegram stops redelivering after 24 h and Viber after an hour; update ids may
# restart at random after a week of silence, so an old id must not be kept forever.
DEDUPE_WINDOW = timedelta(hours=48)


async def purge_processed_updates(db: Database, older_than: timedelta = DEDUPE_WINDOW) -> int:
    """Forget delivery ids older than the platforms' retry window; returns how many."""
    async with db.transaction() as session:
        result = await session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.created_at < utcnow() - older_than)
        )
    return int(getattr(result, "rowcount", 0) or 0)
