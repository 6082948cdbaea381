"""The welcome message travels in the webhook's answer and never again through the outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.channels.viber.welcome import last_outbox_id, take_out_of_outbox
from bot.core.messages import Incoming, Outgoing
from bot.storage import OutboxItem
from bot.storage.models import utcnow
from tests.channels.viber.conftest import Viber, viber_id

pytestmark = pytest.mark.asyncio(loop_scope="module")  # the ``viber`` app is per module


async def test_no_welcome_is_sent_twice_while_the_outbox_worker_runs(viber: Viber) -> None:
    sent_before = len(viber.fake.sent())
    stop = asyncio.Event()
    worker = asyncio.create_task(viber.service.outbox.run(stop))
    try:
        users = [viber_id(f"racer {i}") for i in range(5)]
        # New users and a returning one (two replies in one welcome), all at once.
        await viber.post("callback_message_text_keyboard_reply", user=users[0])
        await viber.fake.arrived(sent_before + 2)
        answers = await asyncio.gather(*(
            viber.post(name, user=user) for user in users for name in (
                "callback_conversation_started", "callback_conversation_started_subscribed")))
        assert all(a.status_code == 200 and a.json()["type"] == "text" for a in answers)
        await asyncio.sleep(1.2)  # longer than the worker's poll interval
    finally:
        stop.set()
        await worker
    assert len(viber.fake.sent()) == sent_before + 2  # only the replies to the language button
    for user in users:
        assert {item.status for item in await viber.outbox(user)} == {"sent"}


async def test_a_welcome_claimed_by_a_worker_first_is_dropped_by_the_sender(
        viber: Viber) -> None:
    sender, reply, user = viber.sender, Outgoing("Bună ziua! Alegeți limba:"), viber_id("held")
    sent_before = len(viber.fake.sent())
    async with sender.inline.hold(user) as held:
        send = asyncio.create_task(sender.send(user, reply))
        await asyncio.sleep(0.1)
        assert not send.done()  # the worker's send waits until the welcome is decided
        held.replies = [reply]
    await send
    assert len(viber.fake.sent()) == sent_before
    await sender.send(user, reply)  # the same words later are a new message
    assert len(viber.fake.sent()) == sent_before + 1


async def test_only_the_turns_unclaimed_rows_are_marked_sent(viber: Viber) -> None:
    service, user = viber.service, viber_id("claimed")
    key = viber.user_key(user)
    await viber.post("callback_message_text_keyboard_reply", user=user)  # still queued
    before = await last_outbox_id(service.db, "viber", key)
    result = await service.dialogue.handle(Incoming(channel="viber", user_key=key,
                                                    address=user, text="/start"))
    assert len(result.replies) == 2 and result.conversation_id is not None
    first, second = [i for i in await viber.outbox(user) if i.id > before]
    async with service.db.transaction() as session:  # as a worker's claim would
        await session.execute(update(OutboxItem).where(OutboxItem.id == first.id)
                              .values(lease_until=utcnow() + timedelta(seconds=60)))
    claimed = await take_out_of_outbox(service.db, result.conversation_id, before,
                                       result.replies)
    assert claimed == [result.replies[0]]
    statuses = {i.id: i.status for i in await viber.outbox(user)}
    assert (statuses[first.id], statuses[second.id]) == ("pending", "sent")
    assert list(statuses.values()).count("pending") == 3  # the earlier two are untouched
