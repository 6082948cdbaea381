"""The embedded parse end to end: intent, threshold, ranking, safety net, bad input."""

from __future__ import annotations

import json

import pytest

from nlu import Parse
from nlu.embedded import MAX_CLASSIFY, EmbeddedNLU
from nlu.types import Entity


async def test_parse_returns_the_full_result(fixture_nlu: EmbeddedNLU) -> None:
    p = await fixture_nlu.parse("Мне предложили работу в Германии, проверьте", lang_hint="ru")
    assert p.intent == "check_offer"
    assert 0.3 < p.confidence <= 1
    assert p.language == "ru"
    assert p.countries() == ("DE",)
    assert len(p.ranking) == 3
    assert p.ranking[0][0] == "check_offer"
    assert [c for _, c in p.ranking] == sorted((c for _, c in p.ranking), reverse=True)
    assert p.backend == "embedded"
    assert p.safety_rule is None


async def test_safety_net_overrides_the_classifier(fixture_nlu: EmbeddedNLU) -> None:
    p = await fixture_nlu.parse(
        "can you check this job offer? they took my passport and locked me in"
    )
    assert p.intent == "emergency"
    assert p.safety_rule is not None
    assert p.confidence == 1.0


async def test_harmless_passport_question_is_not_an_emergency(fixture_nlu: EmbeddedNLU) -> None:
    p = await fixture_nlu.parse("can an agency keep a copy of my passport")
    assert p.intent == "documents_safety"
    assert p.safety_rule is None


async def test_below_threshold_is_nlu_fallback_with_a_ranking(fixture_nlu: EmbeddedNLU) -> None:
    strict = EmbeddedNLU(
        fixture_nlu.artifacts, fixture_nlu.safety, threshold=0.99, emergency_floor=1.1
    )
    p = await strict.parse("salut, mersi")
    assert p.intent == "nlu_fallback"
    assert p.confidence < 0.99
    assert len(p.ranking) == 3


def test_to_json_is_the_contract_shape() -> None:
    p = Parse(
        text="в Германию",
        intent="check_offer",
        confidence=0.912345,
        language="ru",
        language_confidence=0.9,
        entities=(Entity("country", "DE", 2, 10, "Германию"), Entity("country", "DE", 11, 12, "x")),
        ranking=(("check_offer", 0.9),),
        safety_rule=None,
        backend="embedded",
    )
    assert p.to_json() == {
        "text": "в Германию",
        "intent": "check_offer",
        "confidence": 0.9123,
        "language": "ru",
        "entities": [{"entity": "country", "value": "DE"}, {"entity": "country", "value": "DE"}],
    }
    assert p.countries() == ("DE",)
    json.dumps(p.to_json())


BAD_INPUT = [
    "",
    "   \n\t ",
    "🙂🙂🙂",
    "\x00\x01\x02\x1b[31m",
    "a\ud800b\udfff",
    "\u200b\u200b",
    "Привет hello salut Привіт 你好 مرحبا",
    "x" * 20_000,
    "🙂" * 5_000,
    "\u0301\u0301\u0301",
]


@pytest.mark.parametrize("text", BAD_INPUT, ids=range(len(BAD_INPUT)))
async def test_bad_input_never_raises(fixture_nlu: EmbeddedNLU, text: str) -> None:
    p = await fixture_nlu.parse(text, lang_hint="ro")
    assert isinstance(p.intent, str) and p.intent
    assert 0.0 <= p.confidence <= 1.0
    assert p.language in {"ro", "ru", "uk", "en", "rom", "und"}
    json.dumps(p.to_json())  # always serialisable: surrogates were replaced


@pytest.mark.parametrize("text", ["", "🙂🙂🙂", "\x00\x01", "\u200b", "123 456"])
async def test_nothing_to_read_is_fallback_in_the_hint_language(
    fixture_nlu: EmbeddedNLU, text: str
) -> None:
    p = await fixture_nlu.parse(text, lang_hint="uk")
    assert (p.intent, p.language, p.ranking) == ("nlu_fallback", "uk", ())
    q = await fixture_nlu.parse(text)
    assert q.language == "und"


async def test_safety_net_reads_past_the_classified_part(fixture_nlu: EmbeddedNLU) -> None:
    text = "job advert " * (MAX_CLASSIFY // 5) + " they took my passport and locked me in"
    p = await fixture_nlu.parse(text)
    assert p.intent == "emergency"
    assert p.text == text


async def test_non_string_input_is_treated_as_empty(fixture_nlu: EmbeddedNLU) -> None:
    p = await fixture_nlu.parse(None)  # type: ignore[arg-type]
    assert p.intent == "nlu_fallback"
