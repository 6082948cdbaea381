"""Replies as the JSON Viber expects: send_message bodies and the welcome message.

Text is plain (Viber shows no Markdown), at most 7,000 characters per message; a
longer reply becomes several messages and its keyboard rides on the last one.
https://creators.viber.com/docs/bots-api/resources/messaging/send-message
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.channels.viber import keyboard
from bot.core.messages import Outgoing
from bot.render import split_message, to_plain

MAX_TEXT: Final = 7000
MAX_NAME: Final = 28


@dataclass(frozen=True, slots=True)
class Profile:
    """How the bot appears on each message: VIBER_BOT_NAME and VIBER_BOT_AVATAR."""

    name: str
    avatar: str = ""

    def to_json(self) -> dict[str, str]:
        """The ``sender`` object of a message."""
        sender = {"name": self.name[:MAX_NAME]}
        if self.avatar:
            sender["avatar"] = self.avatar
        return sender


def message_bodies(message: Outgoing, profile: Profile) -> list[dict[str, Any]]:
    """The send_message bodies (without ``receiver``) for one reply, in order."""
    parts = split_message(to_plain(message.text), MAX_TEXT)
    bodies: list[dict[str, Any]] = [
        {"sender": profile.to_json(), "type": "text", "text": part} for part in parts
    ]
    if message.buttons:
        if not bodies:  # buttons alone: a keyboard message has no type
            bodies.append({"sender": profile.to_json()})
        bodies[-1]["keyboard"] = keyboard.keyboard(message.buttons)
        bodies[-1]["min_api_version"] = keyboard.API_VERSION
    return bodies


def welcome_body(replies: Sequence[Outgoing], profile: Profile) -> dict[str, Any] | None:
    """The one message that answers conversation_started, made of all the replies."""
    # Viber takes a single message there, so the replies are joined and the last keyboard
    # is kept: https://creators.viber.com/docs/bots-api/resources/messaging/welcome-message
    if not replies:
        return None
    buttons = next((r.buttons for r in reversed(replies) if r.buttons), ())
    joined = Outgoing(text="\n\n".join(r.text for r in replies if r.text.strip()),
                      buttons=buttons, language=replies[-1].language)
    bodies = message_bodies(joined, profile)
    if not bodies:
        return None
    first = bodies[0]
    if len(bodies) > 1:  # cannot happen with today's greetings; keep the buttons if it does
        first.update({k: v for k, v in bodies[-1].items() if k in ("keyboard", "min_api_version")})
    return first
