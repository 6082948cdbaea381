"""Scores of the offer checker on a labelled set: per-flag P/R/F1, micro-F1, risk confusion."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.offers import check_offer
from bot.offers.types import RISKS, OfferReport

HERE = Path(__file__).parent


def load(name: str) -> list[dict[str, Any]]:
    """The labelled offers of a jsonl file next to this module."""
    with (HERE / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@dataclass
class Scores:
    """Counts and derived metrics over a labelled set."""

    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)  # (expected, predicted)
    misses: list[str] = field(default_factory=list)

    def prf(self, label: str) -> tuple[float, float, float]:
        """Precision, recall and F1 of one flag or signal."""
        tp, fp, fn = self.tp[label], self.fp[label], self.fn[label]
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def micro_f1(self, labels: Iterable[str]) -> float:
        """Micro-averaged F1 over ``labels``."""
        labels = list(labels)
        tp = sum(self.tp[x] for x in labels)
        fp = sum(self.fp[x] for x in labels)
        fn = sum(self.fn[x] for x in labels)
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

    def rate(self, expected: str, predicted: str) -> float:
        """Share of offers labelled ``expected`` that the checker rated ``predicted``."""
        total = sum(v for (e, _), v in self.confusion.items() if e == expected)
        return self.confusion[(expected, predicted)] / total if total else 0.0

    def labels(self) -> list[str]:
        """Every flag or signal seen in labels or predictions."""
        return sorted(set(self.tp) | set(self.fp) | set(self.fn))


def evaluate(rows: Sequence[dict[str, Any]]) -> tuple[Scores, list[OfferReport]]:
    """Check every offer with its labelled language and compare with the labels."""
    scores = Scores()
    reports = []
    for row in rows:
        report = check_offer(row["text"], language=row["language"])
        reports.append(report)
        scores.confusion[(row["risk"], report.risk)] += 1
        expected = set(row["flags"]) | set(row["protective"])
        got = set(report.flag_ids) | set(report.protective_ids)
        for x in expected & got:
            scores.tp[x] += 1
        for x in got - expected:
            scores.fp[x] += 1
        for x in expected - got:
            scores.fn[x] += 1
        if expected != got or row["risk"] != report.risk:
            scores.misses.append(
                f"[{row['language']} {row['risk']}->{report.risk} {report.score}] "
                f"missing={sorted(expected - got)} extra={sorted(got - expected)} "
                f":: {row['text'][:110]!r}"
            )
    return scores, reports


def table(scores: Scores, title: str) -> str:
    """A printable table: per-label P/R/F1, micro-F1 and the risk confusion matrix."""
    lines = [f"== {title}", f"{'label':28} {'P':>5} {'R':>5} {'F1':>5}  tp fp fn"]
    for label in scores.labels():
        p, r, f = scores.prf(label)
        lines.append(
            f"{label:28} {p:5.2f} {r:5.2f} {f:5.2f}  {scores.tp[label]:2} "
            f"{scores.fp[label]:2} {scores.fn[label]:2}"
        )
    lines.append(f"micro-F1 (all labels): {scores.micro_f1(scores.labels()):.3f}")
    lines.append("risk confusion (rows expected, columns predicted):")
    lines.append("        " + "".join(f"{r:>8}" for r in RISKS))
    for e in RISKS:
        lines.append(f"{e:>8}" + "".join(f"{scores.confusion[(e, p)]:8}" for p in RISKS))
    return "\n".join(lines)
