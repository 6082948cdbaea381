"""Ages an offer accepts ("16-45 ani", "от 17 лет", "16+"): is anyone under 18 welcome?"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.offers.text import Prepared
from bot.offers.types import Evidence

__all__ = ["AgeRange", "find_ages", "minors_evidence"]

_UNIT = r"(?:de\s+)?(?:ani|an|let|goda?|rokiv|roki|roku|years?|yrs|y\.?o\.?|bers|bersh)\b"
_RANGE = re.compile(
    rf"(?<![\d.,/])(?P<a>\d{{1,2}})\s*(?:-|–|—|pana la|do|to)\s*(?P<b>\d{{1,2}})\s*{_UNIT}"
)
_FROM = re.compile(
    r"\b(?:de la|incepand cu|de peste|ot|vid|from|aged?|over|starting at|minim(?:um)?|s)"
    rf"\s*(?P<a>\d{{1,2}})\s*(?:{_UNIT}|\+)"
)
_LABELLED = re.compile(
    r"\b(?:varsta|vozrast\w*|vik\w*|age[ds]?)\s*:?\s*(?:de\s+la\s+|ot\s+|vid\s+|from\s+)?"
    r"(?P<a>\d{1,2})\s*(?:(?:-|–|—|pana la|do|to)\s*(?P<b>\d{1,2}))?"
)
_AND_OLDER = re.compile(
    r"(?<![\d.,/])(?P<a>\d{1,2})\s*(?:de\s+)?(?:ani\s+|let\s+|rokiv\s+|years?\s+)?"
    r"(?:and|or|si|i|ta|sau|ili|abo)\s+"
    r"(?:older|over|above|peste|mai mult\w*|in sus|starshe|bolshe|starshi|bilshe)\b"
)
_PLUS = re.compile(r"(?<![\w.,/])(?P<a>1[0-7])\s*\+(?![\w+])")
# "16+" is an age only next to words about age or young people
_AGE_CONTEXT = re.compile(
    r"\b(?:varst\w*|age[ds]?|vozrast\w*|vik\w*|ani|let|rokiv|years?|teen\w*|tiner\w*|elev\w*|student\w*|"
    r"shkol\w*|podrost\w*|pidlit\w*|molod\w*|young\w*|youth|from|de la|ot|vid|z)\b"
)
# "experienta de la 2 ani", "опыт от 2 лет", "contract de la 1 an" are not ages
_NOT_AGE = re.compile(
    r"\b(?:experient\w*|experience|opyt\w*|stazh\w*|dosvid\w*|contract\w*|dogovor\w*|"
    r"kontrakt\w*|garanti\w*|minim\w* \d+ luni)\b"
)
_YOUNGEST_PLAUSIBLE = 12  # smaller numbers are durations, not ages
ADULT = 18


@dataclass(frozen=True, slots=True)
class AgeRange:
    """An accepted age range (folded span); ``high`` is None when open-ended."""

    low: int
    high: int | None
    start: int
    end: int


def find_ages(prepared: Prepared) -> list[AgeRange]:
    """Age ranges stated in the offer, skipping durations of experience or contracts."""
    text = prepared.folded
    found: list[AgeRange] = []
    seen: list[tuple[int, int]] = []
    for rx in (_RANGE, _LABELLED, _AND_OLDER, _FROM, _PLUS):
        for m in rx.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in seen):
                continue
            if _NOT_AGE.search(text[max(0, m.start() - 25) : m.start()]) or _NOT_AGE.search(
                text[m.end() : m.end() + 15]
            ):
                continue
            if rx is _PLUS and not _AGE_CONTEXT.search(text[max(0, m.start() - 30) : m.end() + 30]):
                continue
            low = int(m.group("a"))
            b = m.groupdict().get("b")
            high = int(b) if b else None
            if low < _YOUNGEST_PLAUSIBLE or (high is not None and high < low):
                continue
            seen.append(m.span())
            found.append(AgeRange(low, high, m.start(), m.end()))
    return found


def minors_evidence(prepared: Prepared, ages: list[AgeRange]) -> list[Evidence]:
    """Evidence for targets_minors: stated ages that start below 18."""
    return [prepared.evidence(a.start, a.end, "age") for a in ages if a.low < ADULT]
