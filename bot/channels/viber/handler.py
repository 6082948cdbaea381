"""Viber callbacks in: signature check and parsing into core types. Pure: no I/O.

viberbot's ``create_request`` (what ``Api.parse_request`` runs after ``json.loads``)
builds the request objects; we call it directly because ``parse_request`` logs the
whole request, names and avatars included, at debug level. Nothing from viberbot
leaves this module. Event shapes: https://creators.viber.com/docs/bots-api/events/intro
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from viberbot.api import messages as viber_messages
from viberbot.api.viber_requests import EVENT_TYPE_TO_CLASS, create_request

from bot.channels.viber.keyboard import pressed
from bot.core.messages import Incoming, Kind
from bot.core.turn import CAMPAIGN

CHANNEL: Final = "viber"
SIGNATURE_HEADER: Final = "X-Viber-Content-Signature"

# What a user can send, as the core sees it. No core kind for a shared link: its address
# is what the user said, so it arrives as text. Media URLs, file names, contact numbers
# and coordinates are never copied into the core.
KINDS: Final = {
    "text": Kind.TEXT,
    "url": Kind.TEXT,
    "picture": Kind.PHOTO,
    "video": Kind.VIDEO,
    "file": Kind.DOCUMENT,
    "sticker": Kind.STICKER,
    "contact": Kind.CONTACT,
    "location": Kind.LOCATION,
}
_CAPTIONED = frozenset({"picture", "video"})
_MAX_ID = 128


class Malformed(Exception):
    """The body is not a Viber callback we can read (the webhook answers 400)."""


@dataclass(frozen=True, slots=True)
class UserMessage:
    """``message``: something the user sent, for the core."""

    incoming: Incoming


@dataclass(frozen=True, slots=True)
class ConversationStarted:
    """``conversation_started``: the user opened the chat; answered with a welcome."""

    incoming: Incoming


@dataclass(frozen=True, slots=True)
class Subscription:
    """``subscribed`` / ``unsubscribed``."""

    user_key: str
    subscribed: bool


@dataclass(frozen=True, slots=True)
class DeliveryFailed:
    """``failed``: a sent message failed the client's checks."""

    message_token: int


@dataclass(frozen=True, slots=True)
class Ignored:
    """An event we answer 200 and otherwise drop (webhook, delivered, seen, unknown ones)."""

    event: str


Callback = UserMessage | ConversationStarted | Subscription | DeliveryFailed | Ignored
UserKey = Callable[[str], str]


def verify(token: str, body: bytes, signature: str | None) -> bool:
    """Whether the signature is the HMAC-SHA256 of the exact body, keyed with the token."""
    if not signature:
        return False
    expected = hmac.new(token.encode(), body, hashlib.sha256).hexdigest().encode()
    # Constant time: viberbot's own verify_signature compares with ==.
    return hmac.compare_digest(expected, signature.strip().lower().encode("utf-8", "replace"))


def parse(body: bytes, user_key: UserKey) -> Callback:
    """Read a verified callback body; raises Malformed when it is not a Viber callback."""
    try:
        data = json.loads(body)
    except ValueError as exc:  # includes bad UTF-8
        raise Malformed("not json") from exc
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise Malformed("not an event")
    event: str = data["event"]
    if event not in EVENT_TYPE_TO_CLASS:
        if "timestamp" not in data:
            raise Malformed("not an event")
        return Ignored(event[:32])  # e.g. client_status, which viberbot refuses
    if event == "message" and _unknown_message_type(data):
        return UserMessage(_other_message(data, user_key))
    try:
        request = create_request(data)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise Malformed("missing or mistyped field") from exc
    except Exception as exc:  # viberbot raises bare Exception for what it cannot read
        raise Malformed("unreadable message") from exc
    return _callback(event, data, request, user_key)


def _callback(event: str, data: dict[str, Any], request: Any, user_key: UserKey) -> Callback:
    if event == "message":
        # viberbot accepted the message, so its type is one of the names it knows.
        return UserMessage(_message(data["message"]["type"], request, user_key))
    if event == "conversation_started":
        return ConversationStarted(_conversation_started(request, user_key))
    if event == "subscribed":
        return Subscription(user_key(_user_id(request.user.id)), subscribed=True)
    if event == "unsubscribed":
        return Subscription(user_key(_user_id(request.user_id)), subscribed=False)
    if event == "failed":
        return DeliveryFailed(_token(request.message_token))
    return Ignored(event)


def _message(viber_type: str, request: Any, user_key: UserKey) -> Incoming:
    sender_id = _user_id(request.sender.id)
    message = request.message
    kind = KINDS.get(viber_type, Kind.OTHER)
    text = ""
    if viber_type == "text":
        text = _text(message.text)
        button = pressed(text)
        if button is not None:
            return _incoming(sender_id, request, user_key, kind=Kind.BUTTON, button=button)
    elif viber_type == "url":
        text = _text(message.media)
    elif viber_type in _CAPTIONED:
        text = message.text if isinstance(message.text, str) else ""
    return _incoming(sender_id, request, user_key, kind=kind, text=text)


def _incoming(sender_id: str, request: Any, user_key: UserKey, **fields: Any) -> Incoming:
    return Incoming(channel=CHANNEL, user_key=user_key(sender_id), address=sender_id,
                    locale_hint=_language(request.sender.language),
                    external_id=f"message:{_token(request.message_token)}", **fields)


def _conversation_started(request: Any, user_key: UserKey) -> Incoming:
    user_id = _user_id(request.user.id)
    context = request.context
    # The deep link's context becomes a campaign only when it looks like one; anything
    # else (free text, long strings) is not stored at all.
    campaign = context if isinstance(context, str) and CAMPAIGN.match(context) else None
    return Incoming(channel=CHANNEL, user_key=user_key(user_id), address=user_id,
                    text=f"/start {campaign}" if campaign else "/start",
                    locale_hint=_language(request.user.language), campaign=campaign)


def _unknown_message_type(data: dict[str, Any]) -> bool:
    message = data.get("message")
    return (isinstance(message, dict) and isinstance(message.get("type"), str)
            and message["type"] not in viber_messages.MESSAGE_TYPE_TO_CLASS)


def _other_message(data: dict[str, Any], user_key: UserKey) -> Incoming:
    """A message type newer than viberbot (it would refuse it): still polite, as Kind.OTHER."""
    sender = data.get("sender")
    if not isinstance(sender, dict) or "timestamp" not in data:
        raise Malformed("missing or mistyped field")
    sender_id = _user_id(sender.get("id"))
    return Incoming(channel=CHANNEL, user_key=user_key(sender_id), address=sender_id,
                    kind=Kind.OTHER, locale_hint=_language(sender.get("language")),
                    external_id=f"message:{_token(data.get('message_token'))}")


def _user_id(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > _MAX_ID:
        raise Malformed("bad user id")
    return value


def _token(value: Any) -> int:
    if type(value) is not int:
        raise Malformed("bad message token")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise Malformed("text is not a string")
    return value


def _language(value: Any) -> str | None:
    return value[:16] if isinstance(value, str) and value else None
