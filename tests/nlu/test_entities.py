"""Country entities: any spelling, script or inflection to an ISO alpha-2 code."""

from __future__ import annotations

import pytest

from nlu.countries import extract_countries, gazetteer_for
from nlu.data import TrainingData, fingerprint, load
from nlu.entities import Gazetteer, build_gazetteer, stems

from .conftest import FIXTURE_DATA

BASE = build_gazetteer(TrainingData())

ROWS = [
    ("в Германию", ["DE"]),
    ("Nimtsia", ["DE"]),
    ("in Anglia", ["GB"]),
    ("Dubai", ["AE"]),
    ("Vreau să plec în Germania", ["DE"]),
    ("lucrez in Marea Britanie", ["GB"]),
    ("am fost in Marii Britanii", ["GB"]),
    ("работа в Польше", ["PL"]),
    ("у Польщі", ["PL"]),
    ("в Італії", ["IT"]),
    ("у Німеччину", ["DE"]),
    ("Germaniei", ["DE"]),
    ("rabota v Germanii", ["DE"]),
    ("в ОАЭ", ["AE"]),
    ("в Дубае", ["AE"]),
    ("Dubaiul", ["AE"]),
    ("в Турции", ["TR"]),
    ("Туреччині", ["TR"]),
    ("работа в Израиле", ["IL"]),
    ("Тель-Авив", ["IL"]),
    ("I want to go to the UK", ["GB"]),
    ("munca in Romania si Italia", ["RO", "IT"]),
    ("Germany's farms", ["DE"]),
]

NOT_COUNTRIES = [
    "help us please",  # "us" is not the USA
    "uk",  # two-letter names count only in capitals
    "vorbiti romana?",  # a language, not Romania
    "vorbesc rusa",
    "chin mare",  # torment, not China
    "sunt din Moldova",  # home, never a destination
    "",
]


@pytest.mark.parametrize(("text", "codes"), ROWS)
def test_base_list_finds_countries(text: str, codes: list[str]) -> None:
    assert [e.value for e in BASE.extract(text)] == codes


@pytest.mark.parametrize("text", NOT_COUNTRIES)
def test_base_list_ignores_lookalikes(text: str) -> None:
    assert BASE.extract(text) == []


@pytest.mark.parametrize(("text", "codes"), ROWS[:4])
def test_extract_countries_uses_the_repository_data(text: str, codes: list[str]) -> None:
    assert [e.value for e in extract_countries(text)] == codes


def test_spans_point_into_the_original_text() -> None:
    text = "Хочу работать в Германии или в Marea Britanie."
    found = extract_countries(text)
    assert [(e.value, e.text) for e in found] == [("DE", "Германии"), ("GB", "Marea Britanie")]
    for e in found:
        assert text[e.start : e.end] == e.text
        assert e.entity == "country"


def test_data_synonyms_and_annotations_extend_the_base_list() -> None:
    gaz = gazetteer_for(FIXTURE_DATA, fingerprint(FIXTURE_DATA))
    assert [e.value for e in gaz.extract("plec in Ruritania")] == ["ZZ"]  # a synonym only
    assert [e.value for e in gaz.extract("Ruritaniei")] == ["ZZ"]  # and its inflection
    assert BASE.extract("plec in Ruritania") == []


def test_lookup_entries_without_a_code_are_resolved_or_dropped() -> None:
    data = load(FIXTURE_DATA)
    gaz = build_gazetteer(data)
    assert gaz.extract("Tara Fictiva") == []  # in the lookup table, but no code known


def test_stems_strip_endings_but_never_too_far() -> None:
    assert "german" in stems("germaniyu")
    assert "german" in stems("germaniei")
    assert "chin" in stems("china")
    assert stems("chin") == frozenset()  # a bare stem has no stems of its own


def test_two_letter_codes_only_in_capitals() -> None:
    gaz = Gazetteer({"UK": "GB", "Germania": "DE"})
    assert [e.value for e in gaz.extract("to the UK")] == ["GB"]
    assert gaz.extract("to the uk") == []


def test_non_iso_values_are_ignored() -> None:
    gaz = Gazetteer({"Atlantis": "atlantis", "Germania": "DE"})
    assert gaz.extract("Atlantis") == []
    assert gaz.size == 1


@pytest.mark.parametrize(("text", "codes"), [
    ("usa e inchisa si nu pot iesi", []),  # Romanian "the door": only "USA" is the country
    ("vreau sa plec in USA", ["US"]),
    ("rosii si castraveti la sera", []),  # Romanian "red"
    ("katar aver them avilem", []),  # Romani "from"
    ("лечу в Катар на стройку", ["QA"]),  # in Cyrillic it is the country
    ("angla te jav", []),  # Romani "before"
])
def test_common_words_are_not_countries(text: str, codes: list[str]) -> None:
    from nlu import extract_countries

    assert [e.value for e in extract_countries(text)] == codes
