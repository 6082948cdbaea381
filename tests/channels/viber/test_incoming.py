"""Viber callbacks in: one table of cases, courier-style, through the real app."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.core.dialogue import ServiceUnavailable
from bot.storage import Base
from tests.channels.viber.conftest import (
    BOT_NAME,
    PRIVATE,
    TOKEN,
    USER_ID,
    Captured,
    Viber,
    sign,
    viber_id,
)
from tests.channels.viber.test_handler import VECTOR_BODY, VECTOR_SIGNATURE

# Every case shares one app and database per engine (see the ``viber`` fixture), each
# case as a Viber user of its own.
pytestmark = pytest.mark.asyncio(loop_scope="module")
OVERSIZED = json.dumps({"event": "message", "timestamp": 1718022700100,
                        "message_token": 6017350900000000500,
                        "sender": {"id": USER_ID, "language": "ro", "api_version": 10},
                        "message": {"type": "text", "text": "x" * 140_000}}).encode()


class Starts(str):
    """Equal to any string that begins with it."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other.startswith(str(self))

    __hash__ = str.__hash__


@dataclass(frozen=True)
class Presses:
    """Equal to a keyboard whose buttons send exactly these ActionBodies, in order."""

    bodies: tuple[str, ...]

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, dict) and other.get("Type") == "keyboard"
                and tuple(b["ActionBody"] for b in other["Buttons"]) == self.bodies)


def reply_button(body: str, label: str, columns: int) -> dict[str, Any]:
    return {"Columns": columns, "Rows": 1, "ActionType": "reply", "ActionBody": body,
            "Text": label, "Silent": True}


LANGUAGE_KEYBOARD = {
    "Type": "keyboard",
    "DefaultHeight": False,
    "InputFieldState": "regular",
    "Buttons": [
        reply_button("btn:lang:ro", "Română", 2),
        reply_button("btn:lang:ru", "Русский", 2),
        reply_button("btn:lang:uk", "Українська", 2),
        reply_button("btn:lang:en", "English", 3),
        reply_button("btn:lang:rom", "Romani", 3),
    ],
}
# The user's Viber language is "ro": the greeting is Romanian, the keyboard every language.
WELCOME_NEW = {"sender": {"name": BOT_NAME}, "type": "text",
               "text": Starts("Bună ziua! Alegeți limba:\n\n"), "keyboard": LANGUAGE_KEYBOARD,
               "min_api_version": 4}
# A user who chose Romanian earlier: both replies of /start in one message, menu keyboard.
WELCOME_BACK = {"sender": {"name": BOT_NAME}, "type": "text",
                "text": "Bine ați revenit!\n\nCe doriți să faceți?",
                "keyboard": Presses(("btn:topics", "btn:offer", "btn:human", "btn:language",
                                     "btn:about")),
                "min_api_version": 4}


@dataclass(frozen=True)
class Effect:
    """What the core did: the user message stored, replies sent through the API, flags."""

    stored: str | None = None  # kind of the one user message stored; None: nothing stored
    text: str | None = None  # its stored text
    sends: int = 0  # send_message calls once the outbox ran
    blocked: bool | None = None  # the conversation's flag afterwards (None: not checked)
    campaign: str | None = None


NOTHING = Effect()


@dataclass(frozen=True)
class Case:
    label: str
    payload: str | bytes  # a fixture name, or the raw body
    status: int
    effect: Effect
    body: dict[str, Any] | None = None  # the JSON answer; None: an empty body
    signature: str = "valid"  # valid | invalid | missing | reformatted | a literal header
    before: tuple[str, ...] = ()  # fixtures posted (and delivered) first
    down: bool = False  # the database fails during the case


