"""When operators answer: ``OPERATOR_HOURS`` in ``TIMEZONE``.

The format is one or more ``DAYS HH:MM-HH:MM`` parts separated by ``;`` or
``,``, where DAYS is a day (``Sat``) or a range (``Mon-Fri``). Examples:
``Mon-Fri 08:00-20:00`` or ``Mon-Fri 08:00-20:00; Sat 10:00-14:00``.
``always`` (or ``24/7``) means operators are always there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_time

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(
    r"^\s*(?P<first>[A-Za-z]{3})(?:\s*-\s*(?P<last>[A-Za-z]{3}))?\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)
# Babel has no Romani locale; Romani speakers in Moldova read Romanian day names.
_BABEL_LOCALE = {"rom": "ro_MD", "ro": "ro_MD", "ru": "ru", "uk": "uk", "en": "en_GB"}


@dataclass(frozen=True, slots=True)
class Window:
    """Some days of the week (0 = Monday), from one time to another."""

    days: tuple[int, ...]
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class OperatorHours:
    """Parsed operator hours in a time zone."""

    windows: tuple[Window, ...]
    zone: ZoneInfo
    always: bool = False

    @classmethod
    def parse(cls, spec: str, timezone: str) -> OperatorHours:
        """Parse ``OPERATOR_HOURS``; raises ValueError with the offending part."""
        zone = ZoneInfo(timezone)
        if spec.strip().lower() in ("always", "24/7"):
            return cls((), zone, always=True)
        windows = []
        for part in re.split(r"[;,]", spec):
            if not part.strip():
                continue
            match = _PART.match(part)
            if match is None:
                raise ValueError(f"cannot read operator hours {part.strip()!r}")
            first = _day(match["first"])
            last = _day(match["last"]) if match["last"] else first
            days = tuple(range(first, last + 1)) if first <= last else (
                *range(first, 7), *range(0, last + 1))
            windows.append(Window(days, _clock(match["start"]), _clock(match["end"])))
        if not windows:
            raise ValueError("OPERATOR_HOURS is empty")
        return cls(tuple(windows), zone)

    def is_open(self, at: datetime) -> bool:
        """Whether operators answer at the (aware) moment ``at``."""
        if self.always:
            return True
        local = at.astimezone(self.zone)
        now = local.time()
        return any(local.weekday() in w.days and w.start <= now < w.end for w in self.windows)

    def describe(self, language: str) -> str:
        """The hours in words, e.g. "luni – vineri, 08:00–20:00 (ora Moldovei)"."""
        locale = Locale.parse(_BABEL_LOCALE.get(language, "en_GB"))
        if self.always:
            return "24/7"
        names = locale.days["format"]["wide"]
        parts = []
        for w in self.windows:
            days = names[w.days[0]] if len(w.days) == 1 else (
                f"{names[w.days[0]]} – {names[w.days[-1]]}")
            start = format_time(w.start, "HH:mm", locale=locale)
            end = format_time(w.end, "HH:mm", locale=locale)
            parts.append(f"{days}, {start}–{end}")
        return "; ".join(parts)


def _day(name: str) -> int:
    try:
        return DAYS.index(name.lower())
    except ValueError:
        raise ValueError(f"unknown day {name!r} in operator hours") from None


def _clock(value: str) -> time:
    hours, minutes = (int(x) for x in value.split(":"))
    if hours == 24 and minutes == 0:
        return time.max
    return time(hours, minutes)
