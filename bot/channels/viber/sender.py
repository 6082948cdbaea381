"""The outbox's sender for Viber: one reply becomes one or more send_message calls.

Sent with httpx, not viberbot (see ``api.py`` for why). A reply split into several
messages is sent part by part; if a later part fails, the outbox retries the whole
reply, so a long answer can repeat its first part after an outage.
"""

from __future__ import annotations

import logging
from typing import Final

from bot.channels.viber.api import ViberApi
from bot.channels.viber.welcome import InlineReplies
from bot.channels.viber.wire import Profile, message_bodies
from bot.core.messages import Outgoing

log = logging.getLogger(__name__)

CHANNEL: Final = "viber"


class ViberSender:
    """Delivers replies through the Viber REST API; failures are typed SendErrors."""

    channel = CHANNEL

    def __init__(self, api: ViberApi, profile: Profile,
                 inline: InlineReplies | None = None) -> None:
        self.api = api
        self.profile = profile
        self.inline = inline or InlineReplies()

    async def send(self, address: str, message: Outgoing) -> None:
        """Deliver one reply to a Viber user id, or raise a SendError."""
        if await self.inline.absorb(address, message):
            log.debug("viber_reply_given_inline")
            return
        for body in message_bodies(message, self.profile):
            await self.api.send_message(address, body)
