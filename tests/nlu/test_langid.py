"""Language identification: ro, ru, uk, en, rom, with a hint for near-ties."""

from __future__ import annotations

import pytest

from nlu.embedded import EmbeddedNLU
from nlu.langid import TIE_MARGIN

ROWS = [
    ("Bună ziua, vreau să lucrez în Germania", "ro"),
    ("am primit o oferta de munca, e reala?", "ro"),
    ("Здравствуйте, мне предложили работу в Польше", "ru"),
    ("Добрий день, мені запропонували роботу в Польщі", "uk"),
    ("Hello, I got a job offer from an agency", "en"),
    ("Дякую за допомогу", "uk"),
    ("Спасибо за помощь", "ru"),
    ("Mulțumesc frumos", "ro"),
]


@pytest.mark.parametrize(("text", "lang"), ROWS)
def test_identifies_the_language(real_nlu: EmbeddedNLU, text: str, lang: str) -> None:
    got, confidence = real_nlu.langid.identify(text)
    assert got == lang
    assert confidence > 0.5


@pytest.mark.parametrize(
    ("text", "lang"), [("Дякую, все зрозуміло", "uk"), ("Спасибо, всё понятно", "ru")]
)
def test_script_cues_separate_russian_and_ukrainian(
    fixture_nlu: EmbeddedNLU, text: str, lang: str
) -> None:
    assert fixture_nlu.langid.identify(text)[0] == lang


@pytest.mark.parametrize("text", ["", "🙂🙂", "123", "?!", "x"])
def test_no_letters_means_the_hint_or_und(fixture_nlu: EmbeddedNLU, text: str) -> None:
    assert fixture_nlu.langid.identify(text, "ru") == ("ru", 0.0)
    assert fixture_nlu.langid.identify(text) == ("und", 0.0)


def test_hint_breaks_near_ties(fixture_nlu: EmbeddedNLU) -> None:
    lid = fixture_nlu.langid
    text = "ok taxi"
    probs = lid.probabilities(text)
    best = max(probs, key=probs.__getitem__)
    near = [lang for lang in probs if lang != best and probs[best] - probs[lang] < TIE_MARGIN]
    far = [lang for lang in probs if probs[best] - probs[lang] >= TIE_MARGIN]
    for lang in near:
        assert lid.identify(text, lang)[0] == lang
    for lang in far:
        assert lid.identify(text, lang)[0] == best


def test_a_clear_message_overrides_the_hint(fixture_nlu: EmbeddedNLU) -> None:
    got, confidence = fixture_nlu.langid.identify("Дякую вам, дуже дякую за допомогу", "en")
    assert got == "uk"
    assert confidence > 0.5


def test_unknown_hint_is_ignored(fixture_nlu: EmbeddedNLU) -> None:
    assert fixture_nlu.langid.identify("", "klingon") == ("und", 0.0)


def test_probabilities_sum_to_one(fixture_nlu: EmbeddedNLU) -> None:
    probs = fixture_nlu.langid.probabilities("salut")
    assert set(probs) == {"ro", "ru", "uk", "en", "rom"}
    assert abs(sum(probs.values()) - 1) < 1e-6


@pytest.mark.parametrize("text", ["ok", "ty", "taxi", "super"])
def test_short_messages_are_never_clear_evidence(fixture_nlu: EmbeddedNLU, text: str) -> None:
    # The dialogue offers to switch language above 0.9: a word is not enough.
    assert fixture_nlu.langid.identify(text)[1] < 0.5


def test_a_unique_letter_is_full_evidence(real_nlu: EmbeddedNLU) -> None:
    lang, confidence = real_nlu.langid.identify("Дякую, зрозуміло")  # і: Ukrainian only
    assert lang == "uk"
    assert confidence > 0.7