INCOMING = [
    Case("Receive webhook check", "callback_webhook", 200, NOTHING),
    Case("Receive webhook check signed with the documented test vector", VECTOR_BODY, 200,
         NOTHING, signature=VECTOR_SIGNATURE),
    Case("Receive valid text message", "callback_message_text", 200,
         Effect("text", "Bună ziua, caut de lucru în Germania", sends=1)),
    Case("Receive keyboard reply as a button press", "callback_message_text_keyboard_reply",
         200, Effect("button", "lang:ro", sends=2)),
    Case("Receive picture with its caption", "callback_message_picture", 200,
         Effect("photo", "oferta de muncă", sends=1)),
    Case("Receive video", "callback_message_video", 200, Effect("video", "", sends=1)),
    Case("Receive file", "callback_message_file", 200, Effect("document", "", sends=1)),
    Case("Receive contact without keeping the number", "callback_message_contact", 200,
         Effect("contact", "", sends=1)),
    Case("Receive location without keeping it", "callback_message_location", 200,
         Effect("location", "", sends=1)),
    Case("Receive sticker", "callback_message_sticker", 200, Effect("sticker", "", sends=1)),
    Case("Receive shared link as text", "callback_message_url", 200,
         Effect("text", "https://www.example.com/jobs/germany-warehouse-12345", sends=1)),
    Case("Receive message type newer than viberbot", "callback_message_unknown_type", 200,
         Effect("other", "", sends=1)),
    Case("Receive duplicate message token", "callback_message_text", 200, NOTHING,
         before=("callback_message_text",)),
    Case("Receive conversation_started with a campaign", "callback_conversation_started", 200,
         Effect("text", "/start spring_fair-2026", campaign="spring_fair-2026"),
         body=WELCOME_NEW),
    Case("Receive conversation_started without context",
         "callback_conversation_started_no_context", 200, Effect("text", "/start"),
         body=WELCOME_NEW),
    Case("Receive conversation_started with free text as context",
         "callback_conversation_started_text_context", 200, Effect("text", "/start"),
         body=WELCOME_NEW),
    Case("Receive conversation_started from a returning user",
         "callback_conversation_started_subscribed", 200, Effect("text", "/start"),
         body=WELCOME_BACK, before=("callback_message_text_keyboard_reply",)),
    Case("Receive subscribed", "callback_subscribed", 200, Effect(blocked=False),
         before=("callback_message_text", "callback_unsubscribed")),
    Case("Receive subscribed from a user never seen", "callback_subscribed", 200, NOTHING),
    Case("Receive unsubscribed", "callback_unsubscribed", 200, Effect(blocked=True),
         before=("callback_message_text",)),
    Case("Receive delivered", "callback_delivered", 200, NOTHING),
    Case("Receive seen", "callback_seen", 200, NOTHING),
    Case("Receive failed", "callback_failed", 200, NOTHING),
    Case("Receive unknown event", "callback_client_status_payment", 200, NOTHING),
    Case("Receive invalid signature", "callback_message_text", 403, NOTHING,
         signature="invalid"),
    Case("Receive missing signature", "callback_message_text", 403, NOTHING,
         signature="missing"),
    Case("Receive signature of a reformatted body", "callback_message_text", 403, NOTHING,
         signature="reformatted"),
    Case("Receive garbage signature", "callback_message_text", 403, NOTHING,
         signature="not-a-signature"),
    Case("Receive invalid JSON", "callback_malformed_truncated", 400, NOTHING),
    Case("Receive a JSON array", "callback_malformed_array", 400, NOTHING),
    Case("Receive an event without a name", "callback_malformed_no_event", 400, NOTHING),
    Case("Receive a message without a sender", "callback_malformed_message_no_sender", 400,
         NOTHING),
    Case("Receive a message without a type", "callback_malformed_message_no_type", 400,
         NOTHING),
    Case("Receive a text that is not a string", "callback_malformed_text_not_a_string", 400,
         NOTHING),
    Case("Receive a sender without an id", "callback_malformed_sender_without_id", 400,
         NOTHING),
    Case("Receive a body over the size limit", OVERSIZED, 413, NOTHING),
    Case("Receive message while the database is down", "callback_message_text", 503,
         NOTHING, down=True),
    Case("Receive conversation_started while the database is down",
         "callback_conversation_started", 503, NOTHING, down=True),
    Case("Receive unsubscribed while the database is down", "callback_unsubscribed", 503,
         Effect(blocked=False), before=("callback_message_text",), down=True),
]


