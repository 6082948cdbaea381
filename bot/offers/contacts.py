"""Contacts in an offer (phones, e-mails, links, handles) and what they say about its author."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher, PhoneNumberType

from bot.offers.text import Prepared
from bot.offers.types import Evidence

__all__ = ["Contact", "Contacts", "find_contacts", "registrable_domain"]

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@((?:[a-z0-9-]{1,63}\.)+[a-z]{2,24})\b", re.I)
_TLDS = (
    "com|md|ru|ro|ua|net|org|eu|de|it|uk|pl|me|io|info|biz|jobs|work|co|cz|il|lv|lt|by|kz|"
    "tv|ly|gl|page|site|online|app|ee|at|nl|be|fr|es|pt|ie|gr|cy|tr|ae|us|ca|dk|se|no|fi|ch"
)
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'«»“”]+"
    rf"|\b(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:{_TLDS})\b(?:/[^\s<>\"'«»“”]*)?",
    re.I,
)
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z][A-Za-z0-9_]{3,31}\b")
_DIGIT_RUN = re.compile(r"\+?\(?\d[\d\s().-]{6,18}\d")
_TRAILING = ".,;:!?)]}»”'\""
# Local formats we see besides Moldova's: Ukraine, Romania, Russia.
_OTHER_REGIONS = ("UA", "RO", "RU")
_CALL_CUE = re.compile(
    r"(?:tel|telefon|phone|call|contact|text|suna|sunati|zvon|zvonite|telefonuite|viber|whatsapp|nomer|numar"
    r"|тел|телефон|звон|номер|вайбер|вацап|дзвон)\w*"
    r"(?:\s+\w+){0,2}?[\s:.-]{1,4}(?:la\s+|at\s+|on\s+|po\s+|na\s+|по\s+|на\s+)?"
    r"(?P<n>\+?\d[\d\s().-]{6,16}\d)",
    re.I,
)
_MAX_TRIES = 200
_SECOND_LEVEL = frozenset(
    {
        "co.uk",
        "com.md",
        "org.md",
        "com.ua",
        "com.ro",
        "co.il",
        "com.tr",
        "com.pl",
        "co.at",
        "com.cy",
        "org.uk",
        "com.au",
    }
)
_KINDS = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.VOIP: "voip",
}


@dataclass(frozen=True, slots=True)
class Contact:
    """One contact: ``value`` is the normalised number/address/URL (never stored as such)."""

    kind: str  # phone | email | link | handle
    value: str
    country: str | None  # phones: region code
    subtype: (
        str  # phone: mobile|fixed|...; email: webmail|company; link: social|site; handle: social
    )
    evidence: Evidence

    @property
    def personal(self) -> bool:
        """A contact that does not identify a company: mobile, webmail, social account."""
        return self.subtype in {"mobile", "fixed_or_mobile", "voip", "unknown", "webmail", "social"}


@dataclass(frozen=True, slots=True)
class Contacts:
    """All contacts found in an offer."""

    phones: tuple[Contact, ...]
    emails: tuple[Contact, ...]
    links: tuple[Contact, ...]
    handles: tuple[Contact, ...]

    @property
    def all(self) -> tuple[Contact, ...]:
        """Every contact, in text order."""
        return tuple(
            sorted(
                (*self.phones, *self.emails, *self.links, *self.handles),
                key=lambda c: c.evidence.start,
            )
        )


def registrable_domain(host: str) -> str:
    """``jobs.example.co.uk`` -> ``example.co.uk``; good enough to compare sites."""
    parts = host.lower().strip(".").split(".")
    if len(parts) >= 3 and ".".join(parts[-2:]) in _SECOND_LEVEL:
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


def _in_set(host: str, domains: frozenset[str]) -> bool:
    host = host.lower().removeprefix("www.")
    return host in domains or any(host.endswith("." + d) for d in domains)


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


def _phones(text: str, taken: list[tuple[int, int]]) -> list[Contact]:
    found: list[Contact] = []

    def add(number: phonenumbers.PhoneNumber, start: int, end: int) -> None:
        kind = _KINDS.get(phonenumbers.number_type(number), "other")
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        region = phonenumbers.region_code_for_number(number)
        found.append(
            Contact("phone", e164, region, kind, Evidence(text[start:end], start, end, "contact"))
        )
        taken.append((start, end))

    try:
        # max_tries caps the work on a paste full of digits
        for found_md in PhoneNumberMatcher(
            text, "MD", leniency=Leniency.VALID, max_tries=_MAX_TRIES
        ):
            if not _overlaps(taken, found_md.start, found_md.end):
                add(found_md.number, found_md.start, found_md.end)
        for tries, run in enumerate(_DIGIT_RUN.finditer(text)):
            if tries >= _MAX_TRIES:
                break
            if _overlaps(taken, run.start(), run.end()):
                continue
            for region in _OTHER_REGIONS:
                try:
                    number = phonenumbers.parse(run.group(0), region)
                except phonenumbers.NumberParseException:
                    continue
                if phonenumbers.is_valid_number(number):
                    add(number, run.start(), run.end())
                    break
        for cue in _CALL_CUE.finditer(text):
            start, end = cue.span("n")
            if not _overlaps(taken, start, end):
                # a number people are told to call, in a format the library does not accept
                digits = "+" + re.sub(r"\D", "", cue.group("n"))
                ev = Evidence(text[start:end], start, end, "contact")
                found.append(Contact("phone", digits, None, "unknown", ev))
                taken.append((start, end))
    except (
        ValueError,
        IndexError,
    ):  # the library on pathological input; a phone is not worth a crash
        pass
    return found


def find_contacts(prepared: Prepared, social: frozenset[str], webmail: frozenset[str]) -> Contacts:
    """Phones (any country; Moldova's format first), e-mails, links and @handles."""
    text = prepared.clean
    taken: list[tuple[int, int]] = []
    emails: list[Contact] = []
    for m in _EMAIL.finditer(text):
        domain = m.group(1).lower()
        sub = "webmail" if _in_set(domain, webmail) else "company"
        emails.append(
            Contact(
                "email",
                m.group(0).lower(),
                None,
                sub,
                Evidence(m.group(0), m.start(), m.end(), "contact"),
            )
        )
        taken.append(m.span())
    links: list[Contact] = []
    for m in _URL.finditer(text):
        if _overlaps(taken, m.start(), m.end()):
            continue
        raw = m.group(0).rstrip(_TRAILING)
        end = m.start() + len(raw)
        url = re.sub(r"^(?:https?://)?(?:www\.)?", "", raw, flags=re.I)
        host = url.split("/", 1)[0].split("?", 1)[0].lower()
        if "." not in host:
            continue
        sub = "social" if _in_set(host, social) else "site"
        links.append(
            Contact(
                "link", url.lower().rstrip("/"), None, sub, Evidence(raw, m.start(), end, "contact")
            )
        )
        taken.append((m.start(), end))
    handles = [
        Contact(
            "handle",
            m.group(0).lower(),
            None,
            "social",
            Evidence(m.group(0), m.start(), m.end(), "contact"),
        )
        for m in _HANDLE.finditer(text)
        if not _overlaps(taken, m.start(), m.end())
    ]
    taken.extend((h.evidence.start, h.evidence.end) for h in handles)
    phones = _phones(text, taken)
    return Contacts(tuple(phones), tuple(emails), tuple(links), tuple(handles))
