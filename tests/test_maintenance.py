"""Housekeeping: delivery ids are forgotten after the platforms' retry window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.service import Service
from bot.storage import ProcessedUpdate
from bot.storage.maintenance import purge_processed_updates
from bot.storage.models import utcnow
from tests.conftest import Chat


async def test_old_delivery_ids_are_purged_and_recent_ones_kept(chat: Chat,
                                                                service: Service) -> None:
    await service.dialogue.handle(chat.incoming(text="/start", external_id="recent"))
    async with service.db.transaction() as session:
        session.add(ProcessedUpdate(channel="test", external_id="old",
                                    created_at=utcnow() - timedelta(days=3)))
    assert await purge_processed_updates(service.db) == 1
    async with service.db.sessions() as session:
        left = list(await session.scalars(select(ProcessedUpdate.external_id)))
    assert left == ["recent"]
    # A retry inside the window is still recognised as a duplicate.
    again = await service.dialogue.handle(chat.incoming(text="/start", external_id="recent"))
    assert again.duplicate
