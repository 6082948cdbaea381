"""The outbox's sender for Viber: one reply becomes one or more send_message calls.

Sent with httpx, not viberbot (see ``api.py`` for why). A reply split into several
messages is sent part by part; if a later part fails, the outbox's retry resumes
after the parts already delivered (``bot.channels.parts``).
"""

from __future__ import annotations

import logging
from typing import Final

from bot.channels.parts import PartProgress
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
        self._progress = PartProgress()

    async def send(self, address: str, message: Outgoing) -> None:
        """Deliver one reply to a Viber user id, or raise a SendError."""
        if await self.inline.absorb(address, message):
            log.debug("viber_reply_given_inline")
            return
        bodies = message_bodies(message, self.profile)
        key = PartProgress.key(address, message)
        for index in range(self._progress.start(key), len(bodies)):
            await self.api.send_message(address, bodies[index])
            if index < len(bodies) - 1:
                self._progress.delivered(key, index + 1)
        self._progress.done(key)
