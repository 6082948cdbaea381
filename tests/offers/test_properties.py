"""Properties: the checker never raises and always answers within its ranges."""

from __future__ import annotations

import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from bot.offers import check_offer, looks_like_offer
from bot.offers.render import render_report
from bot.offers.serialize import report_for_storage, to_json

# keep Hypothesis's caches out of the repository (examples are not stored: database=None)
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="offers-hypothesis-"))

WORDS = st.sampled_from(
    [
        "taxa",
        "200",
        "euro",
        "€",
        "pasaport",
        "паспорт",
        "без",
        "fara",
        "no",
        "fee",
        "Germania",
        "Польша",
        "069 123 456",
        "@x_y",
        "t.me/abc",
        "gmail.com",
        "16-45 ani",
        "от 17 лет",
        "<b>",
        "**",
        "&euro;",
        "contract",
        "договор",
        "via",
        "через",
        "Dubai",
        "crypto",
        "12 ore",
        "\n",
        ".",
        ",",
        "lei",
        "$",
    ]
)


@settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.text(max_size=400))
def test_any_text_gives_a_report_in_range(text: str) -> None:
    report = check_offer(text)
    assert 0 <= report.score <= 100
    assert report.risk in {"low", "medium", "high"}
    assert to_json(report)["score"] == report.score
    for finding in (*report.flags, *report.protective):
        for e in finding.evidence:
            assert e.start < 0 or 0 <= e.start <= e.end <= len(text)
    looks_like_offer(text)


@settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.lists(WORDS, max_size=40).map(" ".join),
    st.sampled_from(["ro", "ru", "uk", "en", "rom", None]),
)
def test_offer_like_noise_renders_and_stores(text: str, lang: str | None) -> None:
    report = check_offer(text, language=lang)
    assert 0 <= report.score <= 100
    render_report(report, lang or "ro")
    report_for_storage(report)


@settings(max_examples=60, deadline=None, database=None)
@given(st.text(alphabet="ăâîșțĂÂÎȘȚ", min_size=0, max_size=3))
def test_diacritics_never_change_the_fee_flag(noise: str) -> None:
    assert "upfront_fee" in check_offer(f"Taxa{noise} de înregistrare: 150 €.").flag_ids or noise
