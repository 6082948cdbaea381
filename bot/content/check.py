"""`safemig content check`: everything a content editor or translator can break."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import phonenumbers
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from phonenumbers import shortnumberinfo

from bot.content.loader import (
    EXTRA_PLACEHOLDERS,
    PLACEHOLDER,
    Content,
    ContentError,
    Service,
    Topic,
    load_content,
    read_yaml,
)
from bot.core.turn import TOPIC_INTENTS
from bot.settings import LANGUAGES, REPO_ROOT

REVIEW_STATES = {"needs_review", "reviewed", "needs_native_review"}
SPECIAL_ANSWERS = {"emergency"}
MAX_ANSWER, MAX_MORE, MAX_TITLE = 700, 1500, 30


def check_all(content_dir: Path, locales_dir: Path) -> list[str]:
    """Every problem found, one line each; an empty list means all is well."""
    try:
        content = load_content(content_dir)
    except ContentError as exc:
        return [str(exc)]
    problems = list(_check_services(content))
    problems += list(_check_topics(content))
    problems += list(_check_canned(content_dir / "canned.yml", content))
    problems += list(check_catalogues(locales_dir))
    return problems


def _check_topics(content: Content) -> Iterator[str]:
    for missing in sorted(TOPIC_INTENTS - content.topics.keys()):
        yield f"topics/{missing}.yml: missing (every topic intent needs an answer)"
    for missing in sorted(SPECIAL_ANSWERS - content.special.keys()):
        yield f"special/{missing}.yml: missing"
    for topic in [*content.topics.values(), *content.special.values()]:
        yield from _check_topic(topic, content)


def _check_topic(topic: Topic, content: Content) -> Iterator[str]:
    where = f"{topic.path.parent.name}/{topic.path.name}"
    if topic.path.stem != topic.id:
        yield f"{where}: id {topic.id!r} does not match the file name"
    if topic.reviewed is None:
        yield f"{where}: 'reviewed' must be a date (YYYY-MM-DD)"
    if not topic.sources:
        yield f"{where}: no sources"
    for source in topic.sources:
        if not source.startswith(("http://", "https://")):
            yield f"{where}: source is not a URL: {source!r}"
    for related in topic.related:
        if related not in content.topics:
            yield f"{where}: related topic {related!r} does not exist"
    placeholders: dict[str, set[str]] = {}
    for lang in LANGUAGES:
        text = topic.texts.get(lang)
        if text is None:
            yield f"{where}: no {lang} text"
            continue
        if text.review not in REVIEW_STATES:
            yield f"{where}: {lang}: review must be one of {sorted(REVIEW_STATES)}"
        if lang == "rom" and text.review == "needs_review":
            yield f"{where}: rom: use needs_native_review until a native speaker confirms it"
        if not text.title or len(text.title) > MAX_TITLE:
            yield f"{where}: {lang}: title must have 1 to {MAX_TITLE} characters"
        if not text.answer.strip() or len(text.answer) > MAX_ANSWER:
            yield f"{where}: {lang}: answer must have 1 to {MAX_ANSWER} characters"
        if len(text.more) > MAX_MORE:
            yield f"{where}: {lang}: more has over {MAX_MORE} characters"
        placeholders[lang] = set(PLACEHOLDER.findall(text.answer + text.more))
        yield from _check_placeholders(f"{where}: {lang}", placeholders[lang], content,
                                       EXTRA_PLACEHOLDERS)
    yield from _placeholders_agree(where, placeholders)


def _check_placeholders(where: str, found: set[str], content: Content,
                        extra: frozenset[str] = frozenset()) -> Iterator[str]:
    """Each placeholder names a verified national service (or one of ``extra``)."""
    for name in sorted(found - extra):
        service = content.national.get(name)
        if service is None:
            yield f"{where}: unknown placeholder {{{name}}}"
        elif not service.verified:
            yield f"{where}: {{{name}}} is an unverified number and must not be shown"


def _placeholders_agree(where: str, placeholders: dict[str, set[str]]) -> Iterator[str]:
    """Every language of one text uses the same placeholders."""
    if len({frozenset(p) for p in placeholders.values()}) > 1:
        detail = ", ".join(f"{lang}={sorted(p)}" for lang, p in placeholders.items())
        yield f"{where}: placeholders differ between languages: {detail}"


def _check_canned(path: Path, content: Content) -> Iterator[str]:
    """The operators' canned replies: every language, only verified numbers (file optional)."""
    if not path.exists():
        return
    try:
        data = read_yaml(path) or {}
    except ContentError as exc:
        yield str(exc)
        return
    replies = data.get("replies") if isinstance(data, dict) else None
    if not isinstance(replies, list):
        yield f"{path.name}: expected a list under 'replies'"
        return
    seen: set[str] = set()
    for number, reply in enumerate(replies, start=1):
        if not isinstance(reply, dict) or not reply.get("id"):
            yield f"{path.name}: reply {number} has no id"
            continue
        where = f"{path.name}: {reply['id']}"
        if reply["id"] in seen:
            yield f"{where}: duplicate id"
        seen.add(reply["id"])
        texts = reply.get("text")
        if not isinstance(texts, dict):
            texts = {}
        placeholders: dict[str, set[str]] = {}
        for lang in LANGUAGES:
            text = texts.get(lang)
            if text is None:
                yield f"{where}: no {lang} text"
                continue
            title = text.get("title") if isinstance(text, dict) else None
            body = text.get("body") if isinstance(text, dict) else None
            if not isinstance(title, str) or not title.strip():
                yield f"{where}: {lang}: no title"
            if not isinstance(body, str) or not body.strip():
                yield f"{where}: {lang}: no body"
                continue
            placeholders[lang] = set(PLACEHOLDER.findall(body))
            yield from _check_placeholders(f"{where}: {lang}", placeholders[lang], content)
        yield from _placeholders_agree(where, placeholders)


