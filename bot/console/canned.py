"""Canned replies for operators, per language, from ``content/canned.yml``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.content import Content


@dataclass(frozen=True, slots=True)
class CannedReply:
    """One reply in one language; numbers are already filled in from services.yml."""

    id: str
    title: str
    text: str


def load_canned(content_dir: Path, content: Content) -> dict[str, tuple[CannedReply, ...]]:
    """Replies by language; an absent file means none."""
    path = content_dir / "canned.yml"
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    by_language: dict[str, list[CannedReply]] = {}
    for item in raw.get("replies", []):
        for language, text in (item.get("text") or {}).items():
            by_language.setdefault(language, []).append(CannedReply(
                str(item["id"]), str(text["title"]),
                content.fill(str(text["body"]), language).replace("**", "")))
    return {language: tuple(replies) for language, replies in by_language.items()}
