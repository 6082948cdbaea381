"""nlu.textnorm: the folded form that every matcher relies on."""

from __future__ import annotations

import pytest

from nlu.textnorm import clean, fold, fold_map, normalize, to_latin


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Помогите, паспорт забрали!", "pomogite, pasport zabrali!"),
        ("Șef de echipă", "sef de echipa"),
        ("Şef de echipă", "Sef de echipa"),  # cedilla and comma-below spellings agree
        ("ЖЕНА", "zhena"),
        ("Німеччина", "nimechchina"),
        ("ВЪЕЗД ЁЛКА", "vezd elka"),
    ],
)
def test_fold_makes_spellings_equal(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_normalize_keeps_cyrillic_and_the_letters_breve_changes() -> None:
    assert normalize("Йод ЁЖ ї") == "йод ёж ї"
    assert normalize("a\u200bb") == "ab"  # zero-width space dropped
    assert normalize("a\x00b\tc") == "a b c"  # controls separate words


def test_to_latin_leaves_latin_alone() -> None:
    assert to_latin("abc ăș") == "abc ăș"


@pytest.mark.parametrize(
    "text",
    ["в Германию", "Marea  Britanie\n\n", "  ﬁne İstanbul ", "a\x00b", "б'ють", "🙂 Dubai 🙂"],
)
def test_fold_map_matches_fold_and_points_back(text: str) -> None:
    folded, index = fold_map(text)
    assert folded == fold(text)
    assert len(index) == len(folded)
    assert index == sorted(index)
    assert all(0 <= i < len(text) for i in index)


def test_fold_map_spans_recover_the_original_word() -> None:
    text = "Хочу в Германию!"
    folded, index = fold_map(text)
    start = folded.index("germaniyu")
    end = start + len("germaniyu")
    assert text[index[start] : index[end - 1] + 1] == "Германию"


def test_clean_replaces_lone_surrogates() -> None:
    cleaned = clean("a\ud800b")
    assert cleaned == "a\ufffdb"
    cleaned.encode("utf-8")  # would raise on a surrogate
