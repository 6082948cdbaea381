"""Read the promised pay from an offer and compare it with the reference wage table."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from functools import lru_cache

from bot.offers.catalogue import _MULT, _NUM
from bot.offers.text import Prepared
from bot.offers.types import Evidence, Pay
from bot.offers.wages import WageTable

__all__ = ["PayMention", "assess_pay", "find_pay", "pick_wage"]

_SEP = r"\s*(?:-|–|—|\.\.\.|pana la|la|do|to|si|and|or|sau)\s*"
_PREFIX_MIN = re.compile(
    r"(?:de la|incepand (?:de la|cu)|peste|minim(?:um)?|from|over|starting (?:at|from)|min\.?"
    r"|ot|vid|pochinayuchi vid)\s*$"
)
_PREFIX_MAX = re.compile(r"(?:pana la|maxim(?:um)?|up to|until|do|max\.?)\s*$")
_WAGE_CUE = re.compile(
    r"\b(?:salari\w*|salary|zarplat\w*|z/p|castig\w*|venit\w*|earn\w*|income|dohod\w*|dohid\w*|"
    r"zarobit\w*|zarobok\w*|zarabot\w*|plata|oplata|pay|paid|wages?|platim|stavk\w*|rate)\b"
)
# What an amount pays for: on its left in the same clause ("taxa 200 euro",
# "cazare 250 euro"), or right after it ("200 euro pentru acte", "per trip").
_FEE_LEFT = re.compile(
    r"\b(?:tax[ae]\w*|fees?|deposit\w*|avans\w*|vznos\w*|zalog\w*|sbor\w*|zbir\w*|komis\w*|"
    r"costa\w*|cost\w*|stoimost\w*|vartist\w*|acte|viz[aeuy]\w*|cazar\w*|chiri\w*|zhil\w*|"
    r"prozhiv\w*|housing|accommodation|rent|bilet\w*|tickets?|uslug\w*|poslug\w*|servicii\w*|"
    r"zhitl\w*|oformlen\w*|predoplat\w*|peredoplat\w*)\b"
)
_FEE_RIGHT = re.compile(
    r"^\W{0,3}(?:deposit|fee|taxa|avans|zalog|predoplat\w*|vznos|comision\w*\s+de)\b|^\W{0,3}(?:pentru|pt|za|for|per|pe|na)\s+(?:\w+\s+)?(?:acte|documente|dokument\w*|viz\w*|"
    r"visa|oformlen\w*|inregistrar\w*|registra\w*|loc\w*|mest\w*|place|cont\b|conturi|account|"
    r"cursa|trip|reis\w*|reys\w*|rein\w*|bilet\w*|ticket|cazar\w*|housing|zhil\w*|uslug\w*)"
)
# A word shared by several currencies, read by the destination country.
_LOCAL_CURRENCY = {
    ("MDL", "RO"): "RON",
    ("DKK", "CZ"): "CZK",
    ("DKK", "SE"): "SEK",
    ("DKK", "NO"): "NOK",
}
_BARE_NET = re.compile(rf"(?<![\d.,])(?P<a>{_NUM})\s?(?:net|neto|netto|brut|brutto|gross)\b")


@dataclass(frozen=True, slots=True)
class PayMention:
    """An amount of money in the offer (folded span), before deciding whether it is the wage."""

    low: float
    high: float
    currency: str
    period: str | None
    basis: str | None
    start: int
    end: int
    score: int


def _number(raw: str, mult: str) -> float:
    s = raw.replace(" ", "").replace("'", "").replace("’", "")
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", s):
        value = float(re.sub(r"[.,]", "", s))
    elif re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+[.,]\d{1,2}", s):
        value = float(re.sub(r"[.,]", "", s[:-3]) + "." + s[-2:].lstrip(".,"))
    else:
        value = float(s.replace(",", "."))
    return value * 1000 if mult.strip() else value


@lru_cache(maxsize=8)
def _patterns(
    wages: WageTable,
) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    cur = wages.currency_pattern()
    amount = rf"(?P<a>{_NUM})(?P<am>{_MULT})(?:{_SEP}(?:[€$£₪]\s?)?(?P<b>{_NUM})(?P<bm>{_MULT}))?"
    before = re.compile(rf"(?P<cur>[€$£₪]|\b(?:eur|usd|gbp)\b)\s?{amount}")
    after = re.compile(rf"(?<![\d.,]){amount}\s?(?P<cur>{cur})")
    period = re.compile(
        r"^\s*(?:(?:net|neto|netto|brut\w*|gross|na ruki|in mana|la mana)\W*)?"
        rf"(?:/|pe|per|a|an|v|na|za|in|each|every|o|ot|by)?\s*(?P<p>{wages.period_pattern()})"
    )
    period_before = re.compile(rf"\b(?P<p>{wages.period_pattern()})\s*(?:\w+\s*)?$")
    return before, after, period, period_before


def _basis(window: str, wages: WageTable) -> str | None:
    if any(re.search(rf"\b{re.escape(w)}\b", window) for w in wages.net_words):
        return "net"
    if any(re.search(rf"\b{re.escape(w)}\b", window) for w in wages.gross_words):
        return "gross"
    return None


# No wage or fee in any currency we read reaches this; phone numbers (8+ digits) do.
_MAX_AMOUNT = 10_000_000


def find_pay(prepared: Prepared, wages: WageTable) -> list[PayMention]:
    """Every amount with a currency (or "net"/"brut"), scored as a likely wage."""
    before, after, period_after, period_before = _patterns(wages)
    text = prepared.folded
    found: list[PayMention] = []
    spans: list[tuple[int, int]] = []
    raw: list[tuple[re.Match[str], str]] = []
    for rx in (before, after):
        for m in rx.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in spans):
                continue
            spans.append(m.span())
            raw.append((m, wages.alias_to_code.get(re.sub(r"\s+", " ", m.group("cur")), "EUR")))
    for m in _BARE_NET.finditer(text):
        if (
            not any(s < m.end() and m.start() < e for s, e in spans)
            and _number(m.group("a"), "") >= 300
        ):
            spans.append(m.span())
            raw.append((m, "EUR"))
    for m, code in raw:
        a = _number(m.group("a"), m.groupdict().get("am") or "")
        if a > _MAX_AMOUNT:  # a phone number beside a currency word, not money
            continue
        b_raw = m.groupdict().get("b")
        b = _number(b_raw, m.groupdict().get("bm") or m.groupdict().get("am") or "") if b_raw else a
        if b < a:  # "2500-3" is not a range
            b = a
        s_start, s_end = prepared.sentence(m.start())
        left = text[max(s_start, m.start() - 40) : m.start()]
        right = text[m.end() : min(s_end, m.end() + 30)]
        low, high = a, b
        if b_raw is None and _PREFIX_MAX.search(left[-15:]):
            low = 0.0
        period_match = period_after.search(right) or period_before.search(left[-25:])
        period = wages.periods.get(period_match.group("p")) if period_match else None
        basis = _basis(left[-25:] + " " + right[:25], wages)
        score = (2 if _WAGE_CUE.search(left) else 0) + (
            1 if period in {"hour", "day", "week", "month"} else 0
        )
        c_start, _ = prepared.clause(m.start())
        if (
            _FEE_LEFT.search(text[max(c_start, m.start() - 30) : m.start()])
            or _FEE_RIGHT.search(right)
            or period in {"trip", "year"}
        ):
            score -= 3
        found.append(PayMention(low, high, code, period, basis, m.start(), m.end(), score))
    return sorted(found, key=lambda p: p.start)


def pick_wage(mentions: list[PayMention]) -> PayMention | None:
    """The mention most likely to be the wage, or None when no amount looks like one."""
    candidates = [p for p in mentions if p.score >= 1]
    if not candidates:
        singles = [p for p in mentions if p.score >= 0]
        candidates = singles if len(singles) == 1 else []
    return max(candidates, key=lambda p: (p.score, -p.start)) if candidates else None


def _monthly_eur(p: PayMention, wages: WageTable) -> float | None:
    rate = wages.currencies[p.currency].to_eur if p.currency in wages.currencies else None
    if rate is None:
        return None
    value = p.high * rate
    factor = {
        "hour": wages.hours_per_month,
        "day": wages.days_per_month,
        "week": wages.weeks_per_month,
        "month": 1.0,
        "year": 1 / 12,
    }
    if p.period in factor:
        return value * factor[p.period]
    if p.period is None:
        # an amount without a period: monthly when it is big enough to be a month
        return value if value >= 400 else None
    return None


def assess_pay(
    prepared: Prepared, mention: PayMention | None, countries: Collection[str], wages: WageTable
) -> Pay | None:
    """The Pay of the report: amount, period, basis, and the ratio to the reference ceiling."""
    if mention is None:
        return None
    country, ref = wages.reference(tuple(countries))
    local = _LOCAL_CURRENCY.get((mention.currency, country or ""))
    if local is not None:
        # "lei" for Romania are Romanian lei; "crowns" for Czechia are Czech crowns
        mention = replace(mention, currency=local)
    monthly = _monthly_eur(mention, wages)
    ratio = None
    if monthly is not None:
        ceiling = ref.ceiling * (wages.gross_factor if mention.basis == "gross" else 1.0)
        ratio = round(monthly / ceiling, 2)
    ev: Evidence = prepared.evidence(mention.start, mention.end, "pay")
    return Pay(
        mention.low,
        mention.high,
        mention.currency,
        mention.period,
        mention.basis,
        round(monthly, 0) if monthly is not None else None,
        country,
        ratio,
        ev,
    )
