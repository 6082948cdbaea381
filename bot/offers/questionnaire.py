"""The guided check: answers to the questionnaire turned into the same kind of report."""

from __future__ import annotations

from collections.abc import Mapping

from bot.offers.data import OfferData, default_data
from bot.offers.matcher import Hit
from bot.offers.scoring import build_findings, risk_for, score
from bot.offers.types import Evidence, Finding, OfferReport

__all__ = ["questionnaire_report"]


def questionnaire_report(
    answers: Mapping[str, str], *, language: str = "und", data: OfferData | None = None
) -> OfferReport:
    """A report from button answers ``{question_id: answer_id}``; unknown ids are ignored."""
    data = data or default_data()
    hits: list[Hit] = []
    for question in data.questions:
        answer = question.answer(answers.get(question.id, ""))
        if answer is None:
            continue
        ev = Evidence(f"{question.id}={answer.id}", -1, -1, "answer")
        hits += [Hit(fid, 0, True, ev) for fid in (*answer.flags, *answer.protective)]
    flags, protective, critical = build_findings(hits, data.catalogue)
    value = score(flags, protective, critical=bool(critical), reported=False)
    answered = sum(1 for q in data.questions if q.answer(answers.get(q.id, "")) is not None)
    notes = () if answered else (Finding("little_to_check", 0),)
    flag_ids = {f.id for f in flags}
    verify = ["licence", "employer", "contract", "visa"]
    if flag_ids & {"upfront_fee", "debt_bondage"}:
        verify.append("costs")
    return OfferReport(
        score=value,
        risk=risk_for(value),
        flags=flags,
        protective=protective,
        language=language,
        pay=None,
        countries=(),
        phones=(),
        emails_domains=(),
        links_domains=(),
        reported_before=(),
        looks_like_offer=False,
        notes=notes,
        verify=tuple(verify),
    )
