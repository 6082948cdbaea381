"""The pure mapping: a Telegram update (parsed by the library) → what the core should do."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pytest
from telegram import Bot

from bot.channels.telegram.handler import (
    Handle,
    Ignore,
    MalformedUpdate,
    SetBlocked,
    parse_update,
    to_action,
)
from bot.core.messages import Kind
from bot.crypto import Keyring
from tests.channels.telegram.conftest import FIXTURE_USER, load
from tests.fakes.telegram_api import TOKEN

KEYRING = Keyring(b"test-secret-key-not-for-production")
USER_KEY = KEYRING.user_key("telegram", str(FIXTURE_USER))
BOT = Bot(TOKEN, base_url="http://127.0.0.1:9/bot")  # never called: parsing needs no network


def msg(kind: Kind, text: str = "", lang: str = "ro", **extra: Any) -> dict[str, Any]:
    """The Incoming fields expected from a private message of the fixture user."""
    return {"kind": kind, "text": text, "locale_hint": lang, "button": None, **extra}


MAPPING: list[tuple[str, str, dict[str, Any] | SetBlocked | Ignore]] = [
    # label, fixture → expected Incoming fields, or the other action
    ("Receive text message", "update_message_text",
     msg(Kind.TEXT, "Привіт! Хочу працювати в Німеччині. Це безпечно?", lang="uk")),
    ("Receive start with a deep-link payload (kept as text: the core reads the campaign)",
     "update_message_start_deeplink", msg(Kind.TEXT, "/start ref-campaign_42")),
    ("Receive command with the bot's name", "update_message_command_with_botname",
     msg(Kind.TEXT, "/help@safemig_test_bot")),
    ("Receive edited message (a correction is a new message)", "update_edited_message",
     msg(Kind.TEXT, "Vreau să lucrez în Germania, e sigur?")),
    ("Receive button press", "update_callback_query",
     msg(Kind.BUTTON, button="lang:ro", callback="1771028394857362910")),
    ("Receive button press on a message too old to read", "update_callback_query_old_message",
     msg(Kind.BUTTON, button="lang:ro", callback="1771028394857362911")),
    ("Receive photo (the caption is kept, the file is not fetched)", "update_message_photo",
     msg(Kind.PHOTO, "Oferta de muncă din poză")),
    ("Receive voice", "update_message_voice", msg(Kind.VOICE)),
    ("Receive sticker", "update_message_sticker", msg(Kind.STICKER)),
    ("Receive document", "update_message_document", msg(Kind.DOCUMENT, "Contractul de la agenție")),
    ("Receive location (no coordinates)", "update_message_location", msg(Kind.LOCATION)),
    ("Receive venue (no coordinates, no address)", "update_message_venue", msg(Kind.LOCATION)),
    ("Receive contact (no phone number, no name)", "update_message_contact", msg(Kind.CONTACT)),
    ("Receive video note", "update_message_video_note", msg(Kind.VIDEO)),
    ("Receive animation (a GIF is a reaction, like a sticker)", "update_message_animation",
     msg(Kind.STICKER)),
    ("Receive dice", "update_message_dice", msg(Kind.OTHER)),
    ("Receive block", "update_my_chat_member_blocked", SetBlocked(USER_KEY, blocked=True)),
    ("Receive unblock", "update_my_chat_member_unblocked", SetBlocked(USER_KEY, blocked=False)),
    ("Receive live location update", "update_edited_message_live_location",
     Ignore("edited_non_text")),
    ("Receive group message", "update_message_group_text", Ignore("not_private_chat")),
    ("Receive bot added to a group", "update_my_chat_member_group_added",
     Ignore("not_private_chat")),
    ("Receive button press on an inline message", "update_callback_query_inline_message",
     Ignore("inline_message", callback_query_id="1771028394857362912")),
    ("Receive unhandled update type", "update_inline_query", Ignore("unhandled_update_type")),
]


@pytest.mark.parametrize(("label", "fixture", "expected"), MAPPING, ids=[m[0] for m in MAPPING])
def test_mapping(label: str, fixture: str, expected: dict[str, Any] | SetBlocked | Ignore
                 ) -> None:
    data = load(fixture)
    action = to_action(parse_update(data, BOT), KEYRING)
    if not isinstance(expected, dict):
        assert action == expected, label
        return
    assert isinstance(action, Handle), label
    fields = asdict(action.incoming)
    got = {k: fields[k] for k in ("kind", "text", "locale_hint", "button")}
    want = {k: v for k, v in expected.items() if k != "callback"}
    assert got == want, label
    assert (fields["channel"], fields["user_key"], fields["address"], fields["external_id"],
            fields["campaign"]) == ("telegram", USER_KEY, str(FIXTURE_USER),
                                    str(data["update_id"]), None)
    assert action.callback_query_id == expected.get("callback")


@pytest.mark.parametrize("fixture", ["update_message_contact", "update_message_location",
                                     "update_message_venue", "update_message_text"])
def test_nothing_of_the_profile_reaches_the_core(fixture: str) -> None:
    action = to_action(parse_update(load(fixture), BOT), KEYRING)
    assert isinstance(action, Handle)
    fields = asdict(action.incoming)
    assert fields.pop("address") == str(FIXTURE_USER)  # encrypted before it is stored
    seen = repr(fields)
    for private in ("Zinaida", "Prodanciuc", "zina_prodanciuc_md", "37369123456", "47.02",
                    "28.83", "Piața", "Eminescu", "VCARD", str(FIXTURE_USER)):
        assert private not in seen, private


def test_a_lone_surrogate_does_not_reach_the_database() -> None:
    data = load("update_message_text")
    data["message"]["text"] = "ok \ud800 ok"
    action = to_action(parse_update(data, BOT), KEYRING)
    assert isinstance(action, Handle)
    action.incoming.text.encode("utf-8")  # would raise on a surrogate


def test_a_message_without_a_language_code_has_no_hint() -> None:
    data = load("update_message_text")
    del data["message"]["from"]["language_code"]
    action = to_action(parse_update(data, BOT), KEYRING)
    assert isinstance(action, Handle) and action.incoming.locale_hint is None


@pytest.mark.parametrize("data", [
    [1, 2], "text", {}, {"update_id": "1"}, {"update_id": True},
    load("update_malformed_no_update_id"), load("update_malformed_update_id_string"),
    load("update_malformed_message_without_date"),
    {"update_id": 1, "message": "not an object"}, {"update_id": 1, "callback_query": {"id": "1"}},
])
def test_malformed_updates_are_refused(data: Any) -> None:
    with pytest.raises(MalformedUpdate):
        parse_update(data, BOT)
