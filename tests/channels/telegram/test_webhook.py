"""POST /webhooks/telegram through the real app, outbox and library, against the fake Bot API.

The INCOMING table: label, payload, headers → HTTP status, what reached the core,
and the replies that reached the (fake) Bot API.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.core.messages import Kind
from bot.i18n import Catalogs
from bot.logs import JsonFormatter
from bot.render import to_telegram_html
from bot.settings import LANGUAGES, REPO_ROOT
from bot.storage import Conversation, OutboxItem
from bot.storage.models import utcnow
from tests.channels.telegram.conftest import (
    FIXTURE_USER,
    PRIVATE_VALUES,
    PUBLIC_URL,
    SECRET,
    TELEGRAM_FIXTURES,
    Lab,
    load,
    personalize,
)
from tests.fakes.telegram_api import TOKEN, throttled

pytestmark = pytest.mark.asyncio(loop_scope="module")

CATALOGS = Catalogs(REPO_ROOT / "locales")
LANGUAGE_BUTTONS = tuple(f"lang:{code}" for code in LANGUAGES)
MAIN_MENU = ("topics", "offer", "human", "language", "about")


def ro(msgid: str) -> tuple[str, str]:
    return ("ro", msgid)


def uk(msgid: str) -> tuple[str, str]:
    return ("uk", msgid)


CHOOSE = "Hello! Choose your language:"
PICTURES = "I cannot look at pictures or files. If it is a job offer, copy its text here."
VOICE = "I cannot listen to voice or video messages. Please write your question in words."
STICKER = "I can read only text. Please write in words, or use the buttons."
LOCATION = ("I do not need your location and I did not keep it. Share it only if a counsellor "
            "asks you to.")
CONTACT = ("I did not keep the phone number you shared. Please do not send personal numbers "
           "here unless a counsellor asks.")
OTHER = "I can read only text messages. Please write in words."
WELCOME = ("Welcome! I answer questions about working abroad safely, check job offers and can "
           "put you in touch with a person from the hotline. Everything here is anonymous.")
MENU = "What would you like to do?"
HELP = ("I can answer questions about working abroad safely, check a job offer and put you in "
        "touch with a hotline counsellor. Write your question in your own words, or use the "
        "buttons.\n\nCommands:\n- /menu: the main menu\n- /language: change the language\n"
        "- /human: talk to a person\n- /bot: back to the bot after talking to a person\n"
        "- /forget: erase our conversation\n- /help: this message")


@dataclass(frozen=True)
class In:
    """One incoming case."""

    label: str
    fixture: str | None = None  # tests/fixtures/telegram/<fixture>.json, sent as a fresh user
    raw: bytes | None = None  # or exactly these bytes
    secret: str | None = SECRET
    content_type: str | None = "application/json"
    status: int = 200
    kind: Kind | None = None  # what reached the dialogue; None: nothing did
    blocked: bool | None = None  # what reached Dialogue.set_blocked
    replies: tuple[tuple[str, str], ...] = ()  # (language, msgid) of each sendMessage, in order
    buttons: tuple[str, ...] | None = None  # callback_data of the last reply's keyboard
    answered: bool = False  # answerCallbackQuery was called
    repeat: int = 1  # Telegram delivering the same update again


INCOMING = [
    In("Receive text message", "update_message_text", kind=Kind.TEXT,
       replies=(uk(CHOOSE),), buttons=LANGUAGE_BUTTONS),
    In("Receive start with a deep-link payload", "update_message_start_deeplink",
       kind=Kind.TEXT, replies=(ro(CHOOSE),), buttons=LANGUAGE_BUTTONS),
    In("Receive command with the bot's name", "update_message_command_with_botname",
       kind=Kind.TEXT, replies=(ro(HELP),), buttons=LANGUAGE_BUTTONS),
    In("Receive edited message", "update_edited_message", kind=Kind.TEXT, replies=(ro(CHOOSE),)),
    In("Receive button press", "update_callback_query", kind=Kind.BUTTON,
       replies=(ro(WELCOME), ro(MENU)), buttons=MAIN_MENU, answered=True),
    In("Receive button press on a message too old to read", "update_callback_query_old_message",
       kind=Kind.BUTTON, replies=(ro(WELCOME), ro(MENU)), buttons=MAIN_MENU, answered=True),
    In("Receive button press on an inline message", "update_callback_query_inline_message",
       answered=True),
    In("Receive photo", "update_message_photo", kind=Kind.PHOTO, replies=(ro(PICTURES),),
       buttons=LANGUAGE_BUTTONS),
    In("Receive voice", "update_message_voice", kind=Kind.VOICE, replies=(ro(VOICE),)),
    In("Receive sticker", "update_message_sticker", kind=Kind.STICKER, replies=(ro(STICKER),)),
    In("Receive document", "update_message_document", kind=Kind.DOCUMENT,
       replies=(ro(PICTURES),)),
    In("Receive location", "update_message_location", kind=Kind.LOCATION,
       replies=(ro(LOCATION),)),
    In("Receive contact", "update_message_contact", kind=Kind.CONTACT, replies=(ro(CONTACT),)),
    In("Receive video note", "update_message_video_note", kind=Kind.VIDEO, replies=(ro(VOICE),)),
    In("Receive animation", "update_message_animation", kind=Kind.STICKER,
       replies=(ro(STICKER),)),
    In("Receive venue", "update_message_venue", kind=Kind.LOCATION, replies=(ro(LOCATION),)),
    In("Receive dice", "update_message_dice", kind=Kind.OTHER, replies=(ro(OTHER),)),
    In("Receive live location update", "update_edited_message_live_location"),
    In("Receive group message", "update_message_group_text"),
    In("Receive bot added to a group", "update_my_chat_member_group_added"),
    In("Receive block", "update_my_chat_member_blocked", blocked=True),
    In("Receive unblock", "update_my_chat_member_unblocked", blocked=False),
    In("Receive unhandled update type", "update_inline_query"),
    In("Receive duplicate update", "update_message_start_deeplink", kind=Kind.TEXT,
       replies=(ro(CHOOSE),), repeat=2),
    In("Receive invalid secret", "update_message_text", secret="not-the-secret", status=403),
    In("Receive missing secret", "update_message_text", secret=None, status=403),
    In("Receive secret with different case", "update_message_text", secret=SECRET.upper(),
       status=403),
    In("Receive wrong content type", "update_message_text", content_type="text/plain",
       status=415),
    In("Receive missing content type", "update_message_text", content_type=None, status=415),
    In("Receive JSON with charset", "update_message_text",
       content_type="application/json; charset=utf-8", kind=Kind.TEXT, replies=(uk(CHOOSE),)),
    In("Receive body over the size limit", raw=b'{"update_id": 1, "pad": "'
       + b"x" * 1_048_576 + b'"}', status=413),
    In("Receive non-JSON body", raw=b"{not json", status=400),
    In("Receive invalid UTF-8", raw=b'{"update_id": 1, "x": "\xff\xfe"}', status=400),
    In("Receive JSON that is not an object", raw=b"[1, 2]", status=400),
    In("Receive update without update_id", "update_malformed_no_update_id", status=400),
    In("Receive update_id that is not a number", "update_malformed_update_id_string",
       status=400),
    In("Receive message without a date", "update_malformed_message_without_date", status=400),
]


@pytest.mark.parametrize("case", INCOMING, ids=[c.label for c in INCOMING])
async def test_incoming(tg: Lab, case: In) -> None:
    user = tg.new_user()
    update_id = tg.next_update_id()
    body: bytes | dict[str, Any] = case.raw if case.raw is not None else personalize(
        load(str(case.fixture)), user, update_id)
    for _ in range(case.repeat):
        response = await tg.post(body, secret=case.secret, content_type=case.content_type)
        assert response.status_code == case.status, case.label
    await tg.settle()

    user_key = tg.service.keyring.user_key("telegram", str(user))
    if case.kind is None:
        assert tg.handled == [], case.label
    else:
        assert [i.kind for i, _ in tg.handled] == [case.kind] * case.repeat, case.label
        incoming, first = tg.handled[0]
        assert (incoming.channel, incoming.user_key, incoming.address, incoming.external_id) == (
            "telegram", user_key, str(user), str(update_id))
        assert not first.duplicate
        assert all(result.duplicate for _, result in tg.handled[1:])
    assert tg.blocked == ([] if case.blocked is None else [(user_key, case.blocked)])

    sent = tg.api.sent()
    assert [s["chat_id"] for s in sent] == [str(user)] * len(case.replies), case.label
    for message, (lang, msgid) in zip(sent, case.replies, strict=True):
        assert to_telegram_html(CATALOGS.get(lang)._(msgid)) in message["text"], case.label
        assert message["parse_mode"] == "HTML"
        assert message["link_preview_options"] == {"is_disabled": True}
    if case.buttons is not None:
        keyboard = sent[-1]["reply_markup"]["inline_keyboard"]
        assert tuple(b["callback_data"] for row in keyboard for b in row) == case.buttons
    answers = tg.api.calls("answerCallbackQuery")
    assert len(answers) == (case.repeat if case.answered else 0), case.label
    if case.answered:
        assert answers[0].params == {"callback_query_id": load(str(case.fixture))[
            "callback_query"]["id"]}


# --- the rest of the webhook's behaviour ----------------------------------------------------


async def test_the_webhook_is_registered_with_its_secret_on_start(tg: Lab) -> None:
    assert [c.method for c in tg.startup] == ["getMe", "setWebhook"]
    assert tg.startup[1].params == {
        "url": f"{PUBLIC_URL}/webhooks/telegram", "secret_token": SECRET,
        "allowed_updates": ["message", "edited_message", "callback_query", "my_chat_member"]}


async def test_a_deep_link_payload_becomes_the_campaign(tg: Lab) -> None:
    user = tg.new_user()
    await tg.post(personalize(load("update_message_start_deeplink"), user, tg.next_update_id()))
    async with tg.service.db.sessions() as session:
        campaign = await session.scalar(select(Conversation.campaign).where(
            Conversation.user_key == tg.service.keyring.user_key("telegram", str(user))))
    assert campaign == "ref-campaign_42"


async def test_a_button_press_is_answered_even_when_the_database_is_down(
        tg: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.core.dialogue import ServiceUnavailable

    async def down(*args: Any) -> None:
        raise ServiceUnavailable

    monkeypatch.setattr(tg.service.dialogue, "handle", down)
    body = personalize(load("update_callback_query"), tg.new_user(), tg.next_update_id())
    response = await tg.post(body)
    # 503 + Retry-After: Telegram delivers the update again; the spinner still stops.
    assert response.status_code == 503 and response.headers["retry-after"] == "10"
    assert len(tg.api.calls("answerCallbackQuery")) == 1
    assert tg.api.sent() == []


async def test_a_block_stops_delivery_and_writing_again_lifts_it(tg: Lab) -> None:
    user = tg.new_user()
    key = tg.service.keyring.user_key("telegram", str(user))

    async def blocked() -> bool | None:
        async with tg.service.db.sessions() as session:
            return await session.scalar(select(Conversation.blocked).where(
                Conversation.user_key == key))

    await tg.post(personalize(load("update_message_text"), user, tg.next_update_id()))
    await tg.settle()
    await tg.post(personalize(load("update_my_chat_member_blocked"), user, tg.next_update_id()))
    assert await blocked() is True
    await tg.post(personalize(load("update_my_chat_member_unblocked"), user,
                              tg.next_update_id()))
    assert await blocked() is False
    # Telegram answers 403 when the user blocked the bot before we knew: the outbox marks
    # the conversation and sends nothing more to it.
    tg.api.fail("sendMessage", "blocked")
    await tg.post(personalize(load("update_callback_query"), user, tg.next_update_id()))
    await tg.settle()
    assert await blocked() is True
    # The greeting, then the welcome (refused); the menu after it was never tried.
    assert len(tg.api.sent(user)) == 2
    async with tg.service.db.sessions() as session:
        errors = (await session.scalars(select(OutboxItem.last_error).join(
            Conversation, Conversation.id == OutboxItem.conversation_id).where(
            Conversation.user_key == key, OutboxItem.status == "dead"))).all()
    assert set(errors) == {"blocked"}


async def test_a_429_is_retried_by_the_outbox_at_the_time_telegram_asked(tg: Lab) -> None:
    user = tg.new_user()
    tg.api.fail("sendMessage", throttled(30))
    before = utcnow()
    response = await tg.post(personalize(load("update_message_text"), user,
                                         tg.next_update_id()))
    assert response.status_code == 200
    await tg.settle()  # the throttled reply is not due: nothing slept 30 s
    assert utcnow() - before < timedelta(seconds=10)
    async with tg.service.db.sessions() as session:
        item = (await session.scalars(select(OutboxItem).order_by(OutboxItem.id.desc()))).first()
    assert item is not None
    assert (item.status, item.attempts, item.last_error) == ("pending", 1, "throttled")
    assert timedelta(seconds=25) < item.next_attempt_at - before < timedelta(seconds=35)
    # When the time comes, the same reply goes out once more, and succeeds.
    async with tg.service.db.transaction() as session:
        await session.execute(update(OutboxItem).where(OutboxItem.id == item.id)
                              .values(next_attempt_at=utcnow()))
    tg.service.outbox.wake()
    await tg.settle()
    sent = tg.api.sent(user)
    assert len(sent) == 2 and sent[0]["text"] == sent[1]["text"]


async def test_no_token_or_profile_data_in_logs_or_database(
        tg: Lab, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    users = []
    # Every fixture, some replies failing on the way (each error path logs something).
    tg.api.fail("sendMessage", "throttled", "server_error", "unauthorized", "bad_entities",
                "chat_not_found")
    tg.api.fail("answerCallbackQuery", "bad_entities")
    for path in sorted(TELEGRAM_FIXTURES.glob("update_*.json")):
        user = tg.new_user()
        users.append(user)
        await tg.post(personalize(json.loads(path.read_text("utf-8")), user,
                                  tg.next_update_id()))
    await tg.post(load("update_message_text"), secret="wrong")
    await tg.settle()
    assert len(tg.api.sent()) > 10

    forbidden = (TOKEN, TOKEN.split(":")[1], *PRIVATE_VALUES)
    lines = [JsonFormatter().format(r) for r in caplog.records]
    lines += [logging.Formatter("%(message)s").format(r) for r in caplog.records]
    assert lines
    for value in forbidden:
        assert not [line for line in lines if value in line], value
    for user in users:
        assert not [line for line in lines if str(user) in line], "a Telegram id was logged"

    dump = await tg.dump()
    for value in (*forbidden, str(FIXTURE_USER), *(str(u) for u in users)):
        assert value not in dump, value
