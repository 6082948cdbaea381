"""Country entities: any spelling, script or inflection -> ISO 3166-1 alpha-2.

Names come from ``nlu/rules/countries.yml`` (a base list), the synonyms and
lookup table in the training data, and the annotated examples. Matching runs
on the folded text (so "Германию" and "Germaniyu" are the same) and accepts
an inflected ending on a known name ("Germaniei", "в Италии", "у Польщі").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from nlu.data import TrainingData
from nlu.textnorm import fold, fold_map
from nlu.types import Entity

__all__ = [
    "COUNTRY",
    "Gazetteer",
    "base_rules_path",
    "build_gazetteer",
    "country_names",
    "load_base",
    "stems",
]

COUNTRY = "country"
_CODE = re.compile(r"^[A-Z]{2}$")
_TOKEN = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Inflectional endings of folded Romanian, Russian, Ukrainian (and Romani
# locative/ablative) nouns. A token minus one of these is a stem candidate.
_ENDINGS = (
    "ului", "iei", "ei", "ii", "ia", "ie", "iu", "ea", "ul", "lui",
    "iya", "iyu", "iyei", "iyi", "ya", "yu", "ye", "yi", "oi", "oyu", "eyu", "om", "em",
    "ami", "ah", "akh", "ov", "ev", "yh", "ih", "ykh", "ikh", "ym", "im", "ogo", "ego", "aya",
    "oe", "uyu",
    "ate", "atar", "aske", "ake",
    "a", "e", "i", "u", "o", "y",
)  # fmt: skip
# Moldova is where our users start from, never a destination: the taxonomy's
# country entity is the destination, so Moldova is not reported.
NOT_DESTINATIONS = frozenset({"MD"})
_MIN_STEM = 4  # "chin" (torment) must not match "china"; stems shorter than this never match
_MIN_STEM_MULTI = 3  # inside a multi-word name the other words disambiguate ("marii britanii")


def base_rules_path() -> Path:
    """The base country list shipped with the code."""
    return Path(__file__).resolve().parent / "rules" / "countries.yml"


@lru_cache(maxsize=65536)
def stems(token: str, min_len: int = _MIN_STEM) -> frozenset[str]:
    """Stems of a folded token: the token minus each known ending (never the token itself)."""
    return frozenset(
        token[: -len(e)] for e in _ENDINGS if token.endswith(e) and len(token) - len(e) >= min_len
    )


@dataclass(frozen=True, slots=True)
class _Name:
    tokens: tuple[str, ...]
    code: str
    shout_only: bool  # two-letter names ("UK") only count in capitals


class Gazetteer:
    """Finds country names in text; build it once, call ``extract`` per message."""

    def __init__(self, names: Mapping[str, str], never: Iterable[str] = ()) -> None:
        """``never``: words that are never countries, and ``!Name`` for names that count
        only in capitals (the form ``load_base`` returns and the model cache keeps)."""
        words = list(never)
        self._never = frozenset(fold(w) for w in words if not w.startswith("!"))
        shouted = frozenset(tuple(_TOKEN.findall(fold(w[1:]))) for w in words
                            if w.startswith("!"))
        self._exact: dict[tuple[str, ...], _Name] = {}
        self._by_key: dict[str, list[_Name]] = {}
        for surface, code in names.items():
            tokens = tuple(_TOKEN.findall(fold(surface)))
            if not tokens or not _CODE.match(code) or code in NOT_DESTINATIONS:
                continue
            name = _Name(tokens, code, len("".join(tokens)) <= 2 or tokens in shouted)
            self._exact[tokens] = name
            first = tokens[0]
            min_len = _MIN_STEM_MULTI if len(tokens) > 1 else _MIN_STEM
            for key in {first} | stems(first, min_len):
                self._by_key.setdefault(key, []).append(name)
        self._max_len = max((len(t) for t in self._exact), default=1)

    @property
    def size(self) -> int:
        """How many distinct names are known."""
        return len(self._exact)

    def code_for(self, surface: str) -> str | None:
        """The code of a name written exactly or inflected, if known."""
        found = self.extract(surface)
        return found[0].value if len(found) == 1 else None

    def extract(self, text: str) -> list[Entity]:
        """Every country mentioned in ``text``, with spans into ``text``."""
        folded, index = fold_map(text)
        spans = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(folded)]
        tokens = [s[0] for s in spans]
        found: list[Entity] = []
        i = 0
        while i < len(tokens):
            name = self._match_at(tokens, i, text, spans, index)
            if name is None:
                i += 1
                continue
            n = len(name.tokens)
            start = index[spans[i][1]]
            end = index[spans[i + n - 1][2] - 1] + 1
            found.append(Entity(COUNTRY, name.code, start, end, text[start:end]))
            i += n
        return found

    def _match_at(
        self,
        tokens: list[str],
        i: int,
        text: str,
        spans: list[tuple[str, int, int]],
        index: list[int],
    ) -> _Name | None:
        first = tokens[i]
        if first in self._never and not _CYRILLIC.search(text[index[spans[i][1]]:
                                                              index[spans[i][2] - 1] + 1]):
            return None  # a word of ours in Latin letters ("katar" is Romani "from")
        # Longest exact name first, then names matched through stems.
        for n in range(min(self._max_len, len(tokens) - i), 0, -1):
            name = self._exact.get(tuple(tokens[i : i + n]))
            if name is not None and self._allowed(name, text, spans[i], index):
                return name
        best: _Name | None = None
        for key in {first} | stems(first, _MIN_STEM_MULTI):
            for name in self._by_key.get(key, ()):
                if best is not None and len(name.tokens) <= len(best.tokens):
                    continue
                if self._stem_match(name, tokens, i):
                    best = name
        return best

    def _stem_match(self, name: _Name, tokens: list[str], i: int) -> bool:
        n = len(name.tokens)
        if i + n > len(tokens) or name.shout_only:
            return False
        min_len = _MIN_STEM_MULTI if n > 1 else _MIN_STEM
        for want, got in zip(name.tokens, tokens[i : i + n], strict=True):
            if want == got:
                continue
            if got in self._never or len(want) <= 3:
                return False
            if not stems(got, min_len) & ({want} | stems(want, min_len)):
                return False
        return True

    @staticmethod
    def _allowed(name: _Name, text: str, span: tuple[str, int, int], index: list[int]) -> bool:
        if not name.shout_only:
            return True
        original = text[index[span[1]] : index[span[2] - 1] + 1]
        return original.isupper()


def load_base(path: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """Read the base list: (surface -> code, words that are never countries).

    Names under ``shout_only`` count only in capitals; they are returned with
    the words that are never countries, marked by a leading ``!``.
    """
    doc = yaml.safe_load((path or base_rules_path()).read_text(encoding="utf-8")) or {}
    names: dict[str, str] = {}
    for code, surfaces in (doc.get("countries") or {}).items():
        for surface in surfaces or ():
            names[str(surface)] = str(code)
    return names, [str(w) for w in doc.get("never") or ()] + [
        "!" + str(w) for w in doc.get("shout_only") or ()]


def build_gazetteer(data: TrainingData, base: Path | None = None) -> Gazetteer:
    """Merge the base list, the data's synonyms, lookups and annotated examples."""
    names, never = load_base(base)
    names.update(country_names(data))
    return Gazetteer(names, never)


def country_names(data: TrainingData) -> dict[str, str]:
    """Surface -> code pairs that the training data teaches."""
    names: dict[str, str] = {}
    for surface, value in data.synonyms.items():
        if _CODE.match(value):
            names[surface] = value
    for ex in data.examples:
        for ann in ex.entities:
            if ann.entity == COUNTRY and _CODE.match(ann.value):
                names.setdefault(ann.text, ann.value)
    # Lookup entries carry no code: keep those a known name already resolves.
    resolver = Gazetteer(names)
    for surface in data.lookups.get(COUNTRY, ()):
        if surface not in names and _CODE.match(surface.strip()):
            continue
        code = resolver.code_for(surface)
        if code is not None:
            names.setdefault(surface, code)
    return names
