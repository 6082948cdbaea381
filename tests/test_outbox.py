"""The durable outbox: what must happen when delivery fails, on both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from bot.core.messages import Incoming, Kind, Outgoing
from bot.outbox import PermanentSendError, RecipientBlocked, SendError, Throttled
from bot.service import Service
from bot.settings import Settings
from bot.storage import Conversation, OutboxItem
from bot.storage.models import utcnow
from tests.conftest import Chat, RecordingSender


async def rows(service: Service) -> list[OutboxItem]:
    async with service.db.sessions() as session:
        return list(await session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


async def make_due(service: Service) -> None:
    """Skip the backoff wait, as if the time had passed."""
    async with service.db.transaction() as session:
        await session.execute(update(OutboxItem).values(next_attempt_at=utcnow()))


async def test_a_crash_after_the_decision_loses_nothing_and_sends_once(
        chat: Chat, service: Service, settings) -> None:
    await service.dialogue.handle(chat.incoming(text="/start"))
    # The process dies here: decided and committed, never sent. A new process starts.
    restarted = Service.build(settings, {"test": RecordingSender()}, with_nlu=False)
    try:
        sent_by_new = await restarted.outbox.drain()
        assert sent_by_new == 1
        assert await restarted.outbox.drain() == 0  # nothing is sent twice
        new_sender = restarted.senders["test"]
        assert isinstance(new_sender, RecordingSender) and len(new_sender.sent) == 1
    finally:
        await restarted.db.dispose()


async def test_a_lease_left_by_a_dead_worker_expires(chat: Chat, service: Service,
                                                     sender: RecordingSender) -> None:
    await service.dialogue.handle(chat.incoming(text="/start"))
    async with service.db.transaction() as session:  # a worker claimed it and died mid-send
        await session.execute(update(OutboxItem).values(lease_until=utcnow() + timedelta(hours=1)))
    assert await service.outbox.drain() == 0
    async with service.db.transaction() as session:
        expired = utcnow() - timedelta(seconds=1)
        await session.execute(update(OutboxItem).values(lease_until=expired))
    assert await service.outbox.drain() == 1
    assert len(sender.pop()) == 1


async def test_throttled_waits_as_long_as_asked(chat: Chat, service: Service,
                                                sender: RecordingSender) -> None:
    sender.fail_with = [Throttled(retry_after=7)]
    await service.dialogue.handle(chat.incoming(text="/start"))
    assert await service.outbox.drain() == 0
    [item] = await rows(service)
    assert item.status == "pending" and item.attempts == 1 and item.last_error == "throttled"
    wait = (item.next_attempt_at - utcnow()).total_seconds()
    assert 5 < wait <= 7
    await make_due(service)
    assert await service.outbox.drain() == 1
    assert (await rows(service))[0].status == "sent"


async def test_a_failing_api_is_retried_with_growing_waits(chat: Chat, service: Service,
                                                          sender: RecordingSender) -> None:
    sender.fail_with = [SendError("500"), SendError("500"), SendError("500")]
    await service.dialogue.handle(chat.incoming(text="/start"))
    waits = []
    for _ in range(3):
        assert await service.outbox.drain() == 0
        [item] = await rows(service)
        waits.append((item.next_attempt_at - utcnow()).total_seconds())
        await make_due(service)
    assert waits[0] < waits[2]
    assert await service.outbox.drain() == 1
    assert len(sender.pop()) == 1


async def test_replies_of_one_chat_keep_their_order_through_failures(
        chat: Chat, service: Service, sender: RecordingSender) -> None:
    await service.dialogue.handle(chat.incoming(text="/start"))
    await service.outbox.drain()
    sender.pop()
    from bot.core.messages import Kind

    await service.dialogue.handle(chat.incoming(kind=Kind.BUTTON, button="lang:en"))  # 2 replies
    sender.fail_with = [SendError("down")]
    assert await service.outbox.drain() == 0  # the first failed: the second must wait for it
    assert sender.sent == []
    await make_due(service)
    await service.outbox.drain()
    texts = [m.text for m in sender.pop()]
    assert texts[0].startswith("Welcome") and "What would you like" in texts[1]


async def test_a_blocked_user_is_marked_and_not_sent_to(chat: Chat, service: Service,
                                                       sender: RecordingSender) -> None:
    sender.fail_with = [RecipientBlocked("blocked by the user")]
    await service.dialogue.handle(chat.incoming(text="/start"))
    await service.outbox.drain()
    async with service.db.sessions() as session:
        conv = await session.scalar(select(Conversation))
    assert conv is not None and conv.blocked
    assert [r.status for r in await rows(service)] == ["dead"]
    # Writing again unblocks: the user is clearly back.
    await chat.say("/start")
    async with service.db.sessions() as session:
        conv = await session.scalar(select(Conversation))
    assert conv is not None and not conv.blocked


async def test_a_permanent_error_is_not_retried(chat: Chat, service: Service,
                                                sender: RecordingSender) -> None:
    sender.fail_with = [PermanentSendError("bad request")]
    await service.dialogue.handle(chat.incoming(text="/start"))
    await service.outbox.drain()
    await make_due(service)
    assert await service.outbox.drain() == 0
    [item] = await rows(service)
    assert item.status == "dead" and item.attempts == 1


class SlowForOne:
    """A channel that takes its time for one address and answers the others at once."""

    channel = "test"

    def __init__(self, slow_address: str) -> None:
        self.slow_address = slow_address
        self.sent: list[tuple[str, str]] = []
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.arrived = asyncio.Condition()

    async def send(self, address: str, message: Outgoing) -> None:
        if address == self.slow_address:
            self.started.set()
            await self.release.wait()
        async with self.arrived:
            self.sent.append((address, message.text))
            self.arrived.notify_all()

    async def until(self, address: str, count: int) -> None:
        async with asyncio.timeout(10), self.arrived:
            await self.arrived.wait_for(
                lambda: sum(a == address for a, _ in self.sent) >= count)


async def test_a_slow_chat_does_not_hold_up_the_others_and_keeps_its_order(
        settings: Settings) -> None:
    sender = SlowForOne("addr-slow")
    service = Service.build(settings, {"test": sender}, with_nlu=False)
    slow = Chat(service, sender, "slow")  # type: ignore[arg-type]
    quick = Chat(service, sender, "quick")  # type: ignore[arg-type]
    stop = asyncio.Event()
    worker = asyncio.create_task(service.outbox.run(stop))
    try:
        await service.dialogue.handle(slow.incoming(text="/start"))
        await service.dialogue.handle(slow.incoming(text="/help"))
        async with asyncio.timeout(10):
            await sender.started.wait()
        # A reply decided while the slow chat's first reply is still on its way goes out
        # at once: the worker does not wait for the slow delivery to end.
        await service.dialogue.handle(quick.incoming(text="/start"))
        await sender.until("addr-quick", 1)
        assert [a for a, _ in sender.sent] == ["addr-quick"]
        sender.release.set()
        await sender.until("addr-slow", 2)
        first, second = (t for a, t in sender.sent if a == "addr-slow")
        assert "Choose your language" in first and "/help" in second, "in the order decided"
    finally:
        stop.set()
        sender.release.set()
        await worker
        await service.db.dispose()


class _Page:
    """An open web-chat page: what the WebSender pushes to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, object]] = []

    async def send_json(self, data: object, mode: str = "text") -> None:
        assert isinstance(data, dict)
        self.received.append(data)


