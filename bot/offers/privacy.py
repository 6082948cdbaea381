"""Masking of phone numbers, e-mails, links and names in quotes taken from an offer."""

from __future__ import annotations

import re

__all__ = ["mask_contacts", "mask_names"]

_EMAIL = re.compile(r"[\w.+-]{1,64}@(?:[\w-]{1,63}\.)+[a-zA-Z]{2,24}")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+|\b(?:[a-z0-9-]+\.)+(?:com|md|ru|ro|ua|net|org|eu|me|io|uk|de|it|pl)"
    r"/[^\s<>\"']*",
    re.I,
)
_HANDLE = re.compile(r"(?<![\w.])@[A-Za-z][A-Za-z0-9_]{2,31}")
# International numbers, local numbers like "069 123 456" / "067 123 4567", long digit runs.
_PHONE = re.compile(
    r"\+\s?\d[\d\s().-]{5,18}\d"
    r"|(?<![\d.,])0\s?\d{2,3}[\s.-]?\d{2,3}[\s.-]?\d{2,4}(?![\d.,])"
    r"|(?<![\d.,])\d{8,15}(?![\d.,])"
)
# National formats with neither "+" nor a trunk 0 in front, or with brackets: "912 345 678",
# "312 345 6789", "8 (912) 345-67-89", "(0212) 345 67 89". Nine digits or more in groups;
# an amount ("50 000 - 70 000 lei") is left as it is.
_GROUPED = re.compile(r"(?<![\w.,+])\(?\d[\d\s()-]{6,24}\d(?!\w|[.,]\d)")
_MIN_GROUPED_DIGITS = 9
_CURRENCY_AFTER = re.compile(
    r"\s?(?:€|\$|£|eur|euro|evro|lei|mdl|ron|rub|usd|gbp|pln|uah|zł|zl|грн|руб|евро|лей|долл)",
    re.I,
)
_CAPITALISED = re.compile(r"(?<![\w.@])([A-ZА-ЯІЇЄҐĂÂÎȘȚŞŢ][a-zа-яіїєґăâîșțşţ'’-]{1,30})")
_SENTENCE_START = re.compile(r"(?:^|[.!?…:\n]\s*|[«\"„“(]\s*)$")


def mask_contacts(text: str, phone: str = "[phone]", email: str = "[e-mail]") -> str:
    """Phones and e-mails replaced by labels, links cut to their domain, @handles hidden."""
    text = _EMAIL.sub(email, text)
    text = _URL.sub(
        lambda m: re.sub(r"^(?:https?://)?(?:www\.)?", "", m.group(0)).split("/", 1)[0], text
    )
    text = _HANDLE.sub("@…", text)

    def grouped(m: re.Match[str]) -> str:
        digits = sum(c.isdigit() for c in m.group(0))
        if digits < _MIN_GROUPED_DIGITS or _CURRENCY_AFTER.match(text, m.end()):
            return m.group(0)
        return phone

    # International numbers first: their national part alone would look grouped.
    text = _PHONE.sub(phone, text)
    return _GROUPED.sub(grouped, text)


def mask_names(text: str) -> str:
    """Capitalised words inside a sentence (likely names) shortened to their initial."""

    def initial(m: re.Match[str]) -> str:
        if _SENTENCE_START.search(text[: m.start()]):
            return m.group(0)
        return m.group(1)[0] + "."

    return _CAPITALISED.sub(initial, text)
