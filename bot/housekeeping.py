"""Chores the service runs by itself while it serves.

Every pass (30 s): remind users whose chat nobody claimed in time. Every
hour: purge conversations older than ``RETENTION_DAYS``, and forget old
delivery ids, expired console sessions and old failed logins. Any worker may
run them; the database keeps them from clashing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

from sqlalchemy import delete

from bot.service import Service
from bot.storage import LoginFailure, OperatorSession
from bot.storage.maintenance import purge_expired, purge_processed_updates
from bot.storage.models import utcnow

log = logging.getLogger(__name__)

PASS = 30.0
HOURLY = 3600.0


async def housekeeping(service: Service, stop: asyncio.Event, every: float = PASS) -> None:
    """Run the chores until ``stop`` is set; an outage skips a pass, never ends the loop."""
    last_hourly = float("-inf")
    while not stop.is_set():
        try:
            await remind_unclaimed(service)
            if time.monotonic() - last_hourly >= HOURLY:
                await hourly(service)
                last_hourly = time.monotonic()
        except Exception as exc:
            log.warning("housekeeping_failed", extra={"error": type(exc).__name__})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


async def remind_unclaimed(service: Service) -> int:
    """Send the "all operators are busy" notice where it is due; returns how many."""
    after = timedelta(minutes=service.settings.claim_minutes)
    async with service.db.transaction() as session:
        events = await service.handoffs.remind_unclaimed(session, after)
    if events:
        service.outbox.wake()
        await service.events.publish(events)
    return len(events)


async def hourly(service: Service) -> None:
    """Forget what is no longer needed."""
    purged = await purge_processed_updates(service.db)
    await purge_expired(service.db, service.settings.retention_days)
    now = utcnow()
    async with service.db.transaction() as session:
        await session.execute(delete(OperatorSession).where(OperatorSession.expires_at < now))
        await session.execute(delete(LoginFailure).where(
            LoginFailure.at < now - timedelta(days=1)))
    log.info("housekeeping_done", extra={"processed_updates_purged": purged})
