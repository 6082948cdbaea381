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
_CAPITALISED = re.compile(r"(?<![\w.@])([A-ZА-ЯІЇЄҐĂÂÎȘȚŞŢ][a-zа-яіїєґăâîșțşţ'’-]{1,30})")
_SENTENCE_START = re.compile(r"(?:^|[.!?…:\n]\s*|[«\"„“(]\s*)$")


def mask_contacts(text: str, phone: str = "[phone]", email: str = "[e-mail]") -> str:
    """Phones and e-mails replaced by labels, links cut to their domain, @handles hidden."""
    text = _EMAIL.sub(email, text)
    text = _URL.sub(
        lambda m: re.sub(r"^(?:https?://)?(?:www\.)?", "", m.group(0)).split("/", 1)[0], text
    )
    text = _HANDLE.sub("@…", text)
    return _PHONE.sub(phone, text)


def mask_names(text: str) -> str:
    """Capitalised words inside a sentence (likely names) shortened to their initial."""

    def initial(m: re.Match[str]) -> str:
        if _SENTENCE_START.search(text[: m.start()]):
            return m.group(0)
        return m.group(1)[0] + "."

    return _CAPITALISED.sub(initial, text)
