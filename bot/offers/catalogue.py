"""The red-flag catalogue (content/offers/flags.yml) compiled into matching rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.offers.wages import WageTable

__all__ = ["LANGUAGES", "Catalogue", "Context", "Pattern", "Rule", "Unless", "load_catalogue"]

LANGUAGES = ("ro", "ru", "uk", "en", "rom")
_CYRILLIC_LANGUAGES = frozenset({"ru", "uk"})
_MACRO = re.compile(r"\{([a-z][a-z0-9_]*)\}")
# An amount: "2 500", "2.500", "13,90", "1,5k", "3 mii", "2 тыс." (folded: "tys").
_NUM = r"\d{1,3}(?:[ .,'’]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_MULT = r"(?:\s?(?:k|mii|mie|tys\w*\.?|tis\w*\.?|thousand))?"


@dataclass(frozen=True, slots=True)
class Pattern:
    """One compiled pattern of a rule."""

    regex: re.Pattern[str]
    language: str
    weight: int | None  # None: the rule's full weight (and its min_risk)
    context: str | None  # counts only when this context is present in the text


@dataclass(frozen=True, slots=True)
class Unless:
    """Matches to drop when these patterns occur in the same clause or sentence."""

    scope: str  # clause | sentence
    patterns: tuple[re.Pattern[str], ...]
    to: str | None  # the finding the dropped match becomes instead (or None)


@dataclass(frozen=True, slots=True)
class Rule:
    """A flag or protective signal: how to find it, how much it weighs, what to say."""

    id: str
    kind: str  # flag | protective
    weight: int
    min_risk: str | None
    negatable: bool
    negate_within: bool  # a negating word inside the match also flips it
    negated_to: str | None
    not_before: tuple[re.Pattern[str], ...]
    negated_after: tuple[re.Pattern[str], ...]
    unless: tuple[Unless, ...]
    match_on: str  # folded | original
    patterns: tuple[Pattern, ...]
    text: Mapping[str, Mapping[str, str]]  # language -> explanation, advice


@dataclass(frozen=True, slots=True)
class Context:
    """Evidence that a context is present: words in the text or named countries."""

    patterns: tuple[re.Pattern[str], ...]
    countries: frozenset[str]


# eq=False: hashed by identity, so compiled helpers can be cached per table
@dataclass(frozen=True, slots=True, eq=False)
class Catalogue:
    """All rules, negators, contexts and contact-domain lists."""

    rules: tuple[Rule, ...]
    by_id: Mapping[str, Rule]
    negators: Mapping[str, re.Pattern[str]]
    contexts: Mapping[str, Context]
    social_domains: frozenset[str]
    webmail_domains: frozenset[str]
    money: re.Pattern[str]

    def flags(self) -> tuple[Rule, ...]:
        """The risk flags."""
        return tuple(r for r in self.rules if r.kind == "flag")

    def protective(self) -> tuple[Rule, ...]:
        """The protective signals."""
        return tuple(r for r in self.rules if r.kind == "protective")


def _money_macros(wages: WageTable) -> dict[str, str]:
    cur = wages.currency_pattern()
    symbols = "".join(re.escape(a) for a in wages.alias_to_code if len(a) == 1 and not a.isalnum())
    money = (
        rf"(?:(?:[{symbols}]|\b(?:eur|usd|gbp)\b)\s?(?:{_NUM}){_MULT}"
        rf"|(?<![\d.,])(?:{_NUM}){_MULT}\s?{cur})"
    )
    period = wages.period_pattern()
    # a fee is a lump sum: an amount followed by a period or "net" is a wage or a rent
    not_rate = (
        rf"(?!\s*(?:/|pe|per|a|an|v|na|za|in|o)?\s*{period})"
        r"(?!\s*(?:net|neto|netto|brut\w*|gross|na ruki|in mana|la mana|chist\w*)\b)"
    )
    return {"money": money, "fmoney": money + not_rate}


# How people type Russian and Ukrainian in Latin letters differs from the fold:
# ы/и/й/я/ю as i, y or j; ж as zh, j or z; х as h, kh or x; ц as ts, c or tz.
_TRANSLIT = (
    ("shch", "(?:shch|sch|sh)"),
    ("sch", "(?:shch|sch|sh)"),
    ("zh", "(?:zh|j|z)"),
    ("ts", "(?:ts|c|tz)"),
    ("ch", "ch"),
    ("sh", "sh"),
    ("kh", "(?:kh|h|x)"),
    ("h", "(?:h|kh|x)"),
    ("i", "[iyj]"),
    ("y", "[iyj]"),
)


def translit_tolerant(pattern: str) -> str:
    """Widen the literal letters of a Cyrillic-derived pattern to common Latin spellings."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        elif c == "[":
            end = pattern.index("]", i + 2 if pattern[i + 1 : i + 2] == "]" else i + 1)
            out.append(pattern[i : end + 1])
            i = end + 1
        elif c == "{":  # a macro or a quantifier: left as it is
            end = pattern.index("}", i)
            out.append(pattern[i : end + 1])
            i = end + 1
        elif pattern.startswith("(?P<", i):
            end = pattern.index(">", i)
            out.append(pattern[i : end + 1])
            i = end + 1
        elif pattern.startswith("(?", i):
            out.append("(?")
            i += 2
        else:
            for letters, wide in _TRANSLIT:
                if pattern.startswith(letters, i):
                    out.append(wide)
                    i += len(letters)
                    break
            else:
                out.append(c)
                i += 1
    return "".join(out)


def _expand(pattern: str, macros: Mapping[str, str], where: str) -> str:
    for _ in range(5):  # macros may use macros
        expanded = _MACRO.sub(lambda m: macros.get(m.group(1), m.group(0)), pattern)
        if expanded == pattern:
            break
        pattern = expanded
    unknown = [m for m in _MACRO.findall(pattern) if m not in macros]
    if unknown:
        raise ValueError(f"{where}: unknown macro {unknown[0]!r}")
    return pattern


def _compile(
    pattern: str, macros: Mapping[str, str], where: str, flags: int = 0
) -> re.Pattern[str]:
    try:
        return re.compile(_expand(pattern, macros, where), flags)
    except re.error as exc:
        raise ValueError(f"{where}: bad pattern {pattern!r}: {exc}") from exc


def _rule(raw: Mapping[str, Any], macros: Mapping[str, str]) -> Rule:
    rid = str(raw["id"])
    match_on = str(raw.get("match_on", "folded"))
    cflags = 0 if match_on == "original" else re.IGNORECASE
    patterns: list[Pattern] = []
    for lang in LANGUAGES:
        for i, item in enumerate(raw["patterns"].get(lang) or ()):
            spec = item if isinstance(item, dict) else {"re": item}
            where = f"flags.yml {rid} {lang}[{i}]"
            source = str(spec["re"])
            if lang in _CYRILLIC_LANGUAGES and match_on == "folded":
                source = translit_tolerant(source)
            patterns.append(
                Pattern(
                    _compile(source, macros, where, cflags),
                    lang,
                    spec.get("weight"),
                    spec.get("context"),
                )
            )
    specs = raw.get("unless") or ()
    unless = tuple(
        Unless(
            str(u.get("scope", "clause")),
            tuple(_compile(p, macros, f"flags.yml {rid} unless") for p in u["patterns"]),
            u.get("to"),
        )
        for u in ([specs] if isinstance(specs, dict) else specs)
    )
    return Rule(
        id=rid,
        kind=str(raw["kind"]),
        weight=int(raw["weight"]),
        min_risk=raw.get("min_risk"),
        negatable=bool(raw.get("negatable", False)),
        negate_within=bool(raw.get("negate_within", False)),
        negated_to=raw.get("negated_to"),
        not_before=tuple(
            _compile(p, macros, f"flags.yml {rid} not_before") for p in raw.get("not_before") or ()
        ),
        negated_after=tuple(
            _compile(p, macros, f"flags.yml {rid} negated_after")
            for p in raw.get("negated_after") or ()
        ),
        unless=unless,
        match_on=match_on,
        patterns=tuple(patterns),
        text={
            lang: {"explanation": str(t["explanation"]), "advice": str(t["advice"])}
            for lang, t in raw["text"].items()
        },
    )


def load_catalogue(raw: Mapping[str, Any], wages: WageTable) -> Catalogue:
    """Compile the parsed flags.yml; raises ValueError naming the bad entry."""
    try:
        macros = {str(k): str(v) for k, v in raw.get("macros", {}).items()}
        macros.update(_money_macros(wages))
        rules = tuple(_rule(r, macros) for r in raw["flags"])
        negators = {
            lang: re.compile(r"(?:" + "|".join(words) + r")")
            for lang, words in raw["negators"].items()
        }
        contexts = {
            name: Context(
                tuple(
                    _compile(p, macros, f"flags.yml context {name}")
                    for p in c.get("patterns") or ()
                ),
                frozenset(c.get("countries") or ()),
            )
            for name, c in raw.get("contexts", {}).items()
        }
        contacts = raw.get("contacts", {})
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"flags.yml: malformed ({exc!r})") from exc
    by_id = {r.id: r for r in rules}
    if len(by_id) != len(rules):
        raise ValueError("flags.yml: duplicate id")
    for r in rules:
        for target in (r.negated_to, *(u.to for u in r.unless)):
            if target is not None and target not in by_id:
                raise ValueError(f"flags.yml {r.id}: unknown target {target!r}")
        for p in r.patterns:
            if p.context is not None and p.context not in contexts:
                raise ValueError(f"flags.yml {r.id}: unknown context {p.context!r}")
    return Catalogue(
        rules=rules,
        by_id=by_id,
        negators=negators,
        contexts=contexts,
        social_domains=frozenset(contacts.get("social_domains", ())),
        webmail_domains=frozenset(contacts.get("webmail_domains", ())),
        money=re.compile(macros["money"]),
    )
