"""The report as the user reads it, in the content Markdown subset (content/README.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.offers.data import OfferData, default_data
from bot.offers.privacy import mask_contacts
from bot.offers.types import Evidence, Finding, OfferReport

__all__ = ["render_report"]

FALLBACK_LANGUAGE = "ro"
MAX_QUOTE = 120
_TOP_NOTES = (
    "reported_before",
    "text_truncated",
    "unknown_language",
    "little_to_check",
    "nothing_verifiable",
)
_AGENCY_NOTES = (
    "agency_confirmed",
    "agency_not_confirmed",
    "agency_licence_expired",
    "agency_country_not_covered",
)
_COVERED_BY = {
    "licence": frozenset({"unlicensed_agency"}),
    "employer": frozenset({"anonymous_recruiter"}),
    "contract": frozenset({"no_written_contract", "contract_language"}),
    "visa": frozenset({"tourist_visa_work"}),
    "pay": frozenset({"unrealistic_pay"}),
    "costs": frozenset({"upfront_fee", "debt_bondage", "cash_or_delayed_pay"}),
}
# Markup a quote must not carry into the message: bold, links, placeholders.
_LINK = re.compile(r"\[([^\]]*)\]\(")


def _quote(text: str, frame: Mapping[str, Any]) -> str:
    """A quote from the user's text, safe to embed: contacts masked, no markup, short."""
    masked = mask_contacts(text, frame["masked"]["phone"], frame["masked"]["email"])
    flat = " ".join(masked.replace("{", "(").replace("}", ")").replace("*", "").split())
    flat = _LINK.sub(r"[\1] (", flat)
    return flat if len(flat) <= MAX_QUOTE else flat[: MAX_QUOTE - 1].rstrip() + "…"


def _answer_label(ev: Evidence, data: OfferData, lang: str) -> str:
    qid, _, aid = ev.quote.partition("=")
    for q in data.questions:
        a = q.answer(aid) if q.id == qid else None
        if a is not None:
            return a.label.get(lang, a.label.get(FALLBACK_LANGUAGE, aid))
    return aid


def _evidence_line(f: Finding, frame: Mapping[str, Any], data: OfferData, lang: str) -> str:
    quotes = [
        f"„{_quote(e.quote, frame)}”"
        for e in f.evidence
        if e.source not in {"answer", "registry", "reported"}
    ]
    answers = [f"„{_answer_label(e, data, lang)}”" for e in f.evidence if e.source == "answer"]
    parts = []
    if quotes:
        parts.append(f"{frame['in_text']}: {', '.join(dict.fromkeys(quotes))}.")
    if answers:
        parts.append(f"{frame['answered']}: {', '.join(dict.fromkeys(answers))}.")
    return " ".join(parts)


def _text(data: OfferData, fid: str, lang: str, key: str) -> str:
    texts = data.catalogue.by_id[fid].text
    return texts.get(lang, texts[FALLBACK_LANGUAGE])[key]


def _bullet(data: OfferData, f: Finding, frame: Mapping[str, Any], lang: str) -> str:
    explanation = _text(data, f.id, lang, "explanation")
    return f"- {explanation} {_evidence_line(f, frame, data, lang)}".rstrip()


def render_report(report: OfferReport, lang: str, *, data: OfferData | None = None) -> str:
    """The message for the user in ``lang``: risk, findings with evidence, checks, next steps."""
    data = data or default_data()
    lang = lang if lang in data.frame else FALLBACK_LANGUAGE
    frame = data.frame[lang]
    blocks = [f"**{frame['risk'][report.risk]}**", frame["intro"][report.risk]]
    notes = report.note_ids
    blocks += [frame["note"][n] for n in _TOP_NOTES if n in notes]
    if report.flags:
        lines = [frame["heading"]["flags"]]
        for f in report.flags:
            lines.append(_bullet(data, f, frame, lang))
        blocks.append("\n".join(lines))
    if report.protective:
        lines = [frame["heading"]["protective"]]
        for f in report.protective:
            lines.append(_bullet(data, f, frame, lang))
        blocks.append("\n".join(lines))
    blocks += [frame["note"][n] for n in _AGENCY_NOTES if n in notes]
    # a flag's own advice replaces the general check it is about
    flag_ids = set(report.flag_ids)
    verify = [f"- {_text(data, f.id, lang, 'advice')}" for f in report.flags]
    verify += [
        f"- {frame['verify'][v]}"
        for v in report.verify
        if v in frame["verify"] and not flag_ids & _COVERED_BY.get(v, frozenset())
    ]
    blocks.append("\n".join([frame["heading"]["verify"], *dict.fromkeys(verify)]))
    blocks.append("\n".join([frame["heading"]["next"], *(f"- {step}" for step in frame["next"])]))
    if report.risk == "high":
        blocks.append(frame["operator"])
    return "\n\n".join(blocks)
