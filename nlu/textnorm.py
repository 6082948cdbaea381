"""Text normalisation shared by the NLU and the offer checker.

People write Romanian without diacritics and Russian or Ukrainian in Latin
letters, so every matcher works on a *folded* form: lower case, no
diacritics, Cyrillic transliterated to plain ASCII Latin.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["clean", "fold", "fold_map", "normalize", "to_latin"]

# One Latin spelling per Cyrillic letter, chosen to match how people in
# Moldova and Ukraine actually type Russian/Ukrainian in Latin letters
# ("pomogite", "pasport", "rabota", "zhena", "shchas").
_CYR_TO_LAT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    # Ukrainian letters
    "і": "i",
    "ї": "i",
    "є": "e",
    "ґ": "g",
}
_TRANSLATE = str.maketrans(_CYR_TO_LAT)
_SPACES = re.compile(r"\s+")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# Zero-width and other format characters (Cf) are dropped; other control
# characters become spaces so that words they separated stay apart.
_DROP = {"Cf"}
_SPACE_LIKE = {"Cc", "Zl", "Zp"}


def normalize(text: str) -> str:
    """Lower-case, strip diacritics and control characters, collapse spaces.

    Cyrillic stays Cyrillic (``й`` and ``ё`` are kept as themselves).
    """
    text = unicodedata.normalize("NFKC", text).lower()
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        cat = unicodedata.category(ch)
        if cat == "Mn":
            # Combining marks: drop them (ș -> s, ă -> a) except the Cyrillic
            # breve of й and the diaeresis of ё/ї, which change the letter.
            if out and out[-1] in "иеіeiu" and ch in "\u0306\u0308" and _is_cyrillic(out[-1]):
                out[-1] = unicodedata.normalize("NFC", out[-1] + ch)
            continue
        if cat in _DROP:
            continue
        if cat in _SPACE_LIKE:
            out.append(" ")
            continue
        out.append(ch)
    return _SPACES.sub(" ", "".join(out)).strip()


def to_latin(text: str) -> str:
    """Transliterate Cyrillic letters to ASCII Latin; other text is unchanged."""
    return text.translate(_TRANSLATE)


def fold(text: str) -> str:
    """The matching form: ``to_latin(normalize(text))``.

    >>> fold("Помогите, паспорт забрали!") == fold("pomogite, pasport zabrali!")
    True
    >>> fold("Șef de echipă")
    'sef de echipa'
    """
    return to_latin(normalize(text))


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def clean(text: str) -> str:
    """Replace lone surrogates with U+FFFD so the text can always be encoded.

    Messenger payloads can carry invalid UTF-16 halves (``"\\ud800"``); they
    would make ``encode`` fail later, so they become U+FFFD here.
    """
    return _SURROGATES.sub("\ufffd", text)


def fold_map(text: str) -> tuple[str, list[int]]:
    """``fold`` character by character, with the source index of each output char.

    Entity spans are found on the folded text but reported on the original,
    so every folded character remembers where it came from. The result equals
    ``fold(text)`` for ordinary text.
    """
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for c in _fold_char(ch):
            if c == " " and (not out or out[-1] == " "):
                continue
            out.append(c)
            index.append(i)
    if out and out[-1] == " ":
        out.pop()
        index.pop()
    return "".join(out), index


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch.isspace() or unicodedata.category(ch) in _SPACE_LIKE:
        return " "
    return to_latin(normalize(ch))
