"""From hits to findings, and from findings to a score and a risk level."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from bot.offers.catalogue import Catalogue
from bot.offers.matcher import Hit
from bot.offers.types import Evidence, Finding, Risk

__all__ = ["HIGH", "MEDIUM", "build_findings", "risk_for", "score"]

HIGH = 60  # score at or above: high risk; a critical flag alone puts an offer here
MEDIUM = 25
REPORTED_FLOOR = 85  # an offer matching a confirmed scam
MAX_REDUCTION = 0.7  # protective signals never take away more than this share
MAX_EVIDENCE = 5


def _merge(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """Evidence in text order; overlapping quotes of the text are joined into one."""
    items = sorted(set(evidence), key=lambda e: (e.start, -(e.end - e.start)))
    out: list[Evidence] = []
    for e in items:
        last = out[-1] if out else None
        if last is not None and e.start >= 0 and last.start >= 0 and e.start < last.end:
            if e.end > last.end:  # both quote the same original text, so they join exactly
                out[-1] = Evidence(
                    last.quote + e.quote[last.end - e.start :], last.start, e.end, last.source
                )
            continue
        out.append(e)
    return tuple(out[:MAX_EVIDENCE])


def build_findings(
    hits: Iterable[Hit], catalogue: Catalogue
) -> tuple[tuple[Finding, ...], tuple[Finding, ...], frozenset[str]]:
    """Flags and protective signals (strongest first) and the ids of critical flags found."""
    weight: dict[str, int] = defaultdict(int)
    evidence: dict[str, list[Evidence]] = defaultdict(list)
    critical: set[str] = set()
    for hit in hits:
        rule = catalogue.by_id[hit.rule]
        w = hit.weight or rule.weight
        weight[hit.rule] = max(weight[hit.rule], w)
        evidence[hit.rule].append(hit.evidence)
        if hit.strong and rule.min_risk == "high":
            critical.add(hit.rule)
    findings = {rid: Finding(rid, weight[rid], _merge(evidence[rid])) for rid in weight}
    order = sorted(findings.values(), key=lambda f: (-f.weight, f.id))
    flags = tuple(f for f in order if catalogue.by_id[f.id].kind == "flag")
    protective = tuple(f for f in order if catalogue.by_id[f.id].kind == "protective")
    return flags, protective, frozenset(critical)


def score(
    flags: Iterable[Finding], protective: Iterable[Finding], *, critical: bool, reported: bool
) -> int:
    """0-100: flags combine like independent risks; protective signals shrink the result."""
    remaining = 1.0
    for f in flags:
        remaining *= 1 - min(f.weight, 100) / 100
    reduction = min(MAX_REDUCTION, sum(p.weight for p in protective) / 100)
    value = 100 * (1 - remaining) * (1 - reduction)
    if critical:
        value = max(value, HIGH)
    if reported:
        value = max(value, REPORTED_FLOOR)
    return max(0, min(100, round(value)))


def risk_for(value: int) -> Risk:
    """The risk level of a score."""
    if value >= HIGH:
        return "high"
    if value >= MEDIUM:
        return "medium"
    return "low"
