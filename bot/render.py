"""One source, every channel: the content Markdown subset rendered per channel.

The subset is deliberately small (paragraphs, ``- `` bullets, ``**bold**``,
``[words](https://...)``), so each renderer escapes everything else and no
user or content text can inject markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

__all__ = ["split_message", "to_html", "to_plain", "to_telegram_html"]

_TOKEN = re.compile(r"\*\*(?P<bold>.+?)\*\*|\[(?P<label>[^\]\n]+)\]\((?P<url>https?://[^)\s]+)\)")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def _inline(text: str, bold: Callable[[str], str], link: Callable[[str, str], str],
            escape: Callable[[str], str]) -> str:
    out: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        out.append(escape(text[pos : match.start()]))
        if match.group("bold") is not None:
            out.append(bold(escape(match.group("bold"))))
        else:
            out.append(link(escape(match.group("label")), match.group("url")))
        pos = match.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def _blocks(text: str) -> list[list[str]]:
    return [block.splitlines() for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]


def _bullet(line: str) -> str | None:
    stripped = line.strip()
    return stripped[2:].strip() if stripped.startswith(("- ", "• ")) else None


def to_telegram_html(text: str) -> str:
    """Telegram's HTML parse mode: only <b> and <a>, everything else escaped."""

    def link(label: str, url: str) -> str:
        return f'<a href="{html.escape(url, quote=True)}">{label}</a>'

    return _render(text, lambda s: f"<b>{s}</b>", link, lambda s: html.escape(s, quote=False),
                   bullet="• ")


def to_plain(text: str) -> str:
    """Plain text (Viber, the terminal): bold dropped, links as 'words (url)'."""
    return _render(text, lambda s: s, lambda label, url: f"{label} ({url})", lambda s: s,
                   bullet="• ")


def to_html(text: str) -> str:
    """HTML for the web chat: paragraphs and lists, every character escaped."""

    def link(label: str, url: str) -> str:
        href = html.escape(url, quote=True)
        return f'<a href="{href}" target="_blank" rel="noopener noreferrer">{label}</a>'

    parts: list[str] = []
    for lines in _blocks(text):
        bullets = [_bullet(line) for line in lines]
        rendered = [
            _inline(b if b is not None else line, lambda s: f"<strong>{s}</strong>", link,
                    html.escape)
            for b, line in zip(bullets, lines, strict=True)
        ]
        if all(b is not None for b in bullets):
            parts.append("<ul>" + "".join(f"<li>{r}</li>" for r in rendered) + "</ul>")
        else:
            parts.append("<p>" + "<br>".join(rendered) + "</p>")
    return "".join(parts)


def _render(text: str, bold: Callable[[str], str], link: Callable[[str, str], str],
            escape: Callable[[str], str], bullet: str) -> str:
    blocks = []
    for lines in _blocks(text):
        out = []
        for line in lines:
            item = _bullet(line)
            body = _inline(item if item is not None else line.strip(), bold, link, escape)
            out.append(bullet + body if item is not None else body)
        blocks.append("\n".join(out))
    return "\n\n".join(blocks)


def split_message(text: str, limit: int) -> list[str]:
    """Split rendered text into parts of at most ``limit`` characters.

    Cuts at paragraph ends first, then sentence ends, then spaces; a single
    word longer than the limit is cut hard. Markup-free text only: call it on
    plain text, or on HTML whose tags never span a sentence.
    """
    if limit <= 0:
        raise ValueError("limit must be positive")
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        candidate = f"{current}{piece}" if current else piece.lstrip()
        if len(candidate.rstrip()) <= limit:
            current = candidate
            continue
        if current.strip():
            parts.append(current.rstrip())
        current = piece.lstrip()
    if current.strip():
        parts.append(current.rstrip())
    return parts


def _pieces(text: str, limit: int) -> list[str]:
    """Sentence-sized pieces, each keeping its trailing separator, none over the limit."""
    pieces: list[str] = []
    pos = 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[pos : match.end()])
        pos = match.end()
    pieces.append(text[pos:])
    out: list[str] = []
    for piece in pieces:
        while len(piece) > limit:
            cut = piece.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            out.append(piece[:cut] + " ")
            piece = piece[cut:].lstrip()
        if piece:
            out.append(piece)
    return out
