"""The conversation through the core, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.messages import Kind
from bot.service import Service
from bot.settings import LANGUAGES
from tests.conftest import Chat, RecordingSender, texts


async def test_start_offers_every_language_named_in_itself(chat: Chat) -> None:
    replies = await chat.say("/start")
    assert len(replies) == 1
    assert replies[0].button_ids() == [f"lang:{code}" for code in LANGUAGES]
    labels = [b.label for row in replies[0].buttons for b in row]
    assert labels == ["Română", "Русский", "Українська", "English", "Romani"]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_language_then_menu_then_topic_and_back(chat: Chat, lang: str) -> None:
    await chat.say("/start")
    replies = await chat.press(f"lang:{lang}")
    assert replies[-1].button_ids() == ["topics", "offer", "human", "language", "about"]
    assert all(r.language == lang for r in replies)
    replies = await chat.press("topics")
    assert replies[0].button_ids() == ["cat:before", "cat:abroad", "cat:help", "menu"]
    replies = await chat.press("cat:help")
    assert "topic:hotline_contacts" in replies[0].button_ids()
    replies = await chat.press("topic:hotline_contacts")
    assert f"{lang} answer of hotline_contacts" in replies[0].text
    assert "**0 800 77777**" in replies[0].text  # the number comes from the directory
    assert replies[0].button_ids() == ["more:hotline_contacts", "topic:before_departure", "menu"]
    replies = await chat.press("more:hotline_contacts")
    assert "+373 22 23 33 09" in replies[0].text
    replies = await chat.press("menu")
    assert replies[0].button_ids() == ["topics", "offer", "human", "language", "about"]


async def test_state_survives_a_new_process(settings, chat: Chat) -> None:
    await chat.say("/start")
    await chat.press("lang:ru")
    await chat.press("topics")
    # A second process (a restart, or another worker) continues the same conversation.
    other = Service.build(settings, {"test": RecordingSender()}, with_nlu=False)
    try:
        again = Chat(other, other.senders["test"])  # type: ignore[arg-type]
        replies = await again.say("/menu")
        assert replies[0].language == "ru"
        assert replies[0].button_ids()[0] == "topics"
    finally:
        await other.db.dispose()


@pytest.mark.parametrize(
    ("label", "text", "expected_fragment"),
    [
        ("Empty message", "", "empty message"),
        ("Whitespace only", " \n\t ", "empty message"),
        ("Unknown command", "/frobnicate", "I do not know the command /frobnicate"),
        ("Free text before the NLU", "salut", "Please use the buttons"),
    ],
)
async def test_odd_text_gets_a_clear_answer(chat: Chat, label: str, text: str,
                                            expected_fragment: str) -> None:
    await chat.say("/start")
    await chat.press("lang:en")
    replies = await chat.say(text)
    assert expected_fragment in texts(replies), label


async def test_a_very_long_message_is_cut_and_said_so(chat: Chat, service: Service) -> None:
    await chat.say("/start")
    await chat.press("lang:en")
    replies = await chat.say("a" * 50_000)
    assert "very long" in texts(replies)
    from sqlalchemy import func, select

    from bot.storage import Message

    async with service.db.sessions() as session:
        longest = await session.scalar(select(func.max(func.length(Message.text))))
    assert longest == 10_000


@pytest.mark.parametrize(
    ("kind", "fragment"),
    [
        (Kind.STICKER, "only text"),
        (Kind.VOICE, "cannot listen"),
        (Kind.PHOTO, "cannot look at pictures"),
        (Kind.DOCUMENT, "cannot look at pictures"),
        (Kind.LOCATION, "do not need your location"),
        (Kind.CONTACT, "did not keep the phone number"),
    ],
)
async def test_attachments_get_a_clear_answer(chat: Chat, kind: Kind, fragment: str) -> None:
    await chat.say("/start")
    await chat.press("lang:en")
    assert fragment in texts(await chat.send(kind))


async def test_forget_asks_first_and_then_erases(chat: Chat, service: Service) -> None:
    from sqlalchemy import func, select

    from bot.storage import Conversation, Message

    await chat.say("/start")
    await chat.press("lang:en")
    replies = await chat.say("/forget")
    assert replies[0].button_ids() == ["forget:yes", "forget:no"]
    replies = await chat.press("forget:no")
    assert "Nothing was erased" in texts(replies)
    await chat.say("/forget")
    replies = await chat.press("forget:yes")
    assert "erased" in texts(replies)
    async with service.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Message)) == 0
        conv = await session.scalar(select(Conversation))
    assert conv is not None and conv.language is None and conv.context == {}
    # The next /start begins from the language choice again.
    replies = await chat.say("/start")
    assert replies[0].button_ids()[0] == "lang:ro"


async def test_duplicate_delivery_is_answered_once(chat: Chat, service: Service,
                                                   sender: RecordingSender) -> None:
    first = chat.incoming(text="/start", external_id="update-1")
    result = await service.dialogue.handle(first)
    again = await service.dialogue.handle(chat.incoming(text="/start", external_id="update-1"))
    assert not result.duplicate and again.duplicate
    await service.outbox.drain()
    assert len(sender.pop()) == 1


async def test_campaign_source_is_recorded_once(chat: Chat, service: Service) -> None:
    from sqlalchemy import select

    from bot.storage import Conversation

    await chat.say("/start leaflet_ursari-2026")
    await chat.say("/start school_poster")
    async with service.db.sessions() as session:
        conv = await session.scalar(select(Conversation))
    assert conv is not None and conv.campaign == "leaflet_ursari-2026"


async def test_reply_address_is_stored_encrypted(chat: Chat, service: Service) -> None:
    from sqlalchemy import select

    from bot.storage import Conversation

    await chat.say("/start")
    async with service.db.sessions() as session:
        conv = await session.scalar(select(Conversation))
    assert conv is not None
    assert chat.address not in conv.address_enc
    assert service.keyring.decrypt(conv.address_enc) == chat.address
    assert "u1" not in conv.user_key


async def test_a_flood_gets_one_clear_answer_and_nothing_is_lost(chat: Chat,
                                                                 service: Service) -> None:
    from bot.core.dialogue import FLOOD_LIMIT
    from bot.storage import Message

    await chat.press("lang:en")
    for i in range(FLOOD_LIMIT - 1):
        assert await chat.say(f"/menu {i}")  # still answered
    over = [await chat.say(f"message {i}") for i in range(3)]
    # The first message over the limit is told why; the next ones get no answer.
    assert "very quickly" in over[0][0].text and over[1] == [] and over[2] == []
    async with service.db.sessions() as session:
        kept = (await session.scalars(select(Message.text).where(Message.sender == "user"))).all()
    assert {"message 0", "message 1", "message 2"} <= set(kept)
