"""Run the catalogue's patterns over a prepared offer: hits, negation, exceptions."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from itertools import chain

from bot.offers.catalogue import Catalogue, Rule, Unless
from bot.offers.text import Prepared
from bot.offers.types import Evidence

__all__ = ["Hit", "active_contexts", "match_rules", "negator_for"]

_WORD = re.compile(r"[\w'’-]+")
_NEGATION_WINDOW = 3  # words before a match that can negate it ("fara nicio taxa")
# "taxa: 0 lei" is no fee at all
_ZERO_AMOUNT = re.compile(r"(?<![\d.,])0(?:[.,]0+)?\s?(?:€|\$|eur|euro|evro|lei|mdl|usd|rub|grn)\b")


@dataclass(frozen=True, slots=True)
class Hit:
    """One piece of evidence for a rule."""

    rule: str
    weight: int
    strong: bool  # matched at the rule's full weight (its min_risk applies)
    evidence: Evidence
    groups: Mapping[str, str] = field(default_factory=dict)


def negator_for(catalogue: Catalogue, languages: Collection[str]) -> re.Pattern[str]:
    """One pattern matching a negating word of any of ``languages`` (all when none known)."""
    langs = [lang for lang in languages if lang in catalogue.negators] or list(catalogue.negators)
    return re.compile("|".join(catalogue.negators[lang].pattern for lang in langs))


def active_contexts(
    prepared: Prepared, catalogue: Catalogue, countries: Collection[str]
) -> frozenset[str]:
    """Names of the contexts present in the offer (by words or by named countries)."""
    present = set()
    for name, ctx in catalogue.contexts.items():
        if ctx.countries.intersection(countries) or any(
            p.search(prepared.folded) for p in ctx.patterns
        ):
            present.add(name)
    return frozenset(present)


def _negated(
    prepared: Prepared, rule: Rule, start: int, end: int, negator: re.Pattern[str]
) -> int | None:
    """Where the negation starts (folded), or None when the match stands."""
    c_start, _ = prepared.clause(start)
    before = prepared.folded[c_start:start]
    words = list(_WORD.finditer(before))[-_NEGATION_WINDOW:]
    for w in words:
        if negator.fullmatch(w.group(0)):
            return c_start + w.start()
    if _ZERO_AMOUNT.search(prepared.folded[start:end]):
        return start
    if rule.negate_within and any(
        negator.fullmatch(w.group(0)) for w in _WORD.finditer(prepared.folded[start:end])
    ):
        return start
    _, s_end = prepared.sentence(max(end - 1, start))
    after = prepared.folded[end:s_end]
    if any(p.search(after) for p in rule.negated_after):
        return start
    return None


def _dropped_by_context(prepared: Prepared, rule: Rule, start: int) -> bool:
    c_start, _ = prepared.clause(start)
    before = prepared.folded[c_start:start]
    return any(p.search(before) for p in rule.not_before)


def _unless(prepared: Prepared, rule: Rule, start: int, end: int) -> tuple[Unless, int, int] | None:
    """The exception (and its span) found in the same clause or sentence, if any."""
    for unless in rule.unless:
        bounds = prepared.sentence if unless.scope == "sentence" else prepared.clause
        lo, _ = bounds(start)
        _, hi = bounds(max(end - 1, start))
        window = prepared.folded[lo:hi]
        for p in unless.patterns:
            m = p.search(window)
            if m:
                return unless, lo + m.start(), lo + m.end()
    return None


def _match_rule(
    prepared: Prepared, rule: Rule, negator: re.Pattern[str], contexts: frozenset[str]
) -> list[Hit]:
    hits: list[Hit] = []
    for pattern in rule.patterns:
        if pattern.context is not None and pattern.context not in contexts:
            continue
        weight = pattern.weight if pattern.weight is not None else rule.weight
        strong = pattern.weight is None
        if rule.match_on == "original":
            for m in pattern.regex.finditer(prepared.clean):
                ev = Evidence(prepared.original[m.start() : m.end()], m.start(), m.end())
                hits.append(Hit(rule.id, weight, strong, ev))
            continue
        # A match never spans two lines: "fara experienta" ending one line of
        # an advert says nothing about "Contract ..." starting the next.
        matches = (pattern.regex.finditer(prepared.folded, a, b) for a, b in prepared.lines())
        for m in chain.from_iterable(matches):
            start, end = m.span()
            if start == end:
                continue
            groups = {k: v for k, v in m.groupdict().items() if v}
            if _dropped_by_context(prepared, rule, start):
                continue
            if rule.negatable:
                neg_start = _negated(prepared, rule, start, end, negator)
                if neg_start is not None:
                    if rule.negated_to:
                        hits.append(
                            Hit(rule.negated_to, 0, False, prepared.evidence(neg_start, end))
                        )
                    continue
            exception = _unless(prepared, rule, start, end)
            if exception is not None:
                unless, ex_start, ex_end = exception
                if unless.to:
                    hits.append(Hit(unless.to, 0, False, prepared.evidence(ex_start, ex_end)))
                continue
            hits.append(Hit(rule.id, weight, strong, prepared.evidence(start, end), groups))
    return hits


def match_rules(
    prepared: Prepared, catalogue: Catalogue, languages: Collection[str], contexts: frozenset[str]
) -> list[Hit]:
    """Every hit of every rule; a hit with weight 0 takes its weight from its target rule."""
    negator = negator_for(catalogue, languages)
    hits: list[Hit] = []
    for rule in catalogue.rules:
        hits.extend(_match_rule(prepared, rule, negator, contexts))
    return hits
