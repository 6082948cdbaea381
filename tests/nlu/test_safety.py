"""The emergency safety net: fires on danger now, stays quiet on harmless mentions."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.safety import SafetyNet, load_safety_net

NET = load_safety_net()

FIRES = [
    # ro
    "ajutor, ma tin inchisa",
    "Patronul mi-a luat pașaportul și nu mă lasă să plec",
    "ne tin cu forta intr-un hangar",
    "ma bat in fiecare zi la ferma",
    "ma obliga sa lucrez fara bani",
    "ma ameninta ca ma omoara",
    "SOS",
    # ru / uk, Cyrillic and Latin
    "помогите срочно, нас держат взаперти",
    "забрали паспорт и не выпускают",
    "pomogite, nas derzhat i ne otpuskaiut",
    "меня бьют",
    "мне угрожают",
    "допоможіть терміново",
    "мене зачинили і не випускають",
    "відібрали паспорт",
    # en
    "my boss took my passport and won't let me leave",
    "they locked us in the flat",
    "we are held against our will",
    "they force me to work without pay",
    "help me now please",
    # rom
    "zhutin man akana",
    "phandade man",
    # long message: the danger is at the very end
    "bla " * 5000 + "they locked me in, help now",
]

QUIET = [
    "my passport expired",
    "can an agency keep a copy of my passport?",
    "what if my employer takes my passport?",
    "mi-a expirat pasaportul",
    "poate angajatorul sa-mi tina pasaportul?",
    "daca patronul imi ia pasaportul ce fac?",
    "acum doi ani m-au batut la o ferma, acum sunt bine",
    "можно ли отдавать паспорт работодателю",
    "паспорт закончился, что делать",
    "чи може роботодавець забрати паспорт?",
    "they took my passport two years ago, now I am home",
    "I can't leave Moldova without a passport?",
    "biroul este inchis azi?",
    "how do I recognise signs that someone is trafficked?",
    "",
]


@pytest.mark.parametrize("text", FIRES)
def test_fires(text: str) -> None:
    assert NET.check(text) is not None


@pytest.mark.parametrize("text", QUIET)
def test_stays_quiet(text: str) -> None:
    assert NET.check(text) is None


def _rule_examples() -> list[tuple[str, str, bool]]:
    rows = []
    for rule in NET.rules:
        rows += [(rule.id, e, True) for e in rule.examples]
        rows += [(rule.id, e, False) for e in rule.counter_examples]
    return rows


@pytest.mark.parametrize(("rule_id", "text", "fires"), _rule_examples())
def test_every_example_in_the_rule_file(rule_id: str, text: str, fires: bool) -> None:
    assert (NET.check(text) is not None) is fires, rule_id


def test_every_language_has_rules() -> None:
    assert {"ro", "ru", "uk", "en", "rom"} <= {r.lang for r in NET.rules}


def test_rule_id_is_reported() -> None:
    assert NET.check("ma bat") == "ro.beaten"


def test_a_bad_pattern_names_its_rule(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yml"
    bad.write_text("rules:\n- id: x.broken\n  patterns: ['(unclosed']\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"x\.broken"):
        load_safety_net(bad)


def test_guard_far_before_the_trigger_does_not_silence_it() -> None:
    net: SafetyNet = NET
    far = "could you tell my mother and my sister and my friends where i am, they locked me in"
    near = "could they have locked me in"
    assert net.check(far) is not None
    assert net.check(near) is None
