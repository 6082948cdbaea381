"""Interface strings through gettext catalogues managed with Babel.

Romani (``rom``) has no CLDR locale: its catalogue carries its own plural
rule, and numbers and dates are formatted as ``ro_MD`` does.
"""

from __future__ import annotations

import gettext
import io
import logging
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.core import negotiate_locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot.settings import LANGUAGES, REPO_ROOT

log = logging.getLogger(__name__)

DOMAIN = "messages"
DEFAULT_LANGUAGE = "ro"

# Each language named in itself, as the language picker shows it.
LANGUAGE_NAMES = {
    "ro": "Română",
    "ru": "Русский",
    "uk": "Українська",
    "en": "English",
    "rom": "Romani",
}

# The CLDR locale whose number and date formats a language uses.
_FORMAT_LOCALE = {"ro": "ro_MD", "ru": "ru_MD", "uk": "uk", "en": "en_GB", "rom": "ro_MD"}


class Translator:
    """The interface strings of one language, with locale-aware formatting."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self._t = translations
        self.locale = Locale.parse(_FORMAT_LOCALE.get(language, "en_GB"))

    def _(self, message: str, **values: Any) -> str:
        """Translate a whole sentence; named placeholders are filled after translation."""
        text = self._t.gettext(message)
        return text.format(**values) if values else text

    def n_(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """Translate with the language's plural rule; ``{n}`` is the formatted count."""
        text = self._t.ngettext(singular, plural, n)
        return text.format(n=self.number(n), **values)

    def number(self, value: float) -> str:
        """A number as this language writes it."""
        return format_decimal(value, locale=self.locale)

    def date(self, value: date | datetime) -> str:
        """A date as this language writes it."""
        if isinstance(value, datetime):
            return format_datetime(value, format="medium", locale=self.locale)
        return format_date(value, format="medium", locale=self.locale)


class Catalogs:
    """Loads each language's catalogue once."""

    def __init__(self, locales_dir: Path = REPO_ROOT / "locales") -> None:
        self.locales_dir = locales_dir
        self._cache: dict[str, Translator] = {}

    def get(self, language: str | None) -> Translator:
        """The translator for a language; unknown languages get the default one."""
        lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
        if lang not in self._cache:
            self._cache[lang] = Translator(lang, self._load(lang))
        return self._cache[lang]

    def _load(self, lang: str) -> gettext.NullTranslations:
        base = self.locales_dir / lang / "LC_MESSAGES"
        po, mo = base / f"{DOMAIN}.po", base / f"{DOMAIN}.mo"
        if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
            with mo.open("rb") as fh:
                return gettext.GNUTranslations(fh)
        if po.exists():
            # A fresh checkout before `pybabel compile`: compile in memory.
            log.info("catalogue_compiled_in_memory", extra={"language": lang})
            return gettext.GNUTranslations(io.BytesIO(compile_po(po)))
        log.warning("catalogue_missing", extra={"language": lang})
        return gettext.NullTranslations()


def compile_po(po: Path) -> bytes:
    """The .mo bytes of a .po file (fuzzy entries left out, as msgfmt does)."""
    with po.open("rb") as fh:
        catalog = read_po(fh)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


@cache
def _supported_tags() -> tuple[str, ...]:
    return tuple(LANGUAGES)


def negotiate(preferred: Iterable[str | None]) -> str | None:
    """Our language for a list of the user's preferred tags (best first), or None.

    Telegram's ``language_code``, Viber's ``language`` and the browser's
    ``Accept-Language`` all arrive here. ``mo`` (Moldovan) and ``rom-*``
    variants map to Romanian and Romani.
    """
    cleaned: list[str] = []
    for tag in preferred:
        if not tag:
            continue
        tag = tag.strip().replace("_", "-").lower()
        primary = tag.split("-")[0]
        if primary in ("mo", "ro"):
            cleaned.append("ro")
        elif primary in ("rom", "rmy", "rmn", "rmc"):
            cleaned.append("rom")
        else:
            cleaned.append(primary)
    found = negotiate_locale(cleaned, list(_supported_tags()), sep="-")
    return found if found in LANGUAGES else None


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags from an ``Accept-Language`` header, best first."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag.strip() != "*" and quality > 0:
            weighted.append((-quality, index, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]
