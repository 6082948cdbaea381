"""The checker on labelled offers: targets on the main set, honest numbers on the holdout."""

from __future__ import annotations

import pytest

from tests.offers.metrics import Scores, evaluate, load, table

MAIN = "eval_offers.jsonl"
# Each written as the holdout after a freeze; their misses taught general fixes,
# so they are now development sets (their first-run scores are recorded in the
# offers change report) and a fresh holdout replaced them.
DEV_SETS = tuple(f"eval_offers_dev{i}.jsonl" for i in (2, 3, 4, 5))
HOLDOUT = "eval_offers_holdout.jsonl"


def _run(name: str) -> Scores:
    scores, _ = evaluate(load(name))
    print("\n" + table(scores, name))
    for miss in scores.misses:
        print("  " + miss)
    return scores


def test_main_set_is_big_and_balanced_enough() -> None:
    rows = load(MAIN)
    by_lang = {lang: sum(r["language"] == lang for r in rows) for lang in ("ro", "ru", "uk", "en")}
    by_risk = {risk: sum(r["risk"] == risk for r in rows) for risk in ("low", "medium", "high")}
    assert len(rows) >= 130
    assert min(by_lang.values()) >= 28
    assert by_risk["high"] >= 0.4 * len(rows)
    assert by_risk["low"] >= 0.25 * len(rows)


def test_main_set_meets_the_targets() -> None:
    s = _run(MAIN)
    assert s.confusion[("high", "low")] == 0, "a high-risk offer was rated low"
    assert s.rate("high", "high") >= 0.90
    assert s.rate("low", "high") <= 0.05
    assert s.rate("low", "low") >= 0.70
    assert s.micro_f1(s.labels()) >= 0.80


@pytest.mark.parametrize("name", DEV_SETS)
def test_later_development_sets_meet_the_targets(name: str) -> None:
    s = _run(name)
    assert s.confusion[("high", "low")] == 0
    assert s.rate("high", "high") >= 0.90
    assert s.rate("low", "high") <= 0.05
    assert s.micro_f1(s.labels()) >= 0.80


def test_holdout_never_rates_a_high_risk_offer_low() -> None:
    rows = load(HOLDOUT)
    assert len(rows) >= 30
    s = _run(HOLDOUT)
    # reported, not asserted: these offers were written after the patterns were frozen
    print(
        f"holdout: high->high {s.rate('high', 'high'):.2f}, low->low {s.rate('low', 'low'):.2f}, "
        f"low->high {s.rate('low', 'high'):.2f}, micro-F1 {s.micro_f1(s.labels()):.3f}"
    )
    assert s.confusion[("high", "low")] == 0
