"""The durable outbox: replies are stored with the state change, then delivered here.

Each pass claims the oldest undelivered reply of each conversation (so a
chat's replies arrive in order), leases it so that no other worker takes it,
sends it through the channel's sender and records the outcome. A worker that
dies mid-send leaves a lease that expires; the reply is then sent again.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from bot import metrics
from bot.core.messages import Outgoing
from bot.crypto import Keyring
from bot.storage import Conversation, Database, OutboxItem
from bot.storage.models import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
OUTCOME_RETRY = timedelta(seconds=45)  # shorter than the lease: no other worker resends meanwhile
MAX_ATTEMPTS = 15
MAX_BACKOFF = 600.0
OFFLINE_RETRY = timedelta(seconds=30)


class SendError(Exception):
    """A delivery failed. Subclasses say whether trying again can help.

    SendError (retry with backoff)
    ├── Throttled (retry after the time the platform asked for)
    ├── RecipientOffline (web chat not connected: wait for the user, no attempt counted)
    └── PermanentSendError (never retry)
        └── RecipientBlocked (the user blocked the bot: stop sending to them)
    """

    code = "send_failed"


class Throttled(SendError):
    """The platform asked us to slow down."""

    code = "throttled"

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class RecipientOffline(SendError):
    """The recipient cannot receive now (a web chat with no open page)."""

    code = "offline"


class PermanentSendError(SendError):
    """Trying again will not help (bad request, unknown chat)."""

    code = "permanent"


class RecipientBlocked(PermanentSendError):
    """The user blocked the bot or left the channel."""

    code = "blocked"


class Sender(Protocol):
    """A channel's way to deliver one reply."""

    channel: str

    async def send(self, address: str, message: Outgoing) -> None:
        """Deliver or raise a SendError."""
        ...


@runtime_checkable
class LocalSender(Sender, Protocol):
    """A sender that reaches only the users connected to this process (the web chat).

    Its worker claims only those users' replies: with several processes, the one
    that holds a user's open page delivers, and no other process takes the reply,
    finds nobody connected and puts it back for the offline retry.
    """

    def reachable(self) -> Collection[str]:
        """User keys of the conversations this process can deliver to now."""
        ...


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    conversation_id: int
    channel: str
    payload: dict[str, object]
    address_enc: str
    attempts: int
    created_at_age: float


