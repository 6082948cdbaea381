"""The reference wage table (content/offers/wages.yml): currencies, periods, ceilings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Currency", "WageTable", "load_wages"]


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO currency with the words people write for it and a rough rate to EUR."""

    code: str
    to_eur: float
    aliases: tuple[str, ...]
    verified: bool


@dataclass(frozen=True, slots=True)
class Reference:
    """Typical monthly net pay for low-skill work in one country (EUR), and its provenance."""

    low: float
    ceiling: float
    verified: bool
    source: str | None


# eq=False: hashed by identity, so compiled helpers can be cached per table
@dataclass(frozen=True, slots=True, eq=False)
class WageTable:
    """Everything pay reasoning needs, loaded from wages.yml."""

    currencies: Mapping[str, Currency]
    alias_to_code: Mapping[str, str]
    periods: Mapping[str, str]  # word -> hour|day|week|month|year|trip
    net_words: tuple[str, ...]
    gross_words: tuple[str, ...]
    countries: Mapping[str, Reference]
    default: Reference
    far_above: float
    above_with_lure: float
    gross_factor: float
    hours_per_month: float
    days_per_month: float
    weeks_per_month: float

    def reference(self, countries: tuple[str, ...]) -> tuple[str | None, Reference]:
        """The first destination with a reference; Moldova (where agencies sit) is skipped."""
        for code in countries:
            if code != "MD" and code in self.countries:
                return code, self.countries[code]
        return None, self.default

    def currency_pattern(self) -> str:
        """A regex alternative matching any currency symbol or word (folded text)."""
        symbols = sorted(
            (a for a in self.alias_to_code if not a[0].isalnum()), key=len, reverse=True
        )
        words = sorted((a for a in self.alias_to_code if a[0].isalnum()), key=len, reverse=True)
        sym = "|".join(re.escape(s) for s in symbols)
        word = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
        return rf"(?:{sym}|\b(?:{word})\b)"

    def period_pattern(self) -> str:
        """A regex alternative matching any period word."""
        words = sorted(self.periods, key=len, reverse=True)
        return r"(?:" + "|".join(re.escape(w) for w in words) + r")\b"


def _reference(raw: Mapping[str, Any]) -> Reference:
    low, ceiling = raw["range"]
    return Reference(
        float(low), float(ceiling), bool(raw.get("verified", False)), raw.get("source")
    )


def load_wages(raw: Mapping[str, Any]) -> WageTable:
    """Build the table from the parsed YAML; raises ValueError on a malformed file."""
    try:
        currencies = {
            code: Currency(
                code,
                float(c["to_eur"]),
                tuple(str(a).lower() for a in c["aliases"]),
                bool(c.get("verified", False)),
            )
            for code, c in raw["currencies"].items()
        }
        alias_to_code: dict[str, str] = {}
        for cur in currencies.values():
            for alias in cur.aliases:
                alias_to_code.setdefault(alias, cur.code)
        periods: dict[str, str] = {}
        for period, words in raw["periods"].items():
            for word in words:
                periods.setdefault(str(word).lower(), period)
        ratios = raw["ratios"]
        return WageTable(
            currencies=currencies,
            alias_to_code=alias_to_code,
            periods=periods,
            net_words=tuple(raw["net_words"]),
            gross_words=tuple(raw["gross_words"]),
            countries={str(k): _reference(v) for k, v in raw["countries"].items()},
            default=_reference(raw["default"]),
            far_above=float(ratios["far_above"]),
            above_with_lure=float(ratios["above_with_lure"]),
            gross_factor=float(raw["gross_factor"]),
            hours_per_month=float(raw["hours_per_month"]),
            days_per_month=float(raw["days_per_month"]),
            weeks_per_month=float(raw["weeks_per_month"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"wages.yml: {exc!r}") from exc
