"""Properties of the messenger webhooks on random, real-shaped bodies, through the real app.

The contract (STYLE.md, CHANNELS.md): 4xx only for a bad secret or signature or a
malformed body; 200 for every body that can be read, used or not; never 5xx. The
parsers raise nothing but their documented error type.
"""

from __future__ import annotations

import base64
import copy
import inspect
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Bot, Update
from viberbot.api.messages import MESSAGE_TYPE_TO_CLASS
from viberbot.api.viber_requests import EVENT_TYPE_TO_CLASS

from bot.channels.telegram.handler import (
    Action,
    Handle,
    Ignore,
    MalformedUpdate,
    SetBlocked,
    parse_update,
    to_action,
)
from bot.channels.viber import handler as viber
from bot.core.messages import Incoming
from bot.crypto import Keyring
from tests.conftest import FIXTURES
from tests.fakes.telegram_api import BOT_USER
from tests.fakes.telegram_api import TOKEN as TELEGRAM_TOKEN
from tests.fakes.viber_api import sign
from tests.fuzz.conftest import TELEGRAM_SECRET, VIBER_TOKEN, Channels

pytestmark = pytest.mark.fuzz
# The app is shared by the module (see conftest.py), so its tests share one event loop.
in_module_loop = pytest.mark.asyncio(loop_scope="module")

# Through the app, an example costs a request and a few transactions; the parsers are pure.
IN_APP = settings(max_examples=100, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.large_base_example])
PURE = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])
KEYRING = Keyring(b"fuzz-secret-key-not-for-production", ())

# --- text and JSON --------------------------------------------------------------------------

# Every code point but surrogates: control characters, RTL marks, emoji, private use.
CHARS = st.characters(exclude_categories=["Cs"])
COMMANDS = ("/start", "/start ref-campaign_42", "/help", "/menu", "/language", "/forget",
            "/human", "/unknown", "/start@safemig_test_bot", "/")
OFFER = ("Lucru in Germania la depozit, salariu 3000 euro pe luna, cazare gratuita. "
         "Taxa de inregistrare 200 euro. Sunati +37369123456 sau scrieti pe Viber.")


def texts(max_size: int = 300, huge: int = 4096) -> st.SearchStrategy[str]:
    """Random text: short, a command or an offer with noise, or a long repetition."""
    return st.one_of(
        st.text(CHARS, max_size=max_size),
        st.sampled_from(COMMANDS),
        st.builds(lambda cmd, rest: f"{cmd} {rest}", st.sampled_from(COMMANDS),
                  st.text(CHARS, max_size=40)),
        st.builds(lambda noise: f"{OFFER} {noise}", st.text(CHARS, max_size=60)),
        st.builds(lambda piece, n: (piece * n)[:huge], st.text(CHARS, min_size=1, max_size=9),
                  st.integers(200, huge)),
    )


SHORT = st.text(CHARS, max_size=40)
LANGUAGES = st.one_of(st.sampled_from(["ro", "ru", "uk", "en", "rom", "de", "pt-br", ""]),
                      st.text(CHARS, max_size=20))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(CHARS, max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(CHARS, max_size=12),
                                                                inner, max_size=4),
    max_leaves=8,
)


def encode(body: Any, ascii_only: bool = True) -> bytes:
    """The JSON bytes of a body."""
    return json.dumps(body, ensure_ascii=ascii_only).encode()


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        yield (*prefix, key)
        yield from _paths(item, (*prefix, key))


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


