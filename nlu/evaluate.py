"""Evaluation: held-out split of the training data, and independently written messages."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nlu import data as nludata
from nlu.embedded import EMERGENCY, EmbeddedNLU
from nlu.model import train_artifacts
from nlu.safety import load_safety_net
from nlu.types import Parse

__all__ = ["Case", "Report", "evaluate", "held_out_report", "load_unseen", "unseen_report"]


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled message to evaluate on."""

    text: str
    intent: str
    language: str | None
    countries: frozenset[str] | None  # None: not annotated, not scored


@dataclass(slots=True)
class Report:
    """Scores of one evaluation run; ``to_json`` is the ``--json`` output."""

    name: str
    cases: int = 0
    intent_accuracy: float = 0.0
    per_language: dict[str, dict[str, float]] = field(default_factory=dict)
    per_intent: dict[str, dict[str, float]] = field(default_factory=dict)
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    language_accuracy: float = 0.0
    language_confusions: list[tuple[str, str, int]] = field(default_factory=list)
    country_accuracy: float = 0.0
    country_cases: int = 0
    emergency_recall: float = 0.0
    emergency_cases: int = 0
    emergency_false_alarms: int = 0
    safety_net_recall: float = 0.0
    safety_net_false_alarms: int = 0
    non_emergency_cases: int = 0
    fallback_rate: float = 0.0
    misses: list[dict[str, object]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["confusions"] = [{"gold": g, "predicted": p, "count": n} for g, p, n in self.confusions]
        out["language_confusions"] = [
            {"gold": g, "predicted": p, "count": n} for g, p, n in self.language_confusions
        ]
        return out


def evaluate(nlu: EmbeddedNLU, cases: Sequence[Case], name: str) -> Report:
    """Parse every case (the user's language as the hint, as the dialogue would) and score."""
    parses = [nlu.parse_sync(c.text, lang_hint=None) for c in cases]
    return score(cases, parses, name)


def score(cases: Sequence[Case], parses: Sequence[Parse], name: str) -> Report:
    """Compute every metric of a Report from cases and their parses."""
    report = Report(name=name, cases=len(cases))
    if not cases:
        return report
    gold = [c.intent for c in cases]
    pred = [p.intent for p in parses]
    report.intent_accuracy = _accuracy(gold, pred)
    report.per_intent = _prf(gold, pred)
    by_lang: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(cases):
        by_lang[c.language or "?"].append(i)
    for lang, idx in sorted(by_lang.items()):
        lang_gold = [gold[i] for i in idx]
        lang_pred = [pred[i] for i in idx]
        with_lang = [i for i in idx if cases[i].language]
        report.per_language[lang] = {
            "cases": len(idx),
            "intent_accuracy": _accuracy(lang_gold, lang_pred),
            "macro_f1": _macro_f1(_prf(lang_gold, lang_pred)),
            "language_accuracy": _accuracy(
                [str(cases[i].language) for i in with_lang], [parses[i].language for i in with_lang]
            ),
        }
    report.confusions = _top_pairs((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    langs = [
        (str(c.language), p.language) for c, p in zip(cases, parses, strict=True) if c.language
    ]
    report.language_accuracy = _accuracy([g for g, _ in langs], [p for _, p in langs])
    report.language_confusions = _top_pairs((g, p) for g, p in langs if g != p)
    scored = [(c, p) for c, p in zip(cases, parses, strict=True) if c.countries is not None]
    report.country_cases = len(scored)
    report.country_accuracy = _mean(c.countries == frozenset(p.countries()) for c, p in scored)
    emergencies = [(c, p) for c, p in zip(cases, parses, strict=True) if c.intent == EMERGENCY]
    others = [(c, p) for c, p in zip(cases, parses, strict=True) if c.intent != EMERGENCY]
    report.emergency_cases = len(emergencies)
    report.emergency_recall = _mean(p.intent == EMERGENCY for _, p in emergencies)
    report.safety_net_recall = _mean(p.safety_rule is not None for _, p in emergencies)
    report.non_emergency_cases = len(others)
    report.emergency_false_alarms = sum(p.intent == EMERGENCY for _, p in others)
    report.safety_net_false_alarms = sum(p.safety_rule is not None for _, p in others)
    report.fallback_rate = _mean(p.intent == "nlu_fallback" for p in parses)
    report.misses = [
        {
            "text": c.text,
            "gold": c.intent,
            "predicted": p.intent,
            "language": p.language,
            "rule": p.safety_rule,
        }
        for c, p in zip(cases, parses, strict=True)
        if c.intent != p.intent
        or (c.countries is not None and c.countries != frozenset(p.countries()))
    ]
    return report


def held_out_report(data_dir: Path) -> Report:
    """Train on the ~80% split, evaluate on the held-out ~20% the model never saw."""
    data = nludata.load(data_dir)
    train, test = nludata.split(data.examples)
    nlu = EmbeddedNLU(train_artifacts(data, train), load_safety_net())
    cases = [
        Case(
            ex.text,
            ex.intent,
            ex.language,
            frozenset(a.value for a in ex.entities if a.entity == "country"),
        )
        for ex in test
    ]
    return evaluate(nlu, cases, "held-out")


def load_unseen(path: Path) -> list[Case]:
    """Read the unseen-messages file: a YAML list of {text, intent, language, countries}."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    cases: list[Case] = []
    for row in raw:
        if not isinstance(row, dict) or not row.get("text") or not row.get("intent"):
            continue
        countries = row.get("countries")
        cases.append(
            Case(
                str(row["text"]),
                str(row["intent"]),
                str(row["language"]) if row.get("language") else None,
                frozenset(str(c) for c in countries) if isinstance(countries, list) else None,
            )
        )
    return cases


def unseen_report(nlu: EmbeddedNLU, path: Path) -> Report:
    """Evaluate the model trained on all data on independently written messages."""
    return evaluate(nlu, load_unseen(path), f"unseen ({path.name})")


def _accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    return _mean(g == p for g, p in zip(gold, pred, strict=True))


def _mean(values: Iterable[bool]) -> float:
    items = list(values)
    return round(sum(items) / len(items), 4) if items else 0.0


def _prf(gold: Sequence[str], pred: Sequence[str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for label in sorted(set(gold)):
        tp = sum(g == p == label for g, p in zip(gold, pred, strict=True))
        n_pred = sum(p == label for p in pred)
        n_gold = sum(g == label for g in gold)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": n_gold,
        }
    return out


def _macro_f1(table: dict[str, dict[str, float]]) -> float:
    return round(sum(r["f1"] for r in table.values()) / len(table), 4) if table else 0.0


def _top_pairs(pairs: Iterable[tuple[str, str]], n: int = 15) -> list[tuple[str, str, int]]:
    return [(g, p, k) for (g, p), k in Counter(pairs).most_common(n)]
