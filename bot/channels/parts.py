"""Which parts of a long reply already went out, so that a retry resumes after them.

A reply longer than a platform's limit is sent as several messages. When a later
part fails (an outage, a 429), the outbox retries the whole reply; without this
the user would read the first parts twice. Progress is kept in memory, for the
most recent replies: after a restart a retry starts again from the first part.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from bot.core.messages import Outgoing

__all__ = ["PartProgress"]

REMEMBERED = 1024  # multi-part replies whose first parts went out before a failure


class PartProgress:
    """How many parts of each unfinished reply were delivered."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self._sent: OrderedDict[str, int] = OrderedDict()
        self._size = size

    @staticmethod
    def key(address: str, message: Outgoing) -> str:
        """One reply to one recipient (the same text and buttons again is the same reply)."""
        ids = ",".join(message.button_ids())
        return hashlib.sha256(f"{address}\0{message.text}\0{ids}".encode()).hexdigest()

    def start(self, key: str) -> int:
        """The first part still to send."""
        return self._sent.get(key, 0)

    def delivered(self, key: str, parts: int) -> None:
        """The first ``parts`` parts are with the user."""
        self._sent[key] = parts
        self._sent.move_to_end(key)
        while len(self._sent) > self._size:
            self._sent.popitem(last=False)

    def done(self, key: str) -> None:
        """Every part went out: a later send of the same reply starts from the first."""
        self._sent.pop(key, None)