@st.composite
def mutated(draw: st.DrawFn, bodies: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A well-formed body with one to three fields dropped, retyped or added."""
    body = copy.deepcopy(draw(bodies))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(body))
        how = draw(st.sampled_from(["drop", "retype", "extra"])) if paths else "extra"
        if how == "extra":
            containers = [()] + [p for p in paths if isinstance(_at(body, p), dict)]
            target = _at(body, draw(st.sampled_from(containers)))
            target[draw(st.text(CHARS, min_size=1, max_size=12))] = draw(JSON)
            continue
        path = draw(st.sampled_from(paths))
        parent, key = _at(body, path[:-1]), path[-1]
        if how == "drop":
            del parent[key]
        else:
            old = parent[key]
            parent[key] = draw(JSON.filter(lambda new, old=old: type(new) is not type(old)))
    return body


# --- Telegram updates -----------------------------------------------------------------------

TG_IDS = st.integers(1, 2**52)
DATES = st.integers(1, 2**31 - 1)
UPDATE_FIELDS = frozenset(inspect.signature(Update.__init__).parameters)
TG_BUTTONS = st.one_of(
    st.sampled_from(["lang:ro", "lang:en", "lang:ru", "lang:uk", "lang:rom", "topics", "offer",
                     "human", "language", "about", "menu", "forget:yes", "forget:no", "offerq",
                     "cat:work", "topic:nope", "more:nope", "did:nope", "switch:xx"]),
    st.text(CHARS, min_size=1, max_size=64),
)
ENTITY_TYPES = ("mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number",
                "bold", "italic", "underline", "strikethrough", "spoiler", "blockquote",
                "expandable_blockquote", "code", "pre", "text_link", "text_mention",
                "custom_emoji")


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text("utf-8"))
    return data


_COMMON = ("message_id", "from", "chat", "date", "text", "caption", "entities",
           "caption_entities", "edit_date", "reply_markup")
# What each kind of message carries besides its envelope, as the fixtures have it.
TG_CONTENT = {
    name: {k: v for k, v in _load(f"telegram/update_message_{name}.json")["message"].items()
           if k not in _COMMON}
    for name in ("photo", "voice", "sticker", "document", "location", "contact", "video_note",
                 "animation", "venue", "dice")
}
TG_CONTENT["service"] = {"new_chat_title": "x"}
TG_INLINE_QUERY = _load("telegram/update_inline_query.json")["inline_query"]


@st.composite
def tg_user(draw: st.DrawFn, user_id: int | None = None, is_bot: bool = False) -> dict[str, Any]:
    """A Telegram user with random names and language."""
    user: dict[str, Any] = {"id": draw(TG_IDS) if user_id is None else user_id,
                            "is_bot": is_bot, "first_name": draw(SHORT)}
    for key, values in (("last_name", SHORT), ("username", SHORT), ("language_code", LANGUAGES),
                        ("is_premium", st.booleans())):
        if draw(st.booleans()):
            user[key] = draw(values)
    return user


@st.composite
def tg_entities(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Entities of any type, at any offset and length (even past the text)."""
    out = []
    for _ in range(draw(st.integers(0, 4))):
        entity: dict[str, Any] = {"type": draw(st.sampled_from(ENTITY_TYPES) | SHORT),
                                  "offset": draw(st.integers(-5, 5000)),
                                  "length": draw(st.integers(-5, 5000))}
        if entity["type"] == "text_link":
            entity["url"] = draw(SHORT)
        if entity["type"] == "text_mention":
            entity["user"] = draw(tg_user())
        if entity["type"] == "pre" and draw(st.booleans()):
            entity["language"] = draw(SHORT)
        if entity["type"] == "custom_emoji":
            entity["custom_emoji_id"] = draw(SHORT)
        out.append(entity)
    return out


def private_chat(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": "Fuzz"}


@st.composite
def tg_chat(draw: st.DrawFn, user_id: int) -> dict[str, Any]:
    """Mostly the user's private chat; sometimes a group or a channel."""
    if draw(st.integers(0, 4)):
        return private_chat(user_id)
    return {"id": -draw(TG_IDS), "title": draw(SHORT),
            "type": draw(st.sampled_from(["group", "supergroup", "channel"]))}


@st.composite
def tg_message(draw: st.DrawFn, user_id: int, chat: dict[str, Any] | None = None,
               edited: bool = False) -> dict[str, Any]:
    """A message of any kind the bot may receive, with random text, caption and entities."""
    message: dict[str, Any] = {
        "message_id": draw(st.integers(1, 2**31 - 1)),
        "from": draw(tg_user(user_id, is_bot=draw(st.integers(0, 9)) == 0)),
        "chat": chat if chat is not None else draw(tg_chat(user_id)), "date": draw(DATES)}
    if edited:
        message["edit_date"] = draw(DATES)
    kind = draw(st.sampled_from(["text"] * 6 + sorted(TG_CONTENT)))
    if kind == "text":
        message["text"] = draw(texts(huge=20_000))
        if draw(st.booleans()):
            message["entities"] = draw(tg_entities())
        return message
    message.update(copy.deepcopy(TG_CONTENT[kind]))
    if draw(st.booleans()):
        message["caption"] = draw(texts(max_size=100, huge=1024))
        message["caption_entities"] = draw(tg_entities())
    return message


@st.composite
def tg_callback_query(draw: st.DrawFn, user_id: int) -> dict[str, Any]:
    """A button press: on a message in the chat, on one too old to read, or inline."""
    query: dict[str, Any] = {"id": str(draw(st.integers(0, 2**63))),
                             "from": draw(tg_user(user_id)),
                             "chat_instance": str(draw(st.integers(-(2**63), 2**63)))}
    if draw(st.integers(0, 5)):
        query["data"] = draw(TG_BUTTONS)
    chat = draw(tg_chat(user_id))
    where = draw(st.sampled_from(["message", "message", "old", "inline"]))
    if where == "message":
        query["message"] = {"message_id": draw(st.integers(1, 2**31 - 1)), "from": BOT_USER,
                            "chat": chat, "date": draw(DATES), "text": draw(SHORT) or "x"}
    elif where == "old":  # InaccessibleMessage: date 0
        query["message"] = {"message_id": draw(st.integers(1, 2**31 - 1)), "chat": chat,
                            "date": 0}
    else:
        query["inline_message_id"] = draw(SHORT) or "x"
    return query


@st.composite
def tg_member(draw: st.DrawFn, user_id: int) -> dict[str, Any]:
    """The user blocking, unblocking or leaving the bot."""
    def member(status: str) -> dict[str, Any]:
        out: dict[str, Any] = {"user": BOT_USER, "status": status}
        if status == "kicked":
            out["until_date"] = 0
        return out

    old, new = (draw(st.sampled_from(["member", "kicked", "left"])) for _ in range(2))
    return {"chat": draw(tg_chat(user_id)), "from": draw(tg_user(user_id)), "date": draw(DATES),
            "old_chat_member": member(old), "new_chat_member": member(new)}


UNKNOWN_UPDATE_KEYS = st.from_regex(r"\A[a-z][a-z_]{0,24}\Z").filter(
    lambda key: key not in UPDATE_FIELDS)


@st.composite
def tg_update(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed update of any type, used by the bot or not."""
    user_id = draw(TG_IDS)
    update: dict[str, Any] = {"update_id": draw(st.integers(0, 2**31 - 1))}
    kind = draw(st.sampled_from(["message", "callback_query"] * 3 + ["my_chat_member"] * 2
                                + ["edited_message", "inline_query", "channel_post",
                                   "unknown"]))
    if kind == "message":
        update["message"] = draw(tg_message(user_id))
    elif kind == "edited_message":
        update["edited_message"] = draw(tg_message(user_id, edited=True))
    elif kind == "callback_query":
        update["callback_query"] = draw(tg_callback_query(user_id))
    elif kind == "my_chat_member":
        update["my_chat_member"] = draw(tg_member(user_id))
    elif kind == "inline_query":
        update["inline_query"] = {**TG_INLINE_QUERY, "from": draw(tg_user(user_id)),
                                  "query": draw(SHORT)}
    elif kind == "channel_post":
        channel = {"id": -draw(TG_IDS), "title": draw(SHORT), "type": "channel"}
        update["channel_post"] = draw(tg_message(user_id, chat=channel))
    else:
        update[draw(UNKNOWN_UPDATE_KEYS)] = draw(JSON)
    # Fields a newer Bot API may add: the library keeps them aside.
    if draw(st.integers(0, 4)) == 0:
        update[draw(UNKNOWN_UPDATE_KEYS)] = draw(JSON)
    return update


def tg_body(updates: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    return st.builds(encode, updates, st.booleans())


# --- Viber callbacks ------------------------------------------------------------------------

VIBER_IDS = st.one_of(
    st.binary(min_size=16, max_size=16).map(lambda raw: base64.b64encode(raw).decode()),
    st.text(CHARS, min_size=1, max_size=128),
)
TOKENS = st.integers(1, 2**63 - 1)
TIMESTAMPS = st.integers(0, 2**53)
VIBER_BUTTONS = st.builds(lambda b: f"btn:{b}", TG_BUTTONS)
VIBER_CONTENT = {
    name: _load(f"viber/callback_message_{name}.json")["message"]
    for name in ("picture", "video", "file", "contact", "location", "sticker", "url",
                 "unknown_type")
}
VIBER_CONTENT["rich_media"] = {"type": "rich_media", "rich_media": {"Type": "rich_media"}}


@st.composite
def viber_user(draw: st.DrawFn) -> dict[str, Any]:
    """A sender or user: an id, and any of the profile fields Viber sends."""
    user: dict[str, Any] = {"id": draw(VIBER_IDS)}
    for key, values in (("name", SHORT), ("avatar", SHORT), ("country", SHORT),
                        ("language", LANGUAGES), ("api_version", st.integers(1, 20))):
        if draw(st.booleans()):
            user[key] = draw(values)
    return user


@st.composite
def viber_message(draw: st.DrawFn) -> dict[str, Any]:
    """A message of any type: typed text, a keyboard press, media, a type newer than viberbot."""
    kind = draw(st.sampled_from(["text"] * 5 + ["button"] * 2 + sorted(VIBER_CONTENT)))
    if kind == "text":
        message: dict[str, Any] = {"type": "text", "text": draw(texts(huge=7000))}
    elif kind == "button":
        message = {"type": "text", "text": draw(VIBER_BUTTONS)}
    else:
        message = copy.deepcopy(VIBER_CONTENT[kind])
        if kind in ("picture", "video") and draw(st.booleans()):
            message["text"] = draw(texts(max_size=100, huge=1024))
        if kind == "url":
            message["media"] = draw(SHORT)
        if kind == "unknown_type":
            message["type"] = draw(st.from_regex(r"\A[a-z_]{1,16}\Z").filter(
                lambda t: t not in MESSAGE_TYPE_TO_CLASS))
    if draw(st.booleans()):
        message["tracking_data"] = draw(SHORT)
    return {"event": "message", "timestamp": draw(TIMESTAMPS), "chat_hostname": "SN-CHAT-05_",
            "message_token": draw(TOKENS), "sender": draw(viber_user()), "message": message,
            "silent": draw(st.booleans())}


@st.composite
def viber_callback(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed callback of any event, known or not."""
    event = draw(st.sampled_from(["message"] * 5 + ["conversation_started"] * 2
                                 + ["subscribed", "unsubscribed", "delivered", "seen", "failed",
                                    "webhook", "unknown"]))
    if event == "message":
        return draw(viber_message())
    body: dict[str, Any] = {"event": event, "timestamp": draw(TIMESTAMPS),
                            "chat_hostname": "SN-CHAT-11_", "message_token": draw(TOKENS)}
    if event == "conversation_started":
        body.update(type="open", user=draw(viber_user()), subscribed=draw(st.booleans()))
        if draw(st.booleans()):
            body["context"] = draw(st.sampled_from(["spring_fair-2026", "ref_1"]) | SHORT)
    elif event == "subscribed":
        body["user"] = draw(viber_user())
    elif event in ("unsubscribed", "delivered", "seen", "failed"):
        body["user_id"] = draw(VIBER_IDS)
        if event == "failed":
            body["desc"] = draw(SHORT)
    elif event == "unknown":
        body["event"] = draw(st.text(CHARS, min_size=1, max_size=40).filter(
            lambda name: name not in EVENT_TYPE_TO_CLASS))
        body["user"] = draw(viber_user())
        body["status"] = draw(JSON)
    return body


def viber_body(callbacks: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    return st.builds(encode, callbacks, st.booleans())


# --- the parsers: pure, so many examples ----------------------------------------------------

ANY_BODY = st.one_of(
    st.binary(max_size=300),
    st.builds(encode, JSON),
    st.builds(encode, st.dictionaries(st.sampled_from(["update_id", "event", "message",
                                                       "sender", "timestamp"]), JSON)),
)
_TG_BOT = Bot(TELEGRAM_TOKEN)


def _tg_parse(body: bytes) -> Update | None:
    """The webhook's reading of a body: None where the webhook answers 400."""
    try:
        return parse_update(json.loads(body), _TG_BOT)
    except (ValueError, MalformedUpdate):  # what the route catches
        return None


def _check_action(action: Action) -> None:
    assert isinstance(action, Handle | SetBlocked | Ignore)
    if isinstance(action, Handle):
        _check_incoming(action.incoming)


def _check_incoming(incoming: Incoming) -> None:
    # What the core and the database rely on: strings, and text a database can store.
    for value in (incoming.user_key, incoming.address, incoming.text):
        assert isinstance(value, str)
        value.encode("utf-8")
    for optional in (incoming.button, incoming.locale_hint, incoming.external_id,
                     incoming.campaign):
        assert optional is None or isinstance(optional, str)
        if optional is not None:
            optional.encode("utf-8")


@PURE
@given(st.one_of(tg_update(), mutated(tg_update()), st.just({}) | JSON))
def test_telegram_parsing_raises_only_malformed_update(data: Any) -> None:
    try:
        update = parse_update(data, _TG_BOT)
    except MalformedUpdate:
        return
    _check_action(to_action(update, KEYRING))


@PURE
@given(ANY_BODY | tg_body(mutated(tg_update())))
def test_telegram_bytes_either_parse_or_are_refused_as_malformed(body: bytes) -> None:
    update = _tg_parse(body)
    if update is not None:
        _check_action(to_action(update, KEYRING))


@PURE
@given(tg_update())
def test_telegram_well_formed_updates_always_parse(data: dict[str, Any]) -> None:
    _check_action(to_action(parse_update(data, _TG_BOT), KEYRING))


def _user_key(viber_id: str) -> str:
    return KEYRING.user_key("viber", viber_id)


def _viber_parse(body: bytes) -> viber.Callback | None:
    """The webhook's reading of a signed body: None where it answers 400."""
    try:
        return viber.parse(body, _user_key)
    except viber.Malformed:
        return None


def _check_callback(callback: viber.Callback) -> None:
    if isinstance(callback, viber.UserMessage | viber.ConversationStarted):
        _check_incoming(callback.incoming)
    elif isinstance(callback, viber.Subscription):
        assert isinstance(callback.user_key, str)
    else:
        assert isinstance(callback, viber.DeliveryFailed | viber.Ignored)


@PURE
@given(ANY_BODY | viber_body(mutated(viber_callback())) | viber_body(st.just([])))
def test_viber_parsing_raises_only_malformed(body: bytes) -> None:
    try:
        callback = viber.parse(body, _user_key)
    except viber.Malformed:
        return
    _check_callback(callback)


@PURE
@given(viber_body(viber_callback()))
def test_viber_well_formed_callbacks_always_parse(body: bytes) -> None:
    _check_callback(viber.parse(body, _user_key))


@PURE
@given(st.binary(max_size=200), st.none() | st.text(CHARS, max_size=80))
def test_viber_signature_check_is_a_plain_yes_or_no(body: bytes, signature: str | None) -> None:
    assert viber.verify(VIBER_TOKEN, body, signature) is (
        signature is not None and signature.strip().lower() == sign(VIBER_TOKEN, body))


# --- through the app ------------------------------------------------------------------------


@in_module_loop
@IN_APP
@given(body=tg_body(tg_update()))
async def test_telegram_well_formed_updates_get_200(channels: Channels, body: bytes) -> None:
    response = await channels.telegram(body)
    assert response.status_code == 200, response.text


@in_module_loop
@IN_APP
@given(body=tg_body(mutated(tg_update())) | ANY_BODY,
       content_type=st.sampled_from(["application/json", "application/json; charset=utf-8"]))
async def test_telegram_malformed_bodies_get_400_never_5xx(
        channels: Channels, body: bytes, content_type: str) -> None:
    response = await channels.telegram(body, content_type=content_type)
    assert response.status_code == (400 if _tg_parse(body) is None else 200), response.text


SECRETS = st.none() | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E),
                              max_size=300).filter(lambda s: s.strip() != TELEGRAM_SECRET)


@in_module_loop
@IN_APP
@given(body=tg_body(tg_update()) | ANY_BODY, secret=SECRETS,
       content_type=st.none() | st.sampled_from(["application/json", "text/plain"]))
async def test_telegram_wrong_secret_gets_403_and_stores_nothing(
        channels: Channels, body: bytes, secret: str | None, content_type: str | None) -> None:
    before = await channels.row_counts()
    response = await channels.telegram(body, secret=secret, content_type=content_type)
    assert response.status_code == 403
    assert await channels.row_counts() == before


@in_module_loop
@IN_APP
@given(body=viber_body(viber_callback()))
async def test_viber_well_formed_callbacks_get_200(channels: Channels, body: bytes) -> None:
    response = await channels.viber(body)
    assert response.status_code == 200, response.text


@in_module_loop
@IN_APP
@given(body=viber_body(mutated(viber_callback())) | ANY_BODY)
async def test_viber_malformed_callbacks_get_400_never_5xx(channels: Channels,
                                                          body: bytes) -> None:
    response = await channels.viber(body)
    assert response.status_code == (400 if _viber_parse(body) is None else 200), response.text


def _wrong_signatures() -> st.SearchStrategy[Callable[[bytes], str | None]]:
    def other_key(key: str) -> Callable[[bytes], str]:
        return lambda body: sign(key, body)

    return st.one_of(
        st.just(lambda body: None),
        st.builds(lambda s: lambda body: s, st.text(st.characters(min_codepoint=0x20,
                                                                  max_codepoint=0x7E),
                                                    max_size=100)),
        st.builds(lambda s: lambda body: s, st.from_regex(r"\A[0-9a-f]{64}\Z")),
        st.builds(other_key, st.text(CHARS, min_size=1, max_size=60).filter(
            lambda key: key != VIBER_TOKEN)),
        st.builds(lambda extra: lambda body: sign(VIBER_TOKEN, body + extra),
                  st.binary(min_size=1, max_size=4)),
    )


@in_module_loop
@IN_APP
@given(body=viber_body(viber_callback()) | ANY_BODY, signature=_wrong_signatures())
async def test_viber_wrong_signature_gets_403_and_stores_nothing(
        channels: Channels, body: bytes, signature: Callable[[bytes], str | None]) -> None:
    header = signature(body)
    if header is not None and viber.verify(VIBER_TOKEN, body, header):
        return  # a random string that is the signature after all
    before = await channels.row_counts()
    response = await channels.viber(body, signature=header)
    assert response.status_code == 403
    assert await channels.row_counts() == before


# JSON carries lone surrogates as escapes ("\ud800"); no database can store them.
LONE_SURROGATES = st.text(st.characters(categories=["Cs"]) | CHARS, min_size=1, max_size=40)


@in_module_loop
@IN_APP
@given(text=LONE_SURROGATES, user_id=TG_IDS, viber_id=VIBER_IDS, token=TOKENS)
async def test_lone_surrogates_in_text_never_give_5xx(
        channels: Channels, text: str, user_id: int, viber_id: str, token: int) -> None:
    tg = {"update_id": user_id % 2**31, "message": {
        "message_id": 1, "from": {"id": user_id, "is_bot": False, "first_name": text,
                                  "language_code": text},
        "chat": private_chat(user_id), "date": 1767261600, "text": text}}
    assert (await channels.telegram(encode(tg))).status_code == 200
    vb = {"event": "message", "timestamp": 1, "message_token": token,
          "sender": {"id": viber_id, "name": text, "language": text},
          "message": {"type": "text", "text": text}}
    assert (await channels.viber(encode(vb))).status_code == 200
