"""Channel-neutral messages: what adapters hand to the core and get back.

SDK types never enter the core; adapters translate wire formats to these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What a user sent; everything that is not text or a button press gets a polite answer."""

    TEXT = "text"
    BUTTON = "button"
    STICKER = "sticker"
    PHOTO = "photo"
    VOICE = "voice"
    VIDEO = "video"
    DOCUMENT = "document"
    LOCATION = "location"
    CONTACT = "contact"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Button:
    """A button: a stable payload id and the label in the user's language."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One reply: text in the content Markdown subset, with optional button rows."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    language: str = "en"

    def to_json(self) -> dict[str, Any]:
        """The form kept in the outbox."""
        return {
            "text": self.text,
            "language": self.language,
            "buttons": [[{"id": b.id, "label": b.label} for b in row] for row in self.buttons],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outgoing:
        """Rebuild a reply from its outbox form."""
        rows = tuple(
            tuple(Button(id=str(b["id"]), label=str(b["label"])) for b in row)
            for row in data.get("buttons", [])
        )
        return cls(text=str(data["text"]), buttons=rows, language=str(data.get("language", "en")))

    def button_ids(self) -> list[str]:
        """Every button id, row by row."""
        return [b.id for row in self.buttons for b in row]


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a user did, as the core sees it.

    ``user_key`` is already a pseudonym; ``address`` is what the channel needs
    to reply and is stored only encrypted. ``external_id`` (update id, message
    token) lets the core drop duplicate deliveries.
    """

    channel: str
    user_key: str
    address: str
    kind: Kind = Kind.TEXT
    text: str = ""
    button: str | None = None
    locale_hint: str | None = None
    campaign: str | None = None
    external_id: str | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
