"""The emergency safety net: regular expressions over the folded text.

Rules live in ``nlu/rules/emergency.yml`` so they can be reviewed and
extended without touching code; this module only loads and applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from nlu.textnorm import clean, fold

__all__ = ["Rule", "SafetyNet", "default_rules_path", "load_safety_net"]

# A "before" guard counts only this close to the trigger: "Can someone help?
# They lock us in" must still fire although "can" comes first.
_BEFORE_WINDOW = 60
_SENTENCE_END = re.compile(r"[.!?;\n]+")


@dataclass(frozen=True, slots=True)
class Rule:
    """One emergency rule: any pattern fires it unless a guard or an ``unless`` matches."""

    id: str
    lang: str
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]
    guarded: bool
    yields: bool  # may give way to a confident classifier (see yield_to in the rule file)
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...]
    any_pattern: re.Pattern[str]  # all patterns in one: most messages fail it in one search


class SafetyNet:
    """Applies every rule of every language (people mix languages and scripts)."""

    def __init__(
        self,
        rules: list[Rule],
        before: list[re.Pattern[str]],
        anywhere: list[re.Pattern[str]],
        yield_to: frozenset[str] = frozenset(),
        yield_confidence: float = 1.01,
    ) -> None:
        # Rules that never yield are tried first, so "threatens to kill" is
        # reported as a death threat even where a yielding threat rule matches.
        self.rules = sorted(rules, key=lambda r: r.yields)
        self._before = before
        self._anywhere = anywhere
        self._yielding_ids = frozenset(r.id for r in rules if r.yields)
        self.yield_to = yield_to
        self.yield_confidence = yield_confidence

    def overrides(self, rule_id: str, intent: str, confidence: float) -> bool:
        """Whether a fired rule beats the classifier's answer (intent, confidence)."""
        if rule_id not in self._yielding_ids:
            return True
        return not (intent in self.yield_to and confidence >= self.yield_confidence)

    def check(self, text: str, *, folded: str | None = None) -> str | None:
        """The id of the first rule that fires on ``text`` (or its given folded form), or None."""
        if folded is None:
            folded = fold(clean(text))
        if not folded:
            return None
        for rule in self.rules:
            if not rule.any_pattern.search(folded):
                continue
            if any(p.search(folded) for p in rule.unless):
                continue
            for pattern in rule.patterns:
                for m in pattern.finditer(folded):
                    if not rule.guarded or not self._guarded(folded, m.start()):
                        return rule.id
        return None

    def _guarded(self, folded: str, at: int) -> bool:
        start = 0
        for stop in _SENTENCE_END.finditer(folded, 0, at):
            start = stop.end()
        after = _SENTENCE_END.search(folded, at)
        end = after.start() if after else len(folded)
        sentence = folded[start:end]
        offset = at - start
        if any(g.search(sentence) for g in self._anywhere):
            return True
        lo = max(0, offset - _BEFORE_WINDOW)
        return any(
            m.start() < offset for g in self._before for m in g.finditer(sentence, lo, end - start)
        )


def default_rules_path() -> Path:
    """The shipped rule file."""
    return Path(__file__).resolve().parent / "rules" / "emergency.yml"


def load_safety_net(path: Path | None = None) -> SafetyNet:
    """Read and compile a rule file; a bad pattern raises ValueError naming the rule."""
    return _load(path or default_rules_path())


@lru_cache(maxsize=4)
def _load(path: Path) -> SafetyNet:
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    guards = doc.get("guards") or {}
    yield_to = doc.get("yield_to") or {}
    rules = [_rule(raw) for raw in doc.get("rules") or ()]
    return SafetyNet(
        rules,
        [_compile(p, "guards.before") for p in guards.get("before") or ()],
        [_compile(p, "guards.anywhere") for p in guards.get("anywhere") or ()],
        frozenset(str(i) for i in yield_to.get("intents") or ()),
        float(yield_to.get("confidence", 1.01)),
    )


def _rule(raw: dict[str, Any]) -> Rule:
    rule_id = str(raw["id"])
    patterns = tuple(_compile(p, rule_id) for p in raw.get("patterns") or ())
    return Rule(
        id=rule_id,
        lang=str(raw.get("lang", "")),
        patterns=patterns,
        unless=tuple(_compile(p, rule_id) for p in raw.get("unless") or ()),
        guarded=bool(raw.get("guarded", False)),
        yields=bool(raw.get("yields", raw.get("guarded", False))),
        examples=tuple(str(e) for e in raw.get("examples") or ()),
        counter_examples=tuple(str(e) for e in raw.get("not") or ()),
        any_pattern=re.compile("|".join(f"(?:{p.pattern})" for p in patterns) or r"(?!)"),
    )


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{where}: bad pattern {pattern!r}: {exc}") from exc
