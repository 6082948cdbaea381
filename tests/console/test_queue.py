"""The user's side of a handoff: place in the queue, waiting, going back, hours, reminders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, update

from bot.console.accounts import add_operator
from bot.handoff.hours import DAYS, OperatorHours
from bot.housekeeping import remind_unclaimed
from bot.service import Service
from bot.storage import Conversation, Handoff, OfferCheck
from bot.storage import Operator as OperatorRow
from bot.storage.models import utcnow
from bot.web import create_app
from tests.conftest import Chat, RecordingSender, make_settings, texts
from tests.console.conftest import (
    PASSWORD,
    delivered,
    handoff_of,
    load_handoff,
    queue_users,
    queued,
    set_handoff,
)

MAIN_MENU = ["topics", "offer", "human", "language", "about"]
ACK = "Thank you. The operator will see your message."


async def handoff_count(service: Service) -> int:
    async with service.db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Handoff)) or 0)


async def past_claims(service: Service, waits: list[int]) -> None:
    """Handoffs claimed earlier today after these many seconds, for the wait estimate."""
    now = utcnow()
    async with service.db.transaction() as session:
        for n, seconds in enumerate(waits):
            opened = now - timedelta(hours=2, minutes=n)
            session.add(Handoff(status="closed", reason="asked", language="en", channel="test",
                                pseudonym="#PAST", opened_at=opened,
                                claimed_at=opened + timedelta(seconds=seconds),
                                closed_at=opened + timedelta(minutes=90), outcome="no_answer",
                                last_activity_at=opened))


async def operators_on_duty(service: Service, count: int) -> None:
    async with service.db.transaction() as session:
        for n in range(count):
            session.add(OperatorRow(username=f"duty{n}", password_hash="-", last_seen_at=utcnow()))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("label", "ahead", "on_duty", "waits", "place", "wait_text"),
    [
        ("First, nothing measured yet", 0, 0, [], "Your place in the queue: 1.",
         "The wait is usually about 5 minutes."),
        ("Second, nobody on duty", 1, 0, [], "Your place in the queue: 2.",
         "The wait is usually about 10 minutes."),
        ("Second, two operators on duty", 1, 2, [], "Your place in the queue: 2.",
         "The wait is usually about 5 minutes."),
        ("First, claims took three minutes lately", 0, 1, [170, 180, 190],
         "Your place in the queue: 1.", "The wait is usually about 3 minutes."),
        ("First, claims took half a minute", 0, 1, [30], "Your place in the queue: 1.",
         "The wait is usually about 1 minute."),
        ("Third, claims took an hour", 2, 1, [3600], "Your place in the queue: 3.",
         "The wait may be longer than an hour."),
    ],
)
async def test_the_user_is_told_the_place_in_the_queue_and_a_realistic_wait(
        service: Service, sender: RecordingSender, label: str, ahead: int, on_duty: int,
        waits: list[int], place: str, wait_text: str) -> None:
    await queue_users(service, sender, ahead, prefix="ahead")
    await operators_on_duty(service, on_duty)
    await past_claims(service, waits)
    user = Chat(service, sender, "me")
    [answer] = await queued(user)
    assert place in answer.text, label
    assert wait_text in answer.text, label
    assert "does not see your name or phone number" in answer.text
    assert answer.button_ids() == ["bot"], "one tap takes the user back to the bot"
    handoff = await handoff_of(service, user)
    assert (handoff.status, handoff.reason, handoff.urgent) == ("waiting", "asked", False)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("how", "reason"),
    [("/human", "asked"), ("/operator", "asked"), ("human", "asked"),
     ("human:high_risk_offer", "high_risk_offer"), ("human:misunderstanding", "misunderstanding"),
     ("human:something_else", "asked")],
)
async def test_each_way_of_asking_opens_a_handoff_with_its_reason(
        service: Service, user: Chat, how: str, reason: str) -> None:
    await user.press("lang:en")
    answer = await (user.say(how) if how.startswith("/") else user.press(how))
    assert "Your place in the queue: 1." in texts(answer)
    assert (await handoff_of(service, user)).reason == reason


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_risk_of_a_checked_offer_comes_with_the_handoff(
        service: Service, user: Chat) -> None:
    await user.press("lang:en")  # the conversation exists from here on
    async with service.db.transaction() as session:
        conversation = await session.scalar(select(Conversation.id).where(
            Conversation.user_key == user.user_key))
        for risk in ("medium", "high", "low"):
            session.add(OfferCheck(conversation_id=conversation, source="text", risk=risk,
                                   score=50, report={}, fingerprint={}))
    await user.say("/human")
    assert (await handoff_of(service, user)).risk == "high", "the highest risk, not the last"


async def test_asking_again_tells_the_place_and_opens_nothing_new(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    first, second = await queue_users(service, sender, 2)
    for ask in (second.say("/human"), second.press("human")):
        answer = await ask
        assert "Your place in the queue: 2." in texts(answer)
        assert await handoff_count(service) == 2
    ana = await operator_factory("ana")
    await ana.post(f"/api/handoffs/{(await handoff_of(service, first)).id}/claim")
    assert "Your place in the queue: 1." in texts(await second.say("/human"))
    await ana.post(f"/api/handoffs/{(await handoff_of(service, second)).id}/claim")
    await delivered(service, sender)
    assert texts(await second.say("/human")) == (
        "An operator from the hotline is with you in this chat.")
    assert await handoff_count(service) == 2


async def test_the_first_message_while_waiting_is_acknowledged_once(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    [user] = await queue_users(service, sender, 1)
    [ack] = await user.say("my employer took my passport")
    assert ack.text == ACK and ack.button_ids() == ["bot"]
    assert await user.say("we are in Poland") == []
    assert await user.say("please help") == []
    hid = (await handoff_of(service, user)).id
    ana = await operator_factory("ana")
    detail = (await ana.post(f"/api/handoffs/{hid}/claim")).json()
    said = [m["text"] for m in detail["messages"] if m["sender"] == "user"]
    assert said[-3:] == ["my employer took my passport", "we are in Poland", "please help"]
    await delivered(service, sender)
    assert await user.say("are you there?") == [], "with an operator the bot keeps quiet"
    await ana.post(f"/api/handoffs/{hid}/close", {"outcome": "information_given"})
    await delivered(service, sender)
    # A new handoff is acknowledged again, once.
    await user.say("/human")
    assert texts(await user.say("again me")) == ACK
    assert await user.say("and again") == []


async def test_going_back_to_the_bot_closes_the_handoff(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    ana = await operator_factory("ana")
    for way, claimed in (("/bot", False), ("bot", False), ("/bot", True), ("bot", True)):
        user = Chat(service, sender, f"leaver-{way}-{claimed}")
        await queued(user)
        hid = (await handoff_of(service, user)).id
        if claimed:
            await ana.post(f"/api/handoffs/{hid}/claim")
            await delivered(service, sender)
        [back] = await (user.say(way) if way.startswith("/") else user.press(way))
        assert "You are talking to the bot again" in back.text, way
        assert back.button_ids() == MAIN_MENU, way
        handoff = await load_handoff(service, hid)
        assert (handoff.status, handoff.outcome) == ("closed", "user_left"), way
        assert handoff.closed_at is not None
        refused = await ana.post(f"/api/handoffs/{hid}/messages", {"text": "hello?"})
        assert refused.status_code == 409, way
        assert "cannot understand free text" in texts(await user.say("hi")), way
    closed = (await ana.get("/api/handoffs?status=closed")).json()
    assert [h["outcome"] for h in closed] == ["user_left"] * 4


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_back_to_the_bot_outside_a_handoff_shows_the_menu(
        service: Service, user: Chat) -> None:
    await user.press("lang:en")
    [menu] = await user.say("/bot")
    assert menu.button_ids() == MAIN_MENU
    assert await handoff_count(service) == 0


# --- hours and reminders ---------------------------------------------------------------------


@pytest.fixture
async def service_with(tmp_path: Path, db_url: str) -> AsyncIterator[Any]:
    """Another service on the same database with some settings changed."""
    built: list[Service] = []

    def make(**extra: Any) -> Service:
        svc = Service.build(make_settings(tmp_path, db_url, **extra),
                            {"test": RecordingSender()}, with_nlu=False)
        built.append(svc)
        return svc

    yield make
    for svc in built:
        await svc.db.dispose()


def another_day() -> str:
    """Operator hours on a weekday that is not today in Moldova."""
    today = datetime.now(ZoneInfo("Europe/Chisinau")).weekday()
    return f"{DAYS[(today + 3) % 7].title()} 08:00-20:00"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_after_hours_the_user_is_told_the_hours_and_the_hotline(
        service_with: Any) -> None:
    hours = another_day()
    closed = service_with(OPERATOR_HOURS=hours)
    sender = closed.senders["test"]
    user = Chat(closed, sender, "night")
    [answer] = await queued(user)
    described = OperatorHours.parse(hours, "Europe/Chisinau").describe("en")
    assert f"Operators answer {described} (Moldova time)" in answer.text
    assert "nobody is on duty" in answer.text
    for number in ("0 800 77777", "+373 22 23 33 09", "112"):
        assert number in answer.text
    assert "Your place in the queue" not in answer.text
    assert answer.button_ids() == ["bot"]
    assert (await handoff_of(closed, user)).after_hours is True
    # Asking again tells the hours again; the message still waits for an operator.
    assert described in texts(await user.say("/human"))
    assert texts(await user.say("I need help with my contract")) == ACK
    assert (await handoff_of(closed, user)).status == "waiting"
    # Nobody is told "all operators are busy" at night.
    await set_handoff(closed, (await handoff_of(closed, user)).id,
                      opened_at=utcnow() - timedelta(hours=5))
    assert await remind_unclaimed(closed) == 0
    assert await delivered(closed, sender) == []
    # The console shows it as an after-hours chat.
    await add_operator(closed.db, "ana", PASSWORD)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(closed)),
                                 base_url="http://testserver") as client:
        await client.post("/api/auth/login", json={"username": "ana", "password": PASSWORD})
        [listed] = (await client.get("/api/handoffs")).json()
    assert listed["after_hours"] is True


async def test_an_unclaimed_chat_gets_one_honest_reminder(service_with: Any) -> None:
    hurried = service_with(HANDOFF_CLAIM_MINUTES=1)
    sender = hurried.senders["test"]
    old, fresh, taken, gone = await queue_users(hurried, sender, 4)
    ids = {u: (await handoff_of(hurried, u)).id for u in (old, fresh, taken, gone)}
    long_ago = utcnow() - timedelta(minutes=3)
    for one in (old, taken, gone):
        await set_handoff(hurried, ids[one], opened_at=long_ago)
    async with hurried.db.transaction() as session:
        ana = OperatorRow(username="ana", password_hash="-")
        session.add(ana)
        await session.flush()
        await hurried.handoffs.claim(session, ids[taken], ana)
    await gone.say("/bot")
    await delivered(hurried, sender)

    assert await remind_unclaimed(hurried) == 1
    [reminder] = await delivered(hurried, sender)
    assert reminder.text.startswith("All operators are busy right now.")
    for number in ("0 800 77777", "+373 22 23 33 09", "112"):
        assert number in reminder.text
    assert reminder.button_ids() == ["bot"]
    assert (await load_handoff(hurried, ids[old])).status == "waiting", "still in the queue"
    assert (await load_handoff(hurried, ids[old])).unclaimed_notice_at is not None
    # Once only.
    assert await remind_unclaimed(hurried) == 0
    assert await delivered(hurried, sender) == []
    # The other one is reminded when its turn comes.
    await set_handoff(hurried, ids[fresh], opened_at=long_ago)
    assert await remind_unclaimed(hurried) == 1
    assert len(await delivered(hurried, sender)) == 1
    async with hurried.db.sessions() as session:
        reminded = set(await session.scalars(select(Handoff.id).where(
            Handoff.unclaimed_notice_at.is_not(None))))
    assert reminded == {ids[old], ids[fresh]}
    async with hurried.db.transaction() as session:
        await session.execute(update(Handoff).values(unclaimed_notice_at=None))
    assert await remind_unclaimed(hurried) == 2, "without the mark, both would be told again"


async def test_the_emergency_button_while_waiting_makes_the_chat_urgent(
        user: Chat, service: Service) -> None:
    await queued(user)
    assert not (await handoff_of(service, user)).urgent
    await user.press("human:emergency")
    handoff = await handoff_of(service, user)
    assert handoff.urgent and handoff.reason == "emergency"