class OutboxWorker:
    """Delivers due replies for the channels it has senders for."""

    def __init__(self, db: Database, keyring: Keyring, senders: Mapping[str, Sender],
                 *, batch: int = 50, poll_interval: float = 1.0) -> None:
        self.db = db
        self.keyring = keyring
        self.senders = dict(senders)
        self.batch = batch
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Tell the worker that new replies are waiting."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; survives database outages.

        Deliveries overlap: a reply is claimed as soon as it is due (on a wake-up, when a
        delivery ends, or every ``poll_interval``), at most ``batch`` on their way at once,
        instead of waiting for every delivery of a round as ``drain`` does. A chat's
        replies still go one at a time and in order: ``_claim`` takes a reply only when
        no earlier one of its conversation is pending, and one on its way stays pending
        (leased) until its outcome is recorded.
        """
        flying: dict[int, asyncio.Task[bool]] = {}
        stopper = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                # Cleared before the claim: a wake-up that arrives during it claims again.
                self._wake.clear()
                room = self.batch - len(flying)
                if room > 0:
                    try:
                        claimed = await self._claim(room)
                    except Exception as exc:  # keep running through outages
                        log.warning("outbox_pass_failed", extra={"error": type(exc).__name__})
                        claimed = []
                    for item in claimed:
                        if item.id not in flying:  # not if its own delivery outlived the lease
                            flying[item.id] = asyncio.create_task(self._deliver(item))
                waiter = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait({waiter, stopper, *flying.values()},
                                   timeout=self.poll_interval,
                                   return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                _reap(flying)
        except asyncio.CancelledError:
            for task in flying.values():
                task.cancel()
            raise
        finally:
            stopper.cancel()
            # Replies on their way are finished (sent and recorded) before the worker stops.
            await asyncio.gather(*flying.values(), return_exceptions=True)
            _reap(flying)

    async def drain(self) -> int:
        """Send everything due now (one reply per conversation per round); returns the count."""
        total = 0
        while True:
            claimed = await self._claim()
            if not claimed:
                return total
            results = await asyncio.gather(*(self._deliver(item) for item in claimed))
            delivered = sum(results)
            total += delivered
            if not delivered:
                return total

    async def release(self, conversation_id: int) -> None:
        """Make a conversation's waiting replies due now (its user just came online)."""
        async with self.db.transaction() as session:
            await session.execute(
                update(OutboxItem)
                .where(OutboxItem.conversation_id == conversation_id,
                       OutboxItem.status == "pending")
                .values(next_attempt_at=utcnow())
            )
        self.wake()

    def _channels(self) -> list[ColumnElement[bool]]:
        """Which replies this worker may take: every one of a channel it can send on,
        only its own connected users' of a LocalSender's channel."""
        allowed: list[ColumnElement[bool]] = []
        for channel, sender in self.senders.items():
            if isinstance(sender, LocalSender):
                keys = sorted(sender.reachable())
                if keys:
                    allowed.append(and_(OutboxItem.channel == channel,
                                        Conversation.user_key.in_(keys)))
            else:
                allowed.append(OutboxItem.channel == channel)
        return allowed

    async def _claim(self, limit: int | None = None) -> list[_Claimed]:
        channels = self._channels()
        if not channels:
            return []
        now = utcnow()
        earlier = aliased(OutboxItem)
        due = (
            select(OutboxItem, Conversation.address_enc, Conversation.blocked)
            .join(Conversation, Conversation.id == OutboxItem.conversation_id)
            .where(
                OutboxItem.status == "pending",
                or_(*channels),
                OutboxItem.next_attempt_at <= now,
                or_(OutboxItem.lease_until.is_(None), OutboxItem.lease_until < now),
                ~exists().where(and_(earlier.conversation_id == OutboxItem.conversation_id,
                                     earlier.status == "pending", earlier.id < OutboxItem.id)),
            )
            .order_by(OutboxItem.id)
            .limit(limit or self.batch)
        )
        if not self.db.is_sqlite:
            due = due.with_for_update(skip_locked=True, of=OutboxItem)
        claimed: list[_Claimed] = []
        async with self.db.transaction() as session:
            for item, address_enc, blocked in (await session.execute(due)).all():
                if blocked:
                    item.status, item.last_error = "dead", "blocked"
                    continue
                item.lease_until = now + LEASE
                claimed.append(_Claimed(item.id, item.conversation_id, item.channel,
                                        dict(item.payload), address_enc, item.attempts,
                                        (now - item.created_at).total_seconds()))
        return claimed

    async def _deliver(self, item: _Claimed) -> bool:
        sender = self.senders[item.channel]
        values: dict[str, object]
        blocked = False
        try:
            address = self.keyring.decrypt(item.address_enc)
            await sender.send(address, Outgoing.from_json(item.payload))
        except RecipientOffline:
            metrics.OUTBOX_DEFERRED.labels(item.channel).inc()
            values = {"next_attempt_at": utcnow() + OFFLINE_RETRY}
        except SendError as exc:
            metrics.SEND_ERRORS.labels(item.channel, exc.code).inc()
            values = self._failure(item, exc)
            blocked = isinstance(exc, RecipientBlocked)
        except ValueError:
            metrics.SEND_ERRORS.labels(item.channel, "address").inc()
            values = {"status": "dead", "last_error": "address cannot be decrypted"}
        else:
            metrics.MESSAGES_OUT.labels(item.channel).inc()
            metrics.OUTBOX_LAG.labels(item.channel).observe(item.created_at_age)
            values = {"status": "sent", "sent_at": utcnow()}
        values["lease_until"] = None
        # The message may already be with the user: if the database is away now, keep
        # trying to record that while the lease holds, or it would be sent a second time.
        async for attempt in AsyncRetrying(
                retry=retry_if_exception_type(Exception),
                stop=stop_after_delay(OUTCOME_RETRY.total_seconds()),
                wait=wait_exponential(multiplier=0.2, max=5), reraise=True):
            with attempt:
                await self._record(item, values, blocked=blocked)
        return values.get("status") == "sent"

    async def _record(self, item: _Claimed, values: dict[str, object], *,
                      blocked: bool) -> None:
        async with self.db.transaction() as session:
            await session.execute(update(OutboxItem).where(OutboxItem.id == item.id)
                                  .values(**values))
            if blocked:
                await session.execute(update(Conversation)
                                      .where(Conversation.id == item.conversation_id)
                                      .values(blocked=True))

    def _failure(self, item: _Claimed, exc: SendError) -> dict[str, object]:
        attempts = item.attempts + 1
        log.warning("outbox_send_failed", extra={"outbox": item.id, "channel": item.channel,
                                                 "error": exc.code, "attempt": attempts})
        if isinstance(exc, PermanentSendError) or attempts >= MAX_ATTEMPTS:
            return {"status": "dead", "attempts": attempts, "last_error": exc.code}
        if isinstance(exc, Throttled):
            delay = exc.retry_after
        else:
            delay = min(MAX_BACKOFF, 2.0 ** attempts) * (0.5 + random.random() / 2)  # noqa: S311
        return {"attempts": attempts, "last_error": exc.code,
                "next_attempt_at": utcnow() + timedelta(seconds=delay)}


def _reap(flying: dict[int, asyncio.Task[bool]]) -> None:
    """Forget the deliveries that ended; log those that failed outside the sender."""
    for item_id, task in list(flying.items()):
        if not task.done():
            continue
        del flying[item_id]
        if not task.cancelled() and (exc := task.exception()) is not None:
            # Recording the outcome failed (the database is down): the lease expires and
            # the reply is sent again, as after a crash.
            log.warning("outbox_pass_failed", extra={"error": type(exc).__name__})
