"""Prepare an offer for matching: cap it, blank out markup, fold it, map spans back.

Markup is replaced by spaces of the same length, so every offset in the cleaned
text is an offset in what the user sent, and evidence quotes the original words.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.offers.types import Evidence
from nlu.textnorm import clean as clean_surrogates
from nlu.textnorm import fold_map

__all__ = ["MAX_CHARS", "Prepared", "blank_markup", "prepare"]

# A pasted chat history can be huge; offers are short. Work on the start only.
MAX_CHARS = 20_000

_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|</?[a-zA-Z][^<>]{0,500}>", re.S | re.I)
_BLOCK_TAG = re.compile(r"^</?(?:br|p|div|li|ul|ol|tr|td|h[1-6]|section|article)\b", re.I)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,30});")
_LOOKS_HTML = re.compile(r"</?[a-zA-Z][^<>]*>|&[a-zA-Z#][a-zA-Z0-9]*;")
# Markdown that only decorates: emphasis marks, code ticks, heading and quote marks.
_MD_INLINE = re.compile(r"\*+|__+|~~|`+")
_MD_LINE_START = re.compile(r"(?m)^[ \t]*(?:#{1,6}|>+)[ \t]")
_APOSTROPHES = frozenset("'’`ʼ")
_SENTENCE_END = re.compile(r"[.!?;…\n]+(?=\s|$)|[!?;\n]+")
_CLAUSE_END = re.compile(r"[,:()\[\]«»\"“”„—–]|\s-\s|\s(?:dar|but|however|insa|odnako|prote)\s")


def _pad(replacement: str, length: int) -> str:
    return (replacement + " " * length)[:length]


def blank_markup(text: str) -> str:
    """HTML tags, entities and Markdown marks replaced by same-length text."""
    if _LOOKS_HTML.search(text):

        def tag(m: re.Match[str]) -> str:
            # block tags end a sentence, so words either side stay apart
            return _pad("\n" if _BLOCK_TAG.match(m.group(0)) else " ", len(m.group(0)))

        def entity(m: re.Match[str]) -> str:
            value = html.unescape(m.group(0))
            return m.group(0) if len(value) > len(m.group(0)) else _pad(value, len(m.group(0)))

        text = _ENTITY.sub(entity, _TAG.sub(tag, text))
    text = _MD_INLINE.sub(lambda m: " " * len(m.group(0)), text)
    return _MD_LINE_START.sub(lambda m: " " * len(m.group(0)), text)


def _cap(text: str) -> tuple[str, bool]:
    if len(text) <= MAX_CHARS:
        return text, False
    cut = text.rfind(" ", MAX_CHARS - 200, MAX_CHARS)
    return text[: cut if cut > 0 else MAX_CHARS], True


@dataclass(slots=True)
class Prepared:
    """One offer ready for matching; ``folded[i]`` comes from ``original[index[i]]``."""

    original: str
    clean: str
    folded: str
    index: list[int]
    truncated: bool
    _sentences: list[int] = field(default_factory=list)
    _clauses: list[int] = field(default_factory=list)
    # Folding turns every run of whitespace into one space; these are the
    # folded positions of the spaces that stood for a line break.
    line_breaks: list[int] = field(default_factory=list)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded span to the original text, widened to whole words."""
        if not self.index or start >= end:
            return 0, 0
        o_start = self.index[min(start, len(self.index) - 1)]
        o_end = self.index[min(end, len(self.index)) - 1] + 1
        text = self.original
        while o_start > 0 and text[o_start - 1].isalnum():
            o_start -= 1
        while o_end < len(text) and text[o_end].isalnum():
            o_end += 1
        return o_start, o_end

    def to_folded(self, position: int) -> int:
        """The folded position of an original position (the first folded char at or after it)."""
        return bisect.bisect_left(self.index, position)

    def evidence(self, start: int, end: int, source: str = "text") -> Evidence:
        """Evidence for a folded span: the original words and their offsets."""
        o_start, o_end = self.to_original(start, end)
        return Evidence(self.original[o_start:o_end], o_start, o_end, source)

    def lines(self) -> Iterator[tuple[int, int]]:
        """Folded (start, end) of each line: a pasted advert lists one item per line."""
        start = 0
        for position in self.line_breaks:
            yield start, position
            start = position + 1
        yield start, len(self.folded)

    def sentence(self, position: int) -> tuple[int, int]:
        """Bounds (folded) of the sentence around a folded position."""
        return _around(self._sentences, position, len(self.folded))

    def clause(self, position: int) -> tuple[int, int]:
        """Bounds (folded) of the clause (between commas, colons, "but") around a position."""
        return _around(self._clauses, position, len(self.folded))


def _around(bounds: list[int], position: int, length: int) -> tuple[int, int]:
    i = bisect.bisect_right(bounds, position)
    start = bounds[i - 1] if i > 0 else 0
    end = bounds[i] if i < len(bounds) else length
    return start, end


def _drop_inner_apostrophes(folded: str, index: list[int]) -> tuple[str, list[int]]:
    # "pol'she", "від'їзду", "don't", "rabotodatel'": typed with and without the apostrophe
    if not _APOSTROPHES.intersection(folded):
        return folded, index
    chars: list[str] = []
    kept: list[int] = []
    for i, ch in enumerate(folded):
        if ch in _APOSTROPHES and i > 0 and folded[i - 1].isalpha():
            continue
        chars.append(ch)
        kept.append(index[i])
    return "".join(chars), kept


def prepare(text: str) -> Prepared:
    """Cap, clean and fold ``text``; never raises on any str."""
    original, truncated = _cap(clean_surrogates(text))
    cleaned = blank_markup(original)
    folded, index = _drop_inner_apostrophes(*fold_map(cleaned))
    breaks = _line_breaks(cleaned, folded, index)
    ends = {m.end() for m in _SENTENCE_END.finditer(folded)} | {b + 1 for b in breaks}
    sentences = sorted(ends)
    clauses = sorted(set(sentences) | {m.end() for m in _CLAUSE_END.finditer(folded)})
    return Prepared(original, cleaned, folded, index, truncated, sentences, clauses, breaks)


def _line_breaks(cleaned: str, folded: str, index: list[int]) -> list[int]:
    """Folded positions of the spaces whose whitespace run held a line break."""
    if "\n" not in cleaned and "\r" not in cleaned:
        return []
    breaks = []
    for i, ch in enumerate(folded):
        if ch != " ":
            continue
        run_end = index[i + 1] if i + 1 < len(index) else len(cleaned)
        if any(c in "\n\r\u2028\u2029" for c in cleaned[index[i] : run_end]):
            breaks.append(i)
    return breaks
