"""Text views and n-gram analyzers shared by training and inference.

Training hands these analyzers to scikit-learn's TfidfVectorizer; inference
runs them itself, so both see exactly the same features.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from nlu.textnorm import fold, normalize

__all__ = ["VIEWS", "Block", "analyzer", "char_wb", "lower", "words"]

_WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
_SPACES = re.compile(r"\s+")


def lower(text: str) -> str:
    """NFKC, lower case, collapsed spaces; diacritics and script kept (language cues)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"} else c for c in text)
    return _SPACES.sub(" ", text).strip()


VIEWS: dict[str, Callable[[str], str]] = {"plain": normalize, "folded": fold, "lower": lower}


def char_wb(text: str, lo: int, hi: int) -> list[str]:
    """Character n-grams inside word boundaries, as scikit-learn's ``char_wb``."""
    grams: list[str] = []
    for word in text.split():
        w = f" {word} "
        size = len(w)
        if size <= lo:
            # A short word is counted once, as itself (scikit-learn does the same).
            grams.append(w)
            continue
        grams += [w[i : i + n] for n in range(lo, min(hi, size) + 1) for i in range(size - n + 1)]
    return grams


def words(text: str, lo: int, hi: int, trim: int = 0) -> list[str]:
    """Word n-grams over tokens of two or more word characters, each cut to ``trim`` chars."""
    tokens = _WORD.findall(text)
    if trim:
        # A crude stemmer: Romanian, Russian and Ukrainian inflect the end
        # of a word, so its first letters carry the meaning.
        tokens = [t[:trim] for t in tokens]
    grams: list[str] = []
    for n in range(lo, hi + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


@dataclass(frozen=True, slots=True)
class Block:
    """One group of features: which view of the text, which n-grams."""

    name: str
    view: str  # a key of VIEWS
    kind: str  # "char_wb" or "words"
    lo: int
    hi: int
    trim: int = 0  # words only: cut each token to this many characters (0: keep)

    def to_json(self) -> dict[str, object]:
        """Plain data for the model file."""
        return {
            "name": self.name,
            "view": self.view,
            "kind": self.kind,
            "lo": self.lo,
            "hi": self.hi,
            "trim": self.trim,
        }

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> Block:
        """Inverse of ``to_json``; rejects unknown views and kinds."""
        block = cls(
            str(raw["name"]),
            str(raw["view"]),
            str(raw["kind"]),
            int(str(raw["lo"])),
            int(str(raw["hi"])),
            int(str(raw.get("trim", 0))),
        )
        if block.view not in VIEWS or block.kind not in {"char_wb", "words"}:
            raise ValueError(f"unknown feature block {raw!r}")
        return block


def analyzer(block: Block) -> Callable[[str], list[str]]:
    """The n-gram function of a block, applied to an already prepared view."""
    lo, hi, trim = block.lo, block.hi, block.trim
    if block.kind == "char_wb":
        return lambda text: char_wb(text, lo, hi)
    return lambda text: words(text, lo, hi, trim)
