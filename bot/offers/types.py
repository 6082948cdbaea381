"""The values the offer checker returns: a report, its findings and their evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["RISKS", "Evidence", "Finding", "OfferReport", "Pay", "Phone", "Risk"]

Risk = Literal["low", "medium", "high"]
RISKS: tuple[Risk, ...] = ("low", "medium", "high")


@dataclass(frozen=True, slots=True)
class Evidence:
    """Words that support a finding: a quote from the original text and its offsets.

    ``source`` says where it comes from: ``text`` (a pattern), ``pay``, ``contact``,
    ``age``, ``country``, ``registry``, ``reported`` or ``answer`` (questionnaire;
    then ``quote`` is ``question=answer`` and the offsets are -1).
    """

    quote: str
    start: int
    end: int
    source: str = "text"


@dataclass(frozen=True, slots=True)
class Finding:
    """A risk flag, protective signal or neutral note, with its weight and evidence."""

    id: str
    weight: int
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Pay:
    """The promised pay as read from the offer, and how it compares with the reference."""

    amount_min: float
    amount_max: float
    currency: str
    period: str | None  # hour | day | week | month | year | trip | None (not stated)
    basis: str | None  # net | gross | None (not stated)
    monthly_eur: float | None  # the top of the range per month, in EUR (approximate)
    reference_country: str | None  # country whose reference pay was used (None: default)
    ratio: float | None  # monthly_eur / typical ceiling there (unverified reference)
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone number found in the offer: where it is from and what kind, never the number."""

    country: str | None
    kind: str  # mobile | fixed | fixed_or_mobile | toll_free | voip | other


@dataclass(frozen=True, slots=True)
class OfferReport:
    """What the checker found in one offer. Low risk never means safe: see ``verify``."""

    score: int
    risk: Risk
    flags: tuple[Finding, ...]
    protective: tuple[Finding, ...]
    language: str
    pay: Pay | None
    countries: tuple[str, ...]
    phones: tuple[Phone, ...]
    emails_domains: tuple[str, ...]
    links_domains: tuple[str, ...]
    reported_before: tuple[str, ...]
    looks_like_offer: bool
    notes: tuple[Finding, ...] = ()  # neutral findings: agency_not_confirmed, text_truncated...
    verify: tuple[str, ...] = ()  # what the user should check (ids in report.yml "verify")
    truncated: bool = False

    @property
    def flag_ids(self) -> tuple[str, ...]:
        """Ids of the risk flags, strongest first."""
        return tuple(f.id for f in self.flags)

    @property
    def protective_ids(self) -> tuple[str, ...]:
        """Ids of the protective signals, strongest first."""
        return tuple(f.id for f in self.protective)

    @property
    def note_ids(self) -> tuple[str, ...]:
        """Ids of the neutral notes."""
        return tuple(f.id for f in self.notes)
