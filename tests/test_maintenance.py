"""Housekeeping: delivery ids after the platforms' retry window, conversations after
RETENTION_DAYS (only anonymous daily counts stay)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.service import Service
from bot.storage import Conversation, DailyCount, Handoff, HandoffNote, Message, ProcessedUpdate
from bot.storage.maintenance import purge_expired, purge_processed_updates
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


async def _age(service: Service, days: int) -> None:
    """Move every row of the test's conversation ``days`` into the past."""
    past = utcnow() - timedelta(days=days)
    async with service.db.transaction() as session:
        await session.execute(update(Conversation).values(created_at=past, updated_at=past))
        await session.execute(update(Message).values(created_at=past))
        await session.execute(update(Handoff).values(opened_at=past))


async def test_the_retention_purge_deletes_old_conversations_and_keeps_only_counts(
        chat: Chat, service: Service) -> None:
    await chat.press("lang:en")
    await chat.say("/human")  # a handoff, so that its row must lose its link and pseudonym
    async with service.db.transaction() as session:
        [handoff] = (await session.scalars(select(Handoff))).all()
        session.add(HandoffNote(handoff_id=handoff.id, text="lives in Balti, 2 children"))
    await _age(service, days=91)
    purged = await purge_expired(service.db, retention_days=90)
    assert purged.conversations == 1 and purged.messages >= 4
    async with service.db.sessions() as session:
        assert (await session.scalars(select(Message))).all() == []
        assert (await session.scalars(select(Conversation))).all() == []
        assert (await session.scalars(select(HandoffNote))).all() == []
        [kept] = (await session.scalars(select(Handoff))).all()
        counts = {(c.metric, c.channel): c.count
                  for c in (await session.scalars(select(DailyCount))).all()}
    # The handoff stays for the statistics, with nothing that points at a person.
    assert kept.conversation_id is None and kept.pseudonym == "" and kept.status == "closed"
    assert counts[("conversations", "test")] == 1
    assert counts[("messages_user", "test")] == 2 and counts[("messages_bot", "test")] >= 2


async def test_the_purge_keeps_recent_conversations_and_drops_only_old_messages(
        chat: Chat, service: Service) -> None:
    await chat.press("lang:en")  # the button press, the welcome and the menu
    await _age(service, days=100)
    await chat.say("/menu")  # the user came back today: the conversation stays
    purged = await purge_expired(service.db, retention_days=90)
    assert purged.conversations == 0 and purged.messages == 3
    async with service.db.sessions() as session:
        left = (await session.scalars(select(Message.text))).all()
        assert len(left) == 2 and (await session.scalars(select(Conversation))).one()
    # Purging twice counts nothing twice.
    again = await purge_expired(service.db, retention_days=90)
    assert again.messages == 0 and again.conversations == 0