@pytest.mark.parametrize("case", INCOMING, ids=[c.label for c in INCOMING])
async def test_incoming(viber: Viber, case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    user = viber_id(case.label)
    for name in case.before:
        assert (await viber.post(name, user=user)).status_code == 200
    await viber.deliver()
    stored_before = len(await viber.user_messages(user))
    if case.down:
        _take_the_database_down(viber, monkeypatch)

    response = await viber.post(case.payload, signature=case.signature, user=user)

    assert response.status_code == case.status, case.label
    if case.body is None:
        assert response.content == b""
    else:
        assert case.body == response.json()
        assert "receiver" not in response.json()
    effect = case.effect
    sent = await viber.deliver()
    assert len(sent) == effect.sends
    assert all(b["receiver"] == user and b["sender"] == {"name": BOT_NAME} for b in sent)
    stored = (await viber.user_messages(user))[stored_before:]
    conversation = await viber.conversation(user)
    if effect.stored is None:
        assert stored == []
        if not case.before:
            assert conversation is None  # nothing was created for this user
    else:
        [message] = stored
        assert (message.kind, message.text) == (effect.stored, effect.text)
        assert conversation is not None and conversation.campaign == effect.campaign
    if effect.blocked is not None:
        assert conversation is not None and conversation.blocked is effect.blocked
    if case.body is not None:  # the welcome went out in the response, never through the API
        assert all(item.status == "sent" for item in await viber.outbox(user))


def _take_the_database_down(viber: Viber, monkeypatch: pytest.MonkeyPatch) -> None:
    async def handle(*args: object, **kwargs: object) -> None:
        raise ServiceUnavailable

    async def set_blocked(*args: object, **kwargs: object) -> None:
        raise OperationalError("UPDATE conversations", {}, ConnectionRefusedError())

    monkeypatch.setattr(viber.service.dialogue, "handle", handle)
    monkeypatch.setattr(viber.service.dialogue, "set_blocked", set_blocked)


EVERY_FIXTURE = [
    "callback_webhook", "callback_conversation_started", "callback_conversation_started_no_context",
    "callback_conversation_started_text_context", "callback_subscribed",
    "callback_message_text_keyboard_reply", "callback_message_text", "callback_message_picture",
    "callback_message_video", "callback_message_file", "callback_message_contact",
    "callback_message_location", "callback_message_sticker", "callback_message_url",
    "callback_message_unknown_type", "callback_delivered", "callback_seen", "callback_failed",
    "callback_client_status_payment", "callback_malformed_sender_without_id",
    "callback_malformed_text_not_a_string", "callback_conversation_started_subscribed",
    "callback_unsubscribed",
]


async def test_names_avatars_numbers_and_places_are_never_stored_or_logged(
        viber: Viber, logs: Captured) -> None:
    for name in EVERY_FIXTURE:
        assert (await viber.post(name)).status_code in (200, 400), name
        await viber.deliver()
    await viber.post("callback_message_contact", signature="invalid")
    dump = await _every_stored_value(viber)
    output = "\n".join(logs.lines)
    assert "viber_delivery_failed" in output and "failure description" not in output
    # This module's database holds every case above too: all their users are checked.
    for secret in (*PRIVATE, *viber.users, TOKEN):
        assert secret not in dump, secret
        assert secret not in output, secret


async def _every_stored_value(viber: Viber) -> str:
    """Every column of every row of every table, as text."""
    values: list[str] = []
    async with viber.service.db.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                values.extend(json.dumps(v, ensure_ascii=False, default=str) for v in row)
    assert any("spring_fair-2026" in v for v in values)  # the dump does see what is stored
    return "\n".join(values)


async def test_a_signed_body_that_is_not_json_is_refused_with_415(viber: Viber) -> None:
    body = b"text=hello"
    answer = await viber.client.post("/webhooks/viber", content=body, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Viber-Content-Signature": sign(TOKEN, body)})
    assert answer.status_code == 415
    assert await viber.deliver() == []  # nothing was sent to anyone
