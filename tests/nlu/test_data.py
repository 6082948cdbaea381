"""nlu.data: reading Rasa YAML, and the deterministic held-out split."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nlu.data import (
    Example,
    fingerprint,
    is_held_out,
    language_of,
    load,
    parse_annotated,
    split,
)

from .conftest import FIXTURE_DATA, REAL_DATA, real_data_present


@pytest.mark.parametrize(
    ("line", "text", "entities"),
    [
        (
            'work in [Germania]{"entity": "country", "value": "DE"} now',
            "work in Germania now",
            [("country", "DE", 8, 16)],
        ),
        ("in [Italia](country:IT)", "in Italia", [("country", "IT", 3, 9)]),
        ("in [Italia](country)", "in Italia", [("country", "Italia", 3, 9)]),
        ("[rusia](RU) si", "rusia si", [("RU", "rusia", 0, 5)]),  # Rasa: entity type RU
        ("in [Spania]{entity: country, value: ES}", "in Spania", [("country", "ES", 3, 9)]),
        (
            '[Dubai][{"entity": "country", "value": "AE"}, {"entity": "city"}] e ok',
            "Dubai e ok",
            [("country", "AE", 0, 5), ("city", "Dubai", 0, 5)],
        ),
        ("no markup [here]", "no markup [here]", []),
    ],
)
def test_parse_annotated(line: str, text: str, entities: list[tuple[str, str, int, int]]) -> None:
    plain, anns = parse_annotated(line)
    assert plain == text
    assert [(a.entity, a.value, a.start, a.end) for a in anns] == entities
    for a in anns:
        assert plain[a.start : a.end] == a.text


@pytest.mark.parametrize(
    ("name", "lang"),
    [
        ("ro.yml", "ro"),
        ("ro_extra.yml", "ro"),
        ("rom.yml", "rom"),
        ("uk_more_2.yml", "uk"),
        ("countries.yml", None),
    ],
)
def test_language_is_the_file_stem_before_underscore(name: str, lang: str | None) -> None:
    assert language_of(Path(name)) == lang


def test_fixture_loads_examples_synonyms_and_lookups() -> None:
    data = load(FIXTURE_DATA)
    assert data.problems == []
    assert {ex.language for ex in data.examples} == {"ro", "ru", "uk", "en", "rom"}
    assert "emergency" in data.intents
    assert data.synonyms["Германии"] == "DE"
    assert data.synonyms["Ruritania"] == "ZZ"
    assert "Tara Fictiva" in data.lookups["country"]
    annotated = [ex for ex in data.examples if ex.entities]
    assert any(a.value == "IT" and a.text == "Italia" for ex in annotated for a in ex.entities)


def test_bad_yaml_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "en.yml").write_text("nlu: [\n  - intent: x\n", encoding="utf-8")
    (tmp_path / "nlu" / "ro.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - salut\n', encoding="utf-8"
    )
    data = load(tmp_path)
    assert len(data.problems) == 1 and "en.yml" in data.problems[0]
    assert [ex.text for ex in data.examples] == ["salut"]


def test_examples_may_be_a_list_of_mappings(tmp_path: Path) -> None:
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "en.yml").write_text(
        "nlu:\n- intent: greet\n  examples:\n  - text: hello\n    metadata: {a: 1}\n  - hi\n",
        encoding="utf-8",
    )
    assert [ex.text for ex in load(tmp_path).examples] == ["hello", "hi"]


def test_split_is_deterministic_disjoint_and_about_a_fifth() -> None:
    examples = [Example(f"message number {i}", "greet", "en") for i in range(2000)]
    train, test = split(examples)
    train2, test2 = split(reversed(examples))
    assert {e.text for e in test} == {e.text for e in test2}
    assert not {e.text for e in train} & {e.text for e in test}
    assert len(train) + len(test) == 2000
    assert 0.15 < len(test) / 2000 < 0.25
    assert {e.text for e in train} == {e.text for e in train2}


def test_split_puts_spelling_variants_on_the_same_side() -> None:
    # The split hashes the folded text, so a copy with other case or
    # diacritics cannot sit in training while its twin is being tested.
    assert is_held_out("Mulțumesc frumos") == is_held_out("multumesc frumos")
    assert is_held_out("Спасибо") == is_held_out("spasibo")


def test_fingerprint_changes_with_the_data(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE_DATA, tmp_path / "data")
    before = fingerprint(tmp_path / "data")
    assert fingerprint(tmp_path / "data") == before
    with (tmp_path / "data" / "nlu" / "en.yml").open("a", encoding="utf-8") as f:
        f.write("    - hi again\n")
    assert fingerprint(tmp_path / "data") != before


@pytest.mark.skipif(not real_data_present(), reason="real data not complete yet")
def test_real_data_is_readable_and_covers_every_language() -> None:
    data = load(REAL_DATA)
    assert data.problems == []
    langs = {ex.language for ex in data.examples}
    assert {"ro", "ru", "uk", "en", "rom"} <= langs
    assert len(data.intents) >= 30


def test_code_as_entity_type_is_read_as_that_country_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "ro.yml").write_text(
        "nlu:\n- intent: emergency\n  examples: |\n    - batut in [rusia](RU)\n", encoding="utf-8"
    )
    data = load(tmp_path)
    (ann,) = data.examples[0].entities
    assert (ann.entity, ann.value, ann.text) == ("country", "RU", "rusia")
    assert len(data.warnings) == 1