def _check_services(content: Content) -> Iterator[str]:
    services = [*content.national.values(), *(s for group in content.countries.values()
                                              for s in group)]
    seen: set[str] = set()
    for service in services:
        where = f"services.yml: {service.id}"
        if service.id in seen:
            yield f"{where}: duplicate id"
        seen.add(service.id)
        # An unverified number is never shown; its format is checked once someone verifies it.
        if service.verified and not phone_number_valid(service):
            yield f"{where}: {service.number!r} is not a valid number for {service.region}"
        for lang in LANGUAGES:
            if not service.names.get(lang):
                yield f"{where}: no {lang} name"
        if service.verified and not service.source:
            yield f"{where}: a verified number needs its source"


def phone_number_valid(service: Service) -> bool:
    """Whether a directory number is valid (or a valid short number) for its region."""
    if service.kind == "service_code":
        return bool(re.fullmatch(r"\*\d{2,6}", service.number))
    digits = "".join(ch for ch in service.number if ch.isdigit() or ch == "+")
    if digits and not digits.startswith("+") and shortnumberinfo.is_valid_short_number_for_region(
        phonenumbers.parse(digits, service.region), service.region
    ):
        return True
    try:
        number = phonenumbers.parse(service.number, service.region)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number)) or bool(
        shortnumberinfo.is_valid_short_number(number))


def check_catalogues(locales_dir: Path) -> Iterator[str]:
    """Every language has a catalogue that is complete and matches the code's strings."""
    wanted = extracted_msgids()
    for lang in LANGUAGES:
        po = locales_dir / lang / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            yield f"locales/{lang}: no messages.po"
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        have = {_hashable(m.id) for m in catalog if m.id}
        for msgid in sorted(_key(w) for w in wanted - have):
            yield f"locales/{lang}: missing (run scripts/i18n.py update): {msgid[:60]!r}"
        for msgid in sorted(_key(h) for h in have - wanted):
            yield f"locales/{lang}: stale, no longer in the code: {msgid[:60]!r}"
        for message in catalog:
            if not message.id:
                continue
            if message.fuzzy:
                yield f"locales/{lang}: fuzzy, needs a translator: {_key(message.id)[:60]!r}"
            elif not all(message.string if isinstance(message.string, tuple)
                         else (message.string,)):
                yield f"locales/{lang}: untranslated: {_key(message.id)[:60]!r}"
            elif not _same_placeholders(message.id, message.string or ""):
                yield (f"locales/{lang}: placeholders differ from the msgid: "
                       f"{_key(message.id)[:60]!r}")


def _same_placeholders(msgid: str | tuple[str, ...] | list[str],
                       msgstr: str | tuple[str, ...] | list[str]) -> bool:
    """A translation fills exactly the msgid's ``{names}`` (a plural form may leave out {n}).

    An unknown name breaks the message at run time; a missing one loses a number.
    """
    ids = [msgid] if isinstance(msgid, str) else list(msgid)
    strings = [msgstr] if isinstance(msgstr, str) else list(msgstr)
    wanted = {name for text in ids for name in PLACEHOLDER.findall(text)}
    optional = {"n"} if len(ids) > 1 else set()
    for text in strings:
        found = set(PLACEHOLDER.findall(text))
        if found - wanted or (wanted - optional) - found:
            return False
    return True


def extracted_msgids() -> set[str | tuple[str, ...]]:
    """The msgids the code uses today (what `pybabel extract` would find)."""
    method_map = [("bot/**.py", "python")]
    ids: set[str | tuple[str, ...]] = set()
    keywords = {"_": None, "n_": (1, 2)}
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(REPO_ROOT), method_map, keywords=keywords
    ):
        ids.add(_hashable(message))
    return ids


def _hashable(msgid: str | tuple[str, ...] | list[str]) -> str | tuple[str, ...]:
    return msgid if isinstance(msgid, str) else tuple(msgid)


def _key(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]
