"""Telegram updates → what the core should do. Pure: no I/O, no database, no logging.

Only the user's numeric id (pseudonymised at once), the chat id (the reply
address) and ``language_code`` are read from a profile; names, usernames,
photos, phone numbers and coordinates are never copied out of the update.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Bot, CallbackQuery, Chat, ChatMemberUpdated, Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType

from bot.core.messages import Incoming, Kind
from bot.crypto import Keyring

CHANNEL = "telegram"

# Message content → the core's kind, checked in this order: an animation also carries
# `document`, a venue also carries `location` (https://core.telegram.org/bots/api#message).
# GIFs are used as reactions, so they get the sticker answer.
_CONTENT_KINDS: tuple[tuple[str, Kind], ...] = (
    ("sticker", Kind.STICKER),
    ("animation", Kind.STICKER),
    ("photo", Kind.PHOTO),
    ("voice", Kind.VOICE),
    ("audio", Kind.VOICE),
    ("video_note", Kind.VIDEO),
    ("video", Kind.VIDEO),
    ("document", Kind.DOCUMENT),
    ("venue", Kind.LOCATION),
    ("location", Kind.LOCATION),
    ("contact", Kind.CONTACT),
    ("dice", Kind.OTHER),
    ("poll", Kind.OTHER),
    ("game", Kind.OTHER),
    ("story", Kind.OTHER),
    ("paid_media", Kind.OTHER),
    ("checklist", Kind.OTHER),
    ("invoice", Kind.OTHER),
)
# Kinds whose caption is kept as the message text (the coordinates and the phone number of
# LOCATION and CONTACT have no caption and are never read).
_CAPTIONED = frozenset({Kind.PHOTO, Kind.VIDEO, Kind.DOCUMENT, Kind.VOICE})


class MalformedUpdate(ValueError):
    """The body is JSON but not an Update the library can read."""


@dataclass(frozen=True, slots=True)
class Handle:
    """Hand a message or a button press to the dialogue."""

    incoming: Incoming
    callback_query_id: str | None = None


@dataclass(frozen=True, slots=True)
class SetBlocked:
    """The user blocked (or unblocked) the bot in their private chat."""

    user_key: str
    blocked: bool


@dataclass(frozen=True, slots=True)
class Ignore:
    """Nothing for the core: answer 200 and stay silent (``reason`` is for the logs)."""

    reason: str
    callback_query_id: str | None = None


Action = Handle | SetBlocked | Ignore


def parse_update(data: Any, bot: Bot) -> Update:
    """The library's reading of a webhook body; raises MalformedUpdate."""
    if not isinstance(data, dict):
        raise MalformedUpdate("an update is a JSON object")
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise MalformedUpdate("update_id must be an integer")
    try:
        update = Update.de_json(data, bot)
    except Exception as exc:  # de_json raises KeyError, TypeError, AttributeError, ...
        raise MalformedUpdate(type(exc).__name__) from exc
    _check_types(update)
    return update


def _check_types(update: Update) -> None:
    """Raise MalformedUpdate unless what ``to_action`` reads has the type it needs.

    The library does not check types: ``"text": 5`` or a message without ``chat``
    reads fine, and would fail later, as a 500 instead of a 400.
    """
    for message in (update.message, update.edited_message):
        if message is not None:
            _need(_is_chat(message.chat), "message.chat")
            _need(message.from_user is None or _is_user(message.from_user), "message.from")
            _need(isinstance(message.text, str | None), "message.text")
            _need(isinstance(message.caption, str | None), "message.caption")
    query = update.callback_query
    if query is not None:
        _need(isinstance(query.id, str), "callback_query.id")
        _need(_is_user(query.from_user), "callback_query.from")
        _need(query.message is None or _is_chat(query.message.chat), "callback_query.message")
        _need(isinstance(query.data, str | None), "callback_query.data")
    change = update.my_chat_member
    if change is not None:
        _need(_is_chat(change.chat) and _is_user(change.from_user), "my_chat_member")
        _need(isinstance(getattr(change.new_chat_member, "status", None), str),
              "my_chat_member.new_chat_member")