async def test_with_two_processes_only_the_one_holding_the_web_page_takes_its_replies(
        settings: Settings) -> None:
    # Two processes of one deployment, one database. The user's page is open on A.
    # B must not claim the reply, find no page and put it back for the 30 s offline
    # retry: that made web replies wait whenever B's worker was quicker than A's.
    from prometheus_client import REGISTRY

    from bot.channels.web.sender import WebSender

    def deferred_web() -> float:
        found = REGISTRY.get_sample_value("safemig_outbox_offline_deferrals_total",
                                          {"channel": "web"})
        return found or 0.0

    here, there = WebSender(), WebSender()
    a = Service.build(settings, {"web": here}, with_nlu=False)
    b = Service.build(settings, {"web": there}, with_nlu=False)
    try:
        session = "s" * 32
        user_key = a.keyring.user_key("web", session)
        page = _Page()
        here.connect(session, page, user_key)
        deferred = deferred_web()
        await a.dialogue.handle(Incoming(channel="web", user_key=user_key, address=session,
                                         text="/start"))

        assert await b.outbox.drain() == 0  # not B's user: not even claimed
        assert deferred_web() == deferred
        [item] = await rows(a)
        assert (item.status, item.lease_until) == ("pending", None)

        assert await a.outbox.drain() == 1
        assert [m["type"] for m in page.received] == ["message"]

        # The page closes: nobody holds it, nobody claims; it opens again on B.
        here.disconnect(session, page)
        await a.dialogue.handle(Incoming(channel="web", user_key=user_key, address=session,
                                         kind=Kind.BUTTON, button="lang:en"))
        assert await a.outbox.drain() == 0 and await b.outbox.drain() == 0
        again = _Page()
        there.connect(session, again, user_key)
        assert await b.outbox.drain() == 2  # the answer and the menu, in order
        assert len(again.received) == 2 and page.received[1:] == []
        assert deferred_web() == deferred
    finally:
        await a.db.dispose()
        await b.db.dispose()
