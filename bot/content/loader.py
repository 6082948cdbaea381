"""Load `content/` into typed objects and fill in phone numbers from one place."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.settings import LANGUAGES

PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")
EXTRA_PLACEHOLDERS = frozenset({"retention_days"})


class ContentError(Exception):
    """Content that cannot be loaded; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class Service:
    """One phone line of the services directory."""

    id: str
    number: str
    region: str
    verified: bool
    names: dict[str, str]
    free: bool | None = None
    hours: str | None = None
    source: str | None = None
    notes: dict[str, str] = field(default_factory=dict)
    country: str | None = None  # destination country; None for national lines
    kind: str = "phone"  # or "service_code": a star code such as *3450

    def name(self, lang: str) -> str:
        """The service's name in a language (English when missing)."""
        return self.names.get(lang) or self.names.get("en") or self.id


@dataclass(frozen=True, slots=True)
class TopicText:
    """A topic in one language."""

    title: str
    answer: str
    more: str = ""
    review: str = "needs_review"


@dataclass(frozen=True, slots=True)
class Topic:
    """One answer, in every language, with its sources and review date."""

    id: str
    reviewed: date | None
    sources: tuple[str, ...]
    related: tuple[str, ...]
    country_part: bool
    texts: dict[str, TopicText]
    path: Path

    def text(self, lang: str) -> TopicText:
        """The text in a language; English, then Romanian, when it is missing."""
        for candidate in (lang, "en", "ro"):
            if candidate in self.texts:
                return self.texts[candidate]
        raise ContentError(f"{self.path}: no text at all")


@dataclass(slots=True)
class Content:
    """Everything the bot says that is not an interface string."""

    topics: dict[str, Topic]
    special: dict[str, Topic]
    national: dict[str, Service]
    countries: dict[str, tuple[Service, ...]]
    retention_days: int = 90

    def topic(self, topic_id: str) -> Topic | None:
        """A topic or special answer by id."""
        return self.topics.get(topic_id) or self.special.get(topic_id)

    def fill(self, text: str, lang: str) -> str:
        """Replace ``{service_id}`` placeholders with numbers; unverified ones never show."""

        def number(match: re.Match[str]) -> str:
            key = match.group(1)
            if key == "retention_days":
                return str(self.retention_days)
            service = self.national.get(key)
            if service is None or not service.verified:
                # `safemig content check` fails on this; at run time say nothing wrong.
                return "—"
            return f"**{service.number}**"

        return PLACEHOLDER.sub(number, text)

    def country_services(self, country: str) -> tuple[Service, ...]:
        """The verified lines of a destination country."""
        return tuple(s for s in self.countries.get(country, ()) if s.verified)

    def render_answer(self, topic_id: str, lang: str) -> tuple[str, str]:
        """A topic's short answer and its "more" part, numbers filled in."""
        topic = self.topic(topic_id)
        if topic is None:
            raise KeyError(topic_id)
        text = topic.text(lang)
        return self.fill(text.answer.strip(), lang), self.fill(text.more.strip(), lang)


def load_content(content_dir: Path, retention_days: int = 90) -> Content:
    """Read the whole content directory; raises ContentError on a broken file."""
    national, countries = _load_services(content_dir / "services.yml")
    return Content(
        topics=_load_topics(content_dir / "topics"),
        special=_load_topics(content_dir / "special"),
        national=national,
        countries=countries,
        retention_days=retention_days,
    )


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, naming the file in any error."""
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise ContentError(f"{path}: {exc}") from exc


def _load_topics(directory: Path) -> dict[str, Topic]:
    topics: dict[str, Topic] = {}
    if not directory.is_dir():
        return topics
    for path in sorted(directory.glob("*.yml")):
        topic = _parse_topic(path, read_yaml(path))
        topics[topic.id] = topic
    return topics


def _parse_topic(path: Path, data: Any) -> Topic:
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping at the top")
    try:
        texts = {
            lang: TopicText(
                title=str(entry["title"]).strip(),
                answer=str(entry["answer"]),
                more=str(entry.get("more") or ""),
                review=str(entry.get("review", "needs_review")),
            )
            for lang, entry in (data.get("text") or {}).items()
            if lang in LANGUAGES
        }
        reviewed = data.get("reviewed")
        return Topic(
            id=str(data["id"]),
            reviewed=reviewed if isinstance(reviewed, date) else None,
            sources=tuple(str(s) for s in data.get("sources") or ()),
            related=tuple(str(r) for r in data.get("related") or ()),
            country_part=bool(data.get("country_part", False)),
            texts=texts,
            path=path,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ContentError(f"{path}: missing or malformed field {exc}") from exc


def _load_services(path: Path) -> tuple[dict[str, Service], dict[str, tuple[Service, ...]]]:
    if not path.exists():
        return {}, {}
    data = read_yaml(path) or {}
    entries = data.get("national") or []
    national = {s.id: s for s in (_parse_service(path, e, None) for e in entries)}
    countries = {
        str(code).upper(): tuple(_parse_service(path, e, str(code).upper()) for e in entries or [])
        for code, entries in (data.get("countries") or {}).items()
    }
    return national, countries


def _parse_service(path: Path, entry: Any, country: str | None) -> Service:
    try:
        return Service(
            id=str(entry["id"]),
            number=str(entry["number"]),
            region=str(entry.get("region") or country or "MD").upper(),
            verified=bool(entry.get("verified", False)),
            names={str(k): str(v) for k, v in (entry.get("name") or {}).items()},
            free=entry.get("free"),
            hours=entry.get("hours"),
            source=entry.get("source"),
            notes={str(k): str(v) for k, v in (entry.get("note") or {}).items()},
            country=country,
            kind=str(entry.get("kind") or "phone"),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ContentError(f"{path}: malformed service entry {entry!r}: {exc}") from exc