def _need(ok: bool, field: str) -> None:
    if not ok:
        raise MalformedUpdate(f"{field} is missing or mistyped")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_chat(chat: Any) -> bool:
    return isinstance(chat, Chat) and _is_int(chat.id) and isinstance(chat.type, str)


def _is_user(user: Any) -> bool:
    return (isinstance(user, User) and _is_int(user.id)
            and isinstance(user.language_code, str | None))


def to_action(update: Update, keyring: Keyring) -> Action:
    """Decide what one update means for the core."""
    external_id = str(update.update_id)
    if update.message is not None:
        return _message(update.message, keyring, external_id, edited=False)
    if update.edited_message is not None:
        return _message(update.edited_message, keyring, external_id, edited=True)
    if update.callback_query is not None:
        return _callback(update.callback_query, keyring, external_id)
    if update.my_chat_member is not None:
        return _member(update.my_chat_member, keyring)
    return Ignore("unhandled_update_type")


def _incoming(user: User, chat_id: int, keyring: Keyring, external_id: str,
              **fields: Any) -> Incoming:
    return Incoming(channel=CHANNEL, user_key=keyring.user_key(CHANNEL, str(user.id)),
                    address=str(chat_id), locale_hint=user.language_code,
                    external_id=external_id, **fields)


def _message(message: Message, keyring: Keyring, external_id: str, *, edited: bool) -> Action:
    user = message.from_user
    if message.chat.type != ChatType.PRIVATE:
        return Ignore("not_private_chat")  # this bot serves private chats only
    if user is None or user.is_bot:
        return Ignore("no_sender")
    if message.text is not None:
        # `/start PAYLOAD` stays text: the core reads the campaign from it.
        return Handle(_incoming(user, message.chat.id, keyring, external_id,
                                kind=Kind.TEXT, text=_clean(message.text)))
    if edited:
        # Caption edits and live-location updates arrive as edits: the person did not send
        # anything new, so there is nothing to answer again.
        return Ignore("edited_non_text")
    kind = next((k for attr, k in _CONTENT_KINDS if getattr(message, attr, None)), None)
    if kind is None:
        return Ignore("service_message")  # pinned messages, timers, and other chat events
    caption = message.caption if kind in _CAPTIONED and message.caption else ""
    return Handle(_incoming(user, message.chat.id, keyring, external_id, kind=kind,
                            text=_clean(caption)))


def _callback(query: CallbackQuery, keyring: Keyring, external_id: str) -> Action:
    # `message` is None for inline-mode messages, and an InaccessibleMessage (still with its
    # chat) for old ones (https://core.telegram.org/bots/api#callbackquery).
    if query.message is None:
        return Ignore("inline_message", callback_query_id=query.id)
    chat = query.message.chat
    if chat.type != ChatType.PRIVATE:
        return Ignore("not_private_chat", callback_query_id=query.id)
    if not query.data:
        return Ignore("no_callback_data", callback_query_id=query.id)
    incoming = _incoming(query.from_user, chat.id, keyring, external_id, kind=Kind.BUTTON,
                         button=query.data)
    return Handle(incoming, callback_query_id=query.id)


def _member(change: ChatMemberUpdated, keyring: Keyring) -> Action:
    # In private chats this update comes only when the user blocks or unblocks the bot
    # (https://core.telegram.org/bots/api#update, my_chat_member).
    if change.chat.type != ChatType.PRIVATE:
        return Ignore("not_private_chat")
    user_key = keyring.user_key(CHANNEL, str(change.from_user.id))
    status = change.new_chat_member.status
    if status == ChatMemberStatus.BANNED:  # "kicked" on the wire
        return SetBlocked(user_key, blocked=True)
    if status == ChatMemberStatus.MEMBER:
        return SetBlocked(user_key, blocked=False)
    return Ignore("member_status")


def _clean(text: str) -> str:
    # JSON may carry lone surrogates ("\ud800"); no database stores them.
    return text.encode("utf-8", "replace").decode("utf-8")
