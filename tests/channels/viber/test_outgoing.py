"""Replies out to Viber: one table of cases against the fake API, then the outbox paths."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import update

from bot.channels.viber.api import ViberApi
from bot.channels.viber.sender import ViberSender
from bot.channels.viber.webhook import set_webhook_when_up
from bot.channels.viber.wire import Profile, message_bodies
from bot.core.messages import Button, Outgoing
from bot.outbox import PermanentSendError, RecipientBlocked, SendError, Throttled
from bot.storage import OutboxItem
from bot.storage.models import utcnow
from tests.channels.viber.conftest import BOT_NAME, TOKEN, USER_ID, Captured, Viber, viber_id
from tests.fakes.viber_api import GARBAGE, HANG, OK, Answer, FakeViberApi, http_error, status

pytestmark = pytest.mark.asyncio(loop_scope="module")  # the ``viber`` app is per module

SENDER = {"name": BOT_NAME}
MENU = ((Button("topics", "Safe migration topics"),),
        (Button("language", "Change language"), Button("about", "About and privacy")))
MENU_KEYBOARD = {
    "Type": "keyboard",
    "DefaultHeight": False,
    "InputFieldState": "regular",
    "Buttons": [
        {"Columns": 6, "Rows": 1, "ActionType": "reply", "ActionBody": "btn:topics",
         "Text": "Safe migration topics", "Silent": True},
        {"Columns": 3, "Rows": 1, "ActionType": "reply", "ActionBody": "btn:language",
         "Text": "Change language", "Silent": True},
        {"Columns": 3, "Rows": 1, "ActionType": "reply", "ActionBody": "btn:about",
         "Text": "About and privacy", "Silent": True},
    ],
}


def text(body: str, **extra: Any) -> dict[str, Any]:
    """The send_message request of one text message to the test user."""
    return {"receiver": USER_ID, "sender": SENDER, "type": "text", "text": body, **extra}


HELLO = Outgoing("Hello **world**.")
HELLO_SENT = text("Hello world.")


@dataclass(frozen=True)
class Out:
    label: str
    message: Outgoing
    answers: tuple[Answer, ...]
    requests: tuple[dict[str, Any], ...]  # what the fake must have received, in order
    error: type[SendError] | None = None  # the exact error type raised
    profile: Profile = field(default_factory=lambda: Profile(BOT_NAME))
    token: str = TOKEN


OUTGOING = [
    Out("Send plain text", HELLO, (OK,), (HELLO_SENT,)),
    Out("Send a link as words and address",
        Outgoing("Read [the guide](https://example.org/guide)."), (OK,),
        (text("Read the guide (https://example.org/guide)."),)),
    Out("Send bullets as plain lines", Outgoing("Signs:\n- no contract\n- pay first"), (OK,),
        (text("Signs:\n• no contract\n• pay first"),)),
    Out("Send text with buttons", Outgoing("Choose:", buttons=MENU), (OK,),
        (text("Choose:", keyboard=MENU_KEYBOARD, min_api_version=4),)),
    Out("Send buttons without text", Outgoing("", buttons=MENU), (OK,),
        ({"receiver": USER_ID, "sender": SENDER, "keyboard": MENU_KEYBOARD,
          "min_api_version": 4},)),
    Out("Send with the bot's avatar", HELLO, (OK,),
        ({**HELLO_SENT, "sender": {"name": BOT_NAME, "avatar": "https://example.org/a.jpg"}},),
        profile=Profile(BOT_NAME, "https://example.org/a.jpg")),
    Out("Send with a bot name over 28 characters", HELLO, (OK,),
        ({**HELLO_SENT, "sender": {"name": "Safe Migration Moldova - Hot"}},),
        profile=Profile("Safe Migration Moldova - Hotline")),
    Out("Receiver not subscribed", HELLO, (status(6),), (HELLO_SENT,), RecipientBlocked),
    Out("Receiver not registered", HELLO, (status(5),), (HELLO_SENT,), RecipientBlocked),
    Out("Bot account blocked", HELLO, (status(7),), (HELLO_SENT,), PermanentSendError),
    Out("Throttled", HELLO, (status(12),), (HELLO_SENT,), Throttled),
    Out("Invalid auth token", HELLO, (status(2),), (HELLO_SENT,), PermanentSendError),
    Out("Send with a wrong token", HELLO, (OK,), (HELLO_SENT,), PermanentSendError,
        token="0000000000000000-0000000000000000-0000000000000000"),
    Out("Bad data", HELLO, (status(3),), (HELLO_SENT,), PermanentSendError),
    Out("Missing data", HELLO, (status(4),), (HELLO_SENT,), PermanentSendError),
    Out("API version not supported", HELLO, (status(13),), (HELLO_SENT,), PermanentSendError),
    Out("Incompatible with version", HELLO, (status(14),), (HELLO_SENT,), PermanentSendError),
    Out("Webhook not set", HELLO, (status(10),), (HELLO_SENT,), SendError),
    Out("No suitable device", HELLO, (status(11),), (HELLO_SENT,), SendError),
    Out("Unknown status", HELLO, (status(99),), (HELLO_SENT,), SendError),
    Out("HTTP 500", HELLO, (http_error(500),), (HELLO_SENT,), SendError),
    Out("HTTP 429", HELLO, (http_error(429),), (HELLO_SENT,), Throttled),
    Out("Garbage answer", HELLO, (GARBAGE,), (HELLO_SENT,), SendError),
    Out("No answer (timeout)", HELLO, (HANG,), (HELLO_SENT,), SendError),
]


@pytest_asyncio.fixture(loop_scope="module")
async def api(fake: FakeViberApi) -> AsyncIterator[ViberApi]:
    """A client of the fake with a short timeout, for the hang case."""
    client = ViberApi(TOKEN, fake.base_url, timeout=0.5)
    yield client
    await client.aclose()


@pytest.mark.parametrize("case", OUTGOING, ids=[c.label for c in OUTGOING])
async def test_outgoing(fake: FakeViberApi, case: Out) -> None:
    api = ViberApi(case.token, fake.base_url, timeout=0.5)
    sender = ViberSender(api, case.profile)
    fake.answer(*case.answers)
    try:
        await sender.send(USER_ID, case.message)
    except SendError as exc:
        assert type(exc) is case.error, case.label
        if isinstance(exc, Throttled):
            assert exc.retry_after == 60
    else:
        assert case.error is None, case.label
    finally:
        await api.aclose()
    assert fake.sent() == list(case.requests)
    for recorded in fake.calls():  # the token travels in the header, the body is JSON
        assert recorded.token == case.token and "auth_token" not in recorded.body
        assert recorded.headers["Content-Type"].startswith("application/json")


async def test_a_long_answer_arrives_in_parts_with_the_keyboard_last(
        fake: FakeViberApi, api: ViberApi) -> None:
    sentence = "Никогда не отдавайте паспорт работодателю, даже на время. "  # Cyrillic: 2 bytes
    answer = Outgoing(sentence * 300, buttons=MENU, language="ru")
    assert len(answer.text) > 2 * 7000
    await ViberSender(api, Profile(BOT_NAME)).send(USER_ID, answer)
    sent = fake.sent()
    assert len(sent) == 3
    assert all(len(b["text"]) <= 7000 and b["text"].endswith(".") for b in sent)
    assert "".join(b["text"] for b in sent).replace(" ", "") == answer.text.replace(" ", "")
    assert [("keyboard" in b) for b in sent] == [False, False, True]
    assert sent[-1]["keyboard"] == MENU_KEYBOARD


async def test_a_retry_resumes_after_the_parts_already_sent(
        fake: FakeViberApi, api: ViberApi) -> None:
    text = " ".join(f"Advice {n}: never hand your passport to an employer." for n in range(400))
    answer = Outgoing(text, buttons=MENU, language="en")
    sender = ViberSender(api, Profile(BOT_NAME))
    fake.answer(OK, http_error(500))  # part 1 delivered, part 2 refused
    with pytest.raises(SendError):
        await sender.send(USER_ID, answer)
    first = [b["text"] for b in fake.sent()]
    await sender.send(USER_ID, answer)  # the outbox's retry
    texts = [b["text"] for b in fake.sent()]
    parts = len(message_bodies(answer, Profile(BOT_NAME)))
    assert parts >= 3
    # Part 1 once, part 2 refused then sent, then the rest: nobody reads part 1 twice.
    assert len(texts) == parts + 1 and texts[:2] == first and texts[2] == first[1]
    assert texts.count(first[0]) == 1
    assert [("keyboard" in b) for b in fake.sent()] == [False] * parts + [True]
    await sender.send(USER_ID, answer)  # a later, separate send of the same text: all again
    assert fake.sent()[parts + 1]["text"] == first[0]
    assert len(fake.sent()) == 2 * parts + 1


async def test_status_6_marks_the_user_blocked_and_stops_sending(viber: Viber) -> None:
    user = viber_id("status 6")
    viber.fake.answer(status(6))
    await viber.post("callback_message_text_keyboard_reply", user=user)  # welcome and menu
    assert len(await viber.deliver()) == 1  # the first is refused ...
    conversation = await viber.conversation(user)
    assert conversation is not None and conversation.blocked
    assert await viber.deliver() == []  # ... and the second is never tried
    items = await viber.outbox(user)
    assert [(i.status, i.last_error) for i in items] == [("dead", "blocked"), ("dead", "blocked")]
    await viber.post("callback_subscribed", user=user)  # back: new replies go out, old stay dead
    await viber.post("callback_message_text", user=user)
    [reply] = await viber.deliver()
    assert reply["receiver"] == user


async def test_status_12_is_retried_from_the_outbox_later(viber: Viber) -> None:
    user = viber_id("status 12")
    viber.fake.answer(status(12))
    await viber.post("callback_message_text", user=user)
    assert len(await viber.deliver()) == 1
    [item] = await viber.outbox(user)
    assert (item.status, item.attempts, item.last_error) == ("pending", 1, "throttled")
    wait = item.next_attempt_at - utcnow()
    assert timedelta(seconds=55) < wait <= timedelta(seconds=60)
    assert await viber.deliver() == []  # not before Viber's minute is up ...
    await _due_now(viber, item.conversation_id)  # ... which it now is
    [retried] = await viber.deliver()
    [item] = await viber.outbox(user)
    assert item.status == "sent" and retried["receiver"] == user


async def _due_now(viber: Viber, conversation_id: int) -> None:
    async with viber.service.db.transaction() as session:
        await session.execute(update(OutboxItem)
                              .where(OutboxItem.conversation_id == conversation_id)
                              .values(next_attempt_at=utcnow()))


async def test_set_webhook_registers_our_url_without_names_or_photos(
        fake: FakeViberApi, api: ViberApi) -> None:
    assert await set_webhook_when_up(api, "https://bot.example.org/webhooks/viber", (0,))
    [call] = fake.calls("set_webhook")
    assert call.token == TOKEN
    assert call.body == {"url": "https://bot.example.org/webhooks/viber",
                         "event_types": ["conversation_started", "failed", "subscribed",
                                         "unsubscribed"],
                         "send_name": False, "send_photo": False}


async def test_set_webhook_gives_up_when_viber_cannot_reach_us(api: ViberApi,
                                                               logs: Captured) -> None:
    with FakeViberApi(TOKEN) as checking:  # calls the URL back, as Viber does
        api.base_url = checking.base_url
        assert not await set_webhook_when_up(api, "http://127.0.0.1:9/webhooks/viber", (0, 0))
        assert checking.webhook_checks == [0, 0]
    assert sum("viber_webhook_not_set" in line for line in logs.lines) == 2


async def test_the_token_never_appears_in_a_log_line(viber: Viber, logs: Captured) -> None:
    user = viber_id("token in logs")
    viber.fake.answer(status(2), http_error(500), GARBAGE, status(12), OK)
    for name in ("callback_conversation_started", "callback_message_text_keyboard_reply",
                 "callback_message_text", "callback_failed", "callback_webhook"):
        await viber.post(name, user=user)
    await viber.post("callback_message_text", signature="invalid", user=user)
    await viber.post(b"{not json")
    conversation = await viber.conversation(user)
    assert conversation is not None
    for _ in range(6):  # each pass: one reply per conversation, failures made due again
        await viber.deliver()
        await _due_now(viber, conversation.id)
    await viber.deliver()
    assert {i.status for i in await viber.outbox(user)} <= {"sent", "dead"}
    await set_webhook_when_up(viber.sender.api, "https://bot.example.org/webhooks/viber", (0,))
    assert len(logs.lines) > 10
    assert not [line for line in logs.lines if TOKEN in line]
    assert TOKEN not in repr(viber.sender.api)
