"""A small language guess for offers when the caller has none (ro, ru, uk, en, rom or und).

The dialogue passes the NLU's language id; this is the fallback for the command
line and tests: script first, then common words of each language.
"""

from __future__ import annotations

import re

__all__ = ["UNDETERMINED", "detect_language"]

UNDETERMINED = "und"
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")
_UK_LETTERS = re.compile(r"[іїєґІЇЄҐ]")
_RU_LETTERS = re.compile(r"[ыэъёЫЭЪЁ]")
_RO_LETTERS = re.compile(r"[ăâîșşțţĂÂÎȘŞȚŢ]")
_WORD = re.compile(r"[a-z']+")


# Frequent words of each language in folded (Latin, lower-case) form. "other"
# holds frequent words of languages we do not serve, so German is not read as English.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORDS: dict[str, frozenset[str]] = {
    "ro": _words(
        "si sau pentru la de cu in din pe este sunt nu fara lucru munca salariu angajam "
        "cautam sunati va vom avem care mai cazare luna ore zi plecare locuri acte oferta "
        "tara sunteti trebuie dupa foarte prin doar toate inainte"
    ),
    "en": _words(
        "the and for with you your we are is to of in on at no not salary hours per work job "
        "jobs hiring needed apply our will be this that from contact free visa employer "
        "contract month week day only"
    ),
    "ru": _words(
        "i v na s dlya ne ot do po rabota rabotu raboty zarplata oplata nuzhny trebuyutsya "
        "pishite zvonite opyt bez zhile zhilye chas chasov mesyac mesyats evro vyezd kto eto "
        "vse ili tolko cherez esli est nas vas my vy"
    ),
    "uk": _words(
        "i ta v u na z dlya ne vid do po robota robotu roboti zarplata potribni pishit "
        "telefonuite dosvid bez zhitlo godin misyats evro viizd khto tse vsi abo tilki cherez "
        "yakshcho e nas vas mi vi shcho yak"
    ),
    "rom": _words(
        "thaj te si vash vas kana tut tuke mange love buti naj maj vaj o e andar othe kathe "
        "pokin kher manush dikh phen"
    ),
    "other": _words(
        "und der die das wir mit fur ist nicht sie ein eine auf pro stunde arbeit il la che "
        "per con una sono lavoro di del los las el que por para trabajo y w z na dla jest "
        "praca nie od le les des est pour avec travail"
    ),
}
_MIN_HITS = 2


def detect_language(text: str, folded: str | None = None) -> str:
    """Best guess among ro, ru, uk, en, rom; ``und`` when nothing points anywhere."""
    cyr = len(_CYRILLIC.findall(text))
    lat = len(_LATIN.findall(text))
    if cyr >= 3 and cyr >= lat:
        if _UK_LETTERS.search(text) and not _RU_LETTERS.search(text):
            return "uk"
        return "ru"
    if lat < 3:
        return UNDETERMINED
    if _RO_LETTERS.search(text):
        return "ro"
    words = _WORD.findall((folded if folded is not None else text).lower())
    hits = {lang: sum(1 for w in words if w in vocab) for lang, vocab in _WORDS.items()}
    ranked = sorted(hits, key=lambda lang: hits[lang], reverse=True)
    best, second = ranked[0], ranked[1]
    # a tie is no answer, and neither is a language we do not serve
    if hits[best] < _MIN_HITS or best == "other" or hits[second] == hits[best]:
        return UNDETERMINED
    return best
