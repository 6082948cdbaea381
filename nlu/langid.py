"""Language identification for ro, ru, uk, en, rom on short messages.

A character n-gram model trained on the same files as the intents, nudged
by letters that only one of our languages uses. A hint (the language the
user chose) wins near-ties, so "ok" or "taxi" never flips the conversation.
"""

from __future__ import annotations

import re

import numpy as np

from nlu.linear import LinearModel
from nlu.types import UNKNOWN_LANGUAGE

__all__ = ["LanguageId"]

# Letters that belong to one language only (among ours). Each found letter
# multiplies that language's probability; the model still decides the rest.
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("uk", re.compile(r"[іїєґ]")),
    ("ru", re.compile(r"[ыэъё]")),
    ("ro", re.compile(r"[ăâîșşțţ]")),
)
_CUE_BOOST = 6.0
_LETTER = re.compile(r"[^\W\d_]")
# When the hinted language is within this much probability of the best one,
# keep the hint: switching the conversation language on a coin flip is worse
# than answering a near-tie in the user's chosen language.
TIE_MARGIN = 0.25
_MIN_LETTERS = 2
# Confidence grows with the number of letters up to this many: "ok", "ty" or
# "taxi" are never clear evidence of a language, whatever the model says
# (the dialogue offers to switch language above a confidence threshold).
# A letter unique to one language counts as full evidence.
_FULL_EVIDENCE_LETTERS = 12


class LanguageId:
    """Predicts (language, confidence) for a message."""

    def __init__(self, model: LinearModel) -> None:
        self.model = model
        self.languages = list(model.classes)

    def probabilities(self, text: str) -> dict[str, float]:
        """Probability of each language, script cues applied."""
        return self._probabilities(text)[0]

    def _probabilities(self, text: str) -> tuple[dict[str, float], bool]:
        p = self.model.proba(text).astype(np.float64)
        low = text.lower()
        cued = False
        for lang, cue in _CUES:
            if lang in self.languages and cue.search(low):
                p[self.languages.index(lang)] *= _CUE_BOOST
                cued = True
        p /= p.sum()
        return {lang: float(v) for lang, v in zip(self.languages, p, strict=True)}, cued

    def identify(self, text: str, hint: str | None = None) -> tuple[str, float]:
        """The language of ``text`` and a confidence in [0, 1]; the hint breaks near-ties."""
        hint = hint if hint in self.languages else None
        letters = len(_LETTER.findall(text))
        if letters < _MIN_LETTERS:
            return (hint, 0.0) if hint else (UNKNOWN_LANGUAGE, 0.0)
        probs, cued = self._probabilities(text)
        evidence = 1.0 if cued else min(1.0, letters / _FULL_EVIDENCE_LETTERS)
        best = max(probs, key=probs.__getitem__)
        if hint and hint != best and probs[best] - probs[hint] < TIE_MARGIN:
            best = hint
        return best, probs[best] * evidence
