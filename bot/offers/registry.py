"""The licensed-agency registry (content/offers/agencies.csv): import, matching, licence checks.

The official list's format is not known yet (FACTS.md), so import is liberal in
header names (ro/ru/en) and dates, and strict about what a row must contain.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

from rapidfuzz import fuzz, process

from nlu.textnorm import fold

__all__ = [
    "COLUMNS",
    "Agency",
    "AgencyImportError",
    "Confirmation",
    "Registry",
    "import_agencies",
    "normalize_licence",
    "normalize_name",
    "write_agencies",
]

COLUMNS = ("name", "licence_number", "valid_until", "countries", "source")
# Header words people use for each column (folded: lower case, no diacritics,
# Latin letters), tried in this order: "Nr. licenței" is a licence, not a name.
_HEADERS = (
    ("licence_number", re.compile(r"licen|litsenz|licenz|permis")),
    (
        "valid_until",
        re.compile(r"valab|valid|expir|termen|deistvit|srok|diisn|termin|until|pana la"),
    ),
    ("countries", re.compile(r"\btar[ai]|\bcountr|\bstran|\bkrain|\bstatel|destinat")),
    ("source", re.compile(r"\bsurs|\bsourc|istochn|dzherel|\burl\b|\blink")),
    (
        "name",
        re.compile(
            r"\bnume\b|denumir|\bname\b|agent|agenc|compan|nazvan|naimenovan|kompan|\bnazva|firm"
        ),
    ),
)
_LEGAL_FORMS = re.compile(
    r"\b(?:s\.?\s?r\.?\s?l\.?|srl|s\.?a\.?|i\.?\s?c\.?\s?s\.?|ics|i\.?\s?i\.?|ooo|ooo|tov|llc|ltd|gmbh|"
    r"agentia privata de ocupare( a fortei de munca)?|agenti[ae]|agentstvo|agency|compania|firma"
    r"|sc)\b"
)
_QUOTES = re.compile(r"[\"'«»„“”‘’`]")
_LICENCE_CHARS = re.compile(r"[^A-Z0-9/-]")
_LICENCE_OK = re.compile(r"^[A-Z]{0,4}\d[A-Z0-9/-]{2,24}$")
_DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[./-](?P<m>\d{1,2})[./-](?P<y>\d{4})$"),
)
NAME_THRESHOLD = 88  # 0-100; "EuroMunca SRL" vs "S.R.L. «Euro Munca»" scores 100


@dataclass(frozen=True, slots=True)
class Agency:
    """One licensed private employment agency."""

    name: str
    licence_number: str
    valid_until: date | None
    countries: tuple[str, ...]  # ISO alpha-2; empty: not stated
    source: str | None


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What the registry says about an agency or licence number mentioned in an offer."""

    status: (
        str  # confirmed | expired | country_not_covered | not_found | bad_format | registry_empty
    )
    agency: Agency | None


