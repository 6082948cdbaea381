"""Keeping the welcome message out of the outbox.

The welcome reply goes back in the HTTP response to ``conversation_started`` (the only
message Viber allows before the user subscribes), yet the core queued it in the outbox
with the turn. Right after the turn its rows are marked sent; a row that an outbox
worker of this process claimed in between is recognised by the sender and dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy import func, select

from bot.core.messages import Outgoing
from bot.storage import Conversation, Database, OutboxItem
from bot.storage.models import utcnow


@dataclass(eq=False)
class _Held:
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    replies: list[Outgoing] = field(default_factory=list)


class InlineReplies:
    """Replies given in a webhook response, which the sender must not send again."""

    def __init__(self, wait: float = 10.0, keep: float = 120.0) -> None:
        self.wait = wait  # how long a send waits for the webhook to finish its turn
        self.keep = keep  # longer than an outbox lease: a claimed row is sent by then
        self._held: dict[str, list[_Held]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, address: str) -> AsyncIterator[_Held]:
        """Around a welcome turn: sends to this address wait until it is decided."""
        held = _Held()
        self._held.setdefault(address, []).append(held)
        try:
            yield held
        finally:
            held.ready.set()
            if held.replies:
                asyncio.get_running_loop().call_later(self.keep, self._forget, address, held)
            else:
                self._forget(address, held)

    async def absorb(self, address: str, message: Outgoing) -> bool:
        """True when this reply was already given inline (the caller then sends nothing)."""
        for held in list(self._held.get(address, ())):
            if not held.ready.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(held.ready.wait(), self.wait)
            if message in held.replies:
                held.replies.remove(message)
                if not held.replies:
                    self._forget(address, held)
                return True
        return False

    def _forget(self, address: str, held: _Held) -> None:
        entries = self._held.get(address, [])
        if held in entries:
            entries.remove(held)
        if not entries:
            self._held.pop(address, None)


async def last_outbox_id(db: Database, channel: str, user_key: str) -> int:
    """The newest outbox row of a user before a turn (0 when there is none)."""
    async with db.sessions() as session:
        found = await session.scalar(
            select(func.max(OutboxItem.id))
            .join(Conversation, Conversation.id == OutboxItem.conversation_id)
            .where(Conversation.channel == channel, Conversation.user_key == user_key))
    return int(found or 0)


async def take_out_of_outbox(db: Database, conversation_id: int, after_id: int,
                             replies: tuple[Outgoing, ...]) -> list[Outgoing]:
    """Mark a turn's queued replies sent; returns those an outbox worker already holds."""
    now = utcnow()
    wanted = list(replies)
    claimed: list[Outgoing] = []
    query = (select(OutboxItem)
             .where(OutboxItem.conversation_id == conversation_id, OutboxItem.id > after_id,
                    OutboxItem.status == "pending")
             .order_by(OutboxItem.id))
    if not db.is_sqlite:
        # A worker claiming now waits for us, then finds the rows sent.
        query = query.with_for_update()
    async with db.transaction() as session:
        for item in (await session.scalars(query)).all():
            message = Outgoing.from_json(item.payload)
            if message not in wanted:
                continue  # another turn's reply that raced in
            wanted.remove(message)
            if item.lease_until is not None and item.lease_until > now:
                claimed.append(message)
            else:
                item.status, item.sent_at, item.lease_until = "sent", now, None
    return claimed
