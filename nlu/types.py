"""The values the NLU hands to the dialogue: a parse and its entities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["EMBEDDED", "FALLBACK_INTENT", "NLU", "RASA", "UNKNOWN_LANGUAGE", "Entity", "Parse"]

FALLBACK_INTENT = "nlu_fallback"  # Rasa's name, so both backends agree
UNKNOWN_LANGUAGE = "und"  # BCP-47 "undetermined"
EMBEDDED = "embedded"
RASA = "rasa"


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity found in a message; start/end index the original text."""

    entity: str
    value: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Parse:
    """What a message means: intent, language, entities and how sure we are."""

    text: str
    intent: str
    confidence: float
    language: str
    language_confidence: float
    entities: tuple[Entity, ...]
    ranking: tuple[tuple[str, float], ...]
    safety_rule: str | None
    backend: str

    def countries(self) -> tuple[str, ...]:
        """Distinct country codes in the order they appear."""
        return tuple(dict.fromkeys(e.value for e in self.entities if e.entity == "country"))

    def to_json(self) -> dict[str, object]:
        """The CONTRACTS.md jsonl shape."""
        return {
            "text": self.text,
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "language": self.language,
            "entities": [{"entity": e.entity, "value": e.value} for e in self.entities],
        }


class NLU(Protocol):
    """Anything that can parse a message: the embedded model or the Rasa client."""

    async def parse(self, text: str, *, lang_hint: str | None = None) -> Parse:
        """Parse one message; never raises on bad input."""
        ...