class AgencyImportError(ValueError):
    """The list could not be imported; ``problems`` names every bad row."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


def normalize_name(name: str) -> str:
    """Compare form of an agency name: folded, no quotes, no legal form ("SRL", "ООО")."""
    folded = fold(_QUOTES.sub(" ", name))
    bare = _LEGAL_FORMS.sub(" ", folded)
    return re.sub(r"[\W_]+", " ", bare).strip()


def normalize_licence(number: str) -> str:
    """Compare form of a licence number: upper case, no "nr"/"No"/"№", no spaces."""
    s = number.upper().replace("№", " ")
    s = re.sub(r"^\s*(?:NR|NO|N|SERIA|SERIYA)\.?\s*", "", s)
    return _LICENCE_CHARS.sub("", s)


def _parse_date(raw: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    for rx in _DATE_FORMATS:
        m = rx.match(raw)
        if m:
            return date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    raise ValueError(f"unreadable date {raw!r}")


def _parse_countries(raw: str) -> tuple[str, ...]:
    codes: list[str] = []
    for part in re.split(r"[;,|/]", raw):
        part = part.strip()
        if not part:
            continue
        if re.fullmatch(r"[A-Za-z]{2}", part):
            codes.append(part.upper())
            continue
        from nlu import extract_countries  # the NLU's gazetteer names countries in every language

        found = [e.value for e in extract_countries(part)]
        if not found:
            raise ValueError(f"unknown country {part!r}")
        codes.extend(found)
    return tuple(dict.fromkeys(codes))


def _columns(header: Sequence[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, raw in enumerate(header):
        key = fold(raw).replace("_", " ")
        for column, words in _HEADERS:
            if key.strip() == column.replace("_", " ") or words.search(key):
                index.setdefault(column, i)
                break
    missing = [c for c in ("name", "licence_number") if c not in index]
    if missing:
        raise AgencyImportError(
            [f"header: no column for {', '.join(missing)} (found {list(header)})"]
        )
    return index


def _read_text(path_or_file: str | Path | IO[str]) -> str:
    if isinstance(path_or_file, (str, Path)):
        return Path(path_or_file).read_text(encoding="utf-8-sig")
    return path_or_file.read()


def import_agencies(path_or_file: str | Path | IO[str]) -> list[Agency]:
    """Read an agency list (CSV, comma/semicolon/tab); raises AgencyImportError listing bad rows."""
    text = _read_text(path_or_file)
    if not text.strip():
        raise AgencyImportError(["empty file"])
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    index = _columns(rows[0])
    agencies: list[Agency] = []
    problems: list[str] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(column: str, row: list[str] = row) -> str:
            i = index.get(column)
            return row[i].strip() if i is not None and i < len(row) else ""

        try:
            name, licence = cell("name"), normalize_licence(cell("licence_number"))
            if not name:
                raise ValueError("no name")
            if not _LICENCE_OK.match(licence):
                raise ValueError(
                    f"licence number {cell('licence_number')!r} has an unexpected format"
                )
            agencies.append(
                Agency(
                    name,
                    licence,
                    _parse_date(cell("valid_until")),
                    _parse_countries(cell("countries")),
                    cell("source") or None,
                )
            )
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        raise AgencyImportError(problems)
    return agencies


def write_agencies(agencies: Iterable[Agency], out: IO[str]) -> None:
    """Write agencies in the repository's CSV format (the columns of COLUMNS)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for a in agencies:
        writer.writerow(
            [
                a.name,
                a.licence_number,
                a.valid_until.isoformat() if a.valid_until else "",
                ";".join(a.countries),
                a.source or "",
            ]
        )


def _name_score(a: str, b: str, **_: object) -> float:
    # whole-name similarity, spacing ignored ("Euro Munca" = "EuroMunca"); a subset
    # score would let "Staff" match every "... Staff SRL"
    return max(fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")), fuzz.token_sort_ratio(a, b))


class Registry:
    """Licensed agencies, looked up by licence number or by a fuzzy name."""

    def __init__(self, agencies: Iterable[Agency] = ()) -> None:
        self.agencies = tuple(agencies)
        self._by_licence = {a.licence_number: a for a in self.agencies}
        self._names = [normalize_name(a.name) for a in self.agencies]

    def __len__(self) -> int:
        return len(self.agencies)

    def by_licence(self, number: str) -> Agency | None:
        """The agency holding this licence number, if listed."""
        return self._by_licence.get(normalize_licence(number))

    def find(self, name: str, threshold: int = NAME_THRESHOLD) -> list[tuple[Agency, float]]:
        """Agencies whose name matches ``name`` at or above ``threshold`` (best first)."""
        query = normalize_name(name)
        if not query or not self._names:
            return []
        matches = process.extract(
            query, self._names, scorer=_name_score, score_cutoff=threshold, limit=5
        )
        return [(self.agencies[i], float(score)) for _, score, i in matches]

    def confirm(
        self,
        *,
        licence: str | None = None,
        name: str | None = None,
        country: str | None = None,
        on: date | None = None,
    ) -> Confirmation:
        """Check a licence number (else a name): listed, valid on ``on``, covering ``country``."""
        if not self.agencies:
            return Confirmation("registry_empty", None)
        agency: Agency | None = None
        if licence is not None:
            if not _LICENCE_OK.match(normalize_licence(licence)):
                return Confirmation("bad_format", None)
            agency = self.by_licence(licence)
        if agency is None and name:
            found = self.find(name)
            agency = found[0][0] if found else None
        if agency is None:
            return Confirmation("not_found", None)
        if on is not None and agency.valid_until is not None and agency.valid_until < on:
            return Confirmation("expired", agency)
        if country is not None and agency.countries and country not in agency.countries:
            return Confirmation("country_not_covered", agency)
        return Confirmation("confirmed", agency)
