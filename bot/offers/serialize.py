"""The report as JSON: the CONTRACTS.md jsonl line, and a privacy-safe form for storage."""

from __future__ import annotations

from typing import Any

from bot.offers.privacy import mask_contacts, mask_names
from bot.offers.types import Evidence, Finding, OfferReport

__all__ = ["report_for_storage", "to_json"]


def to_json(report: OfferReport) -> dict[str, Any]:
    """The ``safemig offer check --jsonl`` line: risk, score, flag and signal ids, language."""
    return {
        "risk": report.risk,
        "score": report.score,
        "flags": list(report.flag_ids),
        "protective": list(report.protective_ids),
        "language": report.language,
    }


def _evidence(e: Evidence) -> dict[str, Any]:
    # quotes lose phone numbers, e-mails, handles, link paths and likely names
    quote = (
        e.quote
        if e.source in {"answer", "reported", "registry"}
        else mask_names(mask_contacts(e.quote))
    )
    return {"quote": quote, "start": e.start, "end": e.end, "source": e.source}


def _finding(f: Finding) -> dict[str, Any]:
    return {"id": f.id, "weight": f.weight, "evidence": [_evidence(e) for e in f.evidence]}


def report_for_storage(report: OfferReport) -> dict[str, Any]:
    """Everything worth keeping, with no phone number, e-mail address or name of the user's."""
    pay = report.pay
    return {
        **to_json(report),
        "flags": [_finding(f) for f in report.flags],
        "protective": [_finding(f) for f in report.protective],
        "notes": [_finding(f) for f in report.notes],
        "pay": None
        if pay is None
        else {
            "amount_min": pay.amount_min,
            "amount_max": pay.amount_max,
            "currency": pay.currency,
            "period": pay.period,
            "basis": pay.basis,
            "monthly_eur": pay.monthly_eur,
            "reference_country": pay.reference_country,
            "ratio": pay.ratio,
        },
        "countries": list(report.countries),
        "phones": [{"country": p.country, "kind": p.kind} for p in report.phones],
        "emails_domains": list(report.emails_domains),
        "links_domains": list(report.links_domains),
        "reported_before": list(report.reported_before),
        "looks_like_offer": report.looks_like_offer,
        "verify": list(report.verify),
        "truncated": report.truncated,
    }
