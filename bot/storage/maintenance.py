"""Purges: delivery ids after the retry window, conversations after the retention period."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import Database
from bot.storage.models import (
    Conversation,
    DailyCount,
    Handoff,
    HandoffNote,
    Message,
    OfferCheck,
    ProcessedUpdate,
    utcnow,
)

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


@dataclass(frozen=True, slots=True)
class Purged:
    """What one retention purge removed."""

    conversations: int
    messages: int


async def purge_expired(db: Database, retention_days: int, *, now: datetime | None = None,
                        batch: int = 500) -> Purged:
    """Delete what is older than the retention period, keeping only anonymous daily counts.

    Messages older than the cutoff go even from conversations still in use; a
    conversation idle since the cutoff goes whole, with its outbox and unconfirmed
    offer checks. Handoffs stay as rows with no text (for the reason, outcome and
    wait statistics): their notes go and their pseudonym is blanked.
    """
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    messages = conversations = 0
    while True:  # small batches: a long first purge must not hold locks for minutes
        async with db.transaction() as session:
            rows = (await session.execute(
                select(Message.id, Message.created_at, Message.sender, Conversation.channel)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Message.created_at < cutoff).limit(batch))).all()
            if not rows:
                break
            await _count(session, Counter((r.created_at.date().isoformat(), r.channel,
                                           f"messages_{r.sender}") for r in rows))
            await session.execute(delete(Message).where(Message.id.in_([r.id for r in rows])))
            messages += len(rows)
    while True:
        async with db.transaction() as session:
            idle = (await session.execute(
                select(Conversation.id, Conversation.created_at, Conversation.channel)
                .where(Conversation.updated_at < cutoff).limit(batch))).all()
            if not idle:
                break
            ids = [c.id for c in idle]
            await _count(session, Counter((c.created_at.date().isoformat(), c.channel,
                                           "conversations") for c in idle))
            await _forget_handoffs(session, Handoff.conversation_id.in_(ids))
            await session.execute(delete(OfferCheck).where(
                OfferCheck.conversation_id.in_(ids), ~OfferCheck.confirmed_scam))
            await session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
            conversations += len(ids)
    async with db.transaction() as session:
        await _forget_handoffs(session, Handoff.opened_at < cutoff)
    if messages or conversations:
        log.info("retention_purge", extra={"messages": messages, "conversations": conversations,
                                           "retention_days": retention_days})
    return Purged(conversations, messages)


async def _forget_handoffs(session: AsyncSession, which: ColumnElement[bool]) -> None:
    ids = select(Handoff.id).where(which)
    await session.execute(delete(HandoffNote).where(HandoffNote.handoff_id.in_(ids)))
    await session.execute(update(Handoff).where(which, Handoff.status != "closed").values(
        status="closed", outcome="expired", closed_at=utcnow()))
    await session.execute(update(Handoff).where(which).values(pseudonym=""))


async def _count(session: AsyncSession, counts: Counter[tuple[str, str, str]]) -> None:
    for (day, channel, metric), n in counts.items():
        row = await session.scalar(select(DailyCount).where(
            DailyCount.day == day, DailyCount.channel == channel, DailyCount.metric == metric))
        if row is None:
            session.add(DailyCount(day=day, channel=channel, metric=metric, count=n))
            await session.flush()
        else:
            row.count += n
