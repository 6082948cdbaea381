"""The embedded NLU: intent, language, countries and the safety net, in-process."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from nlu.cache import Artifacts
from nlu.entities import Gazetteer
from nlu.features import words
from nlu.langid import LanguageId
from nlu.safety import SafetyNet
from nlu.textnorm import clean, fold
from nlu.types import EMBEDDED, FALLBACK_INTENT, UNKNOWN_LANGUAGE, Entity, Parse

__all__ = ["EMERGENCY", "EMERGENCY_FLOOR", "THRESHOLD", "EmbeddedNLU"]

EMERGENCY = "emergency"
OUT_OF_SCOPE = "out_of_scope"
# Below this top probability the intent is nlu_fallback and the dialogue asks
# "did you mean ...?". Chosen on the held-out split (nlu/README.md).
THRESHOLD = 0.30
# The classifier's emergency probability that is enough on its own, even when
# another intent scores higher: a missed emergency costs more than a question.
EMERGENCY_FLOOR = 0.30
# Long pastes (a whole job advert) are classified by their start; the safety
# net and the country search read further.
MAX_CLASSIFY = 1000
MAX_ENTITIES = 10_000
RANKING_SIZE = 3
_LETTER = re.compile(r"[^\W\d_]")


class EmbeddedNLU:
    """Parses messages with the models of one data directory."""

    backend = EMBEDDED

    def __init__(
        self,
        artifacts: Artifacts,
        safety: SafetyNet,
        *,
        threshold: float = THRESHOLD,
        emergency_floor: float = EMERGENCY_FLOOR,
    ) -> None:
        self.artifacts = artifacts
        self.intents = artifacts.intent
        self.langid = LanguageId(artifacts.lang)
        self.gazetteer = Gazetteer(artifacts.names, artifacts.never)
        self.safety = safety
        self.threshold = threshold
        self.emergency_floor = emergency_floor
        self._words = next(
            (v for b, v in zip(self.intents.blocks, self.intents.vocabs, strict=True)
             if b.view == "folded" and b.kind == "words" and not b.trim),
            None,
        )

    async def parse(self, text: str, *, lang_hint: str | None = None) -> Parse:
        """Parse one message (CPU-bound, about a millisecond: no thread hop needed)."""
        return self.parse_sync(text, lang_hint=lang_hint)

    def parse_sync(self, text: str, *, lang_hint: str | None = None) -> Parse:
        """Parse one message; never raises on bad input."""
        text = clean(text) if isinstance(text, str) else ""
        head = text[:MAX_CLASSIFY]
        language, language_confidence = self.langid.identify(head, lang_hint)
        entities = tuple(self.gazetteer.extract(text[:MAX_ENTITIES]))
        rule = self.safety.check(text)
        ranking = self.rank(head) if _LETTER.search(head) else ()
        parse = self.decide(text, ranking, language, language_confidence, entities, rule)
        if parse.intent == OUT_OF_SCOPE and not self.knows_a_word(head):
            # Keyboard mash ("qwxz plorp zzzt") shares no word with the training data, yet
            # its character n-grams land on out_of_scope (which holds chit-chat and
            # laughter), sometimes confidently. Not understood is the honest answer: the
            # dialogue then offers the likeliest topics. Only out_of_scope is undone:
            # a misspelt real question keeps the intent its n-grams found.
            parse = replace(parse, intent=FALLBACK_INTENT)
        return parse

    def knows_a_word(self, text: str) -> bool:
        """Whether any word of ``text`` occurs in the intent model's training data."""
        vocab = self._words
        return vocab is None or any(w in vocab for w in words(fold(text), 1, 1))

    def rank(self, text: str) -> tuple[tuple[str, float], ...]:
        """All intents with their probabilities, best first."""
        probs = self.intents.proba(text)
        order = np.argsort(-probs)
        return tuple((self.intents.classes[i], float(probs[i])) for i in order)

    def decide(
        self,
        text: str,
        ranking: tuple[tuple[str, float], ...],
        language: str,
        language_confidence: float,
        entities: tuple[Entity, ...],
        rule: str | None,
        backend: str = EMBEDDED,
    ) -> Parse:
        """Combine classifier ranking, threshold, emergency floor and safety rule."""
        intent, confidence = ranking[0] if ranking else (FALLBACK_INTENT, 0.0)
        p_emergency = dict(ranking).get(EMERGENCY, 0.0)
        if rule is not None and not self.safety.overrides(rule, intent, confidence):
            rule = None  # a guarded rule yields to a confident, more specific intent
        if rule is not None:
            intent, confidence = EMERGENCY, 1.0
        elif p_emergency >= self.emergency_floor:
            intent, confidence = EMERGENCY, p_emergency
        elif confidence < self.threshold:
            intent = FALLBACK_INTENT
        return Parse(
            text=text,
            intent=intent,
            confidence=confidence,
            language=language or UNKNOWN_LANGUAGE,
            language_confidence=language_confidence,
            entities=entities,
            ranking=ranking[:RANKING_SIZE],
            safety_rule=rule,
            backend=backend,
        )
