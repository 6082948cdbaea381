"""content/offers/: every taxonomy id, every language, sources honest, texts within the rules."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from bot.offers import default_data
from bot.offers.catalogue import LANGUAGES
from bot.offers.registry import COLUMNS

OFFERS = Path(__file__).resolve().parents[2] / "content" / "offers"
# shared/docs/TAXONOMY.md, "Job-offer risk flags" and "Protective signals"
FLAGS = {
    "upfront_fee",
    "document_retention",
    "no_written_contract",
    "contract_language",
    "tourist_visa_work",
    "unrealistic_pay",
    "no_requirements",
    "urgency_pressure",
    "anonymous_recruiter",
    "unlicensed_agency",
    "debt_bondage",
    "restricted_freedom",
    "secrecy",
    "sexual_exploitation_risk",
    "targets_minors",
    "third_country_transit",
    "cyber_scam_compound",
    "marriage_or_romance",
    "photo_request",
    "no_office",
    "excessive_hours",
    "criminal_activity",
    "social_media_only",
    "cash_or_delayed_pay",
}
PROTECTIVE = {
    "licensed_agency_cited",
    "named_employer",
    "written_contract_first",
    "employer_pays",
    "official_channel",
    "work_permit_first",
}
PLACEHOLDERS = {"hotline", "hotline_abroad", "child_line"}
_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")
_DIGITS = re.compile(r"\d[\d ]{5,}\d")


def _yaml(name: str) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((OFFERS / name).read_text(encoding="utf-8"))


def _check_text(text: str, where: str) -> None:
    assert not _DIGITS.search(text), f"{where}: a number in the text; use a placeholder"
    assert set(_PLACEHOLDER.findall(text)) <= PLACEHOLDERS, f"{where}: unknown placeholder"
    assert not re.search(r"(?m)^#|<[a-z]|`", text), f"{where}: outside the Markdown subset"


def test_the_catalogue_has_exactly_the_taxonomy_ids() -> None:
    catalogue = default_data().catalogue
    assert {r.id for r in catalogue.flags()} == FLAGS
    assert {r.id for r in catalogue.protective()} == PROTECTIVE


@pytest.mark.parametrize("rule", _yaml("flags.yml")["flags"], ids=lambda r: r["id"])
def test_every_rule_has_patterns_and_texts_in_every_language(rule: dict) -> None:  # type: ignore[type-arg]
    assert 0 < rule["weight"] <= 100
    for lang in LANGUAGES:
        assert rule["patterns"].get(lang), f"{rule['id']}: no {lang} patterns"
        text = rule["text"][lang]
        for key in ("explanation", "advice"):
            assert 20 <= len(text[key]) <= 400, f"{rule['id']} {lang} {key}: one or two sentences"
            _check_text(text[key], f"{rule['id']} {lang} {key}")


def test_the_report_frame_has_the_same_keys_in_every_language() -> None:
    frame = _yaml("report.yml")

    def keys(node: object, path: str = "") -> set[str]:
        if isinstance(node, dict):
            return set().union(*(keys(v, f"{path}/{k}") for k, v in node.items()))
        if isinstance(node, list):
            return {f"{path}[{len(node)}]"}
        _check_text(str(node), path)
        return {path}

    reference = keys(frame["en"])
    for lang in LANGUAGES:
        assert keys(frame[lang]) == reference, lang
    assert "{hotline}" in " ".join(frame["en"]["next"]) and "{hotline_abroad}" in " ".join(
        frame["en"]["next"]
    )


def test_the_questionnaire_has_8_to_12_questions_with_valid_answers() -> None:
    questions = default_data().questions
    assert 8 <= len(questions) <= 12
    ids = FLAGS | PROTECTIVE
    for q in questions:
        assert set(q.text) == set(LANGUAGES)
        assert len(q.answers) >= 2
        for a in q.answers:
            assert set(a.label) == set(LANGUAGES), f"{q.id}={a.id}"
            assert all(len(label) <= 30 for label in a.label.values()), f"{q.id}={a.id}"
            assert set(a.flags) <= FLAGS and set(a.protective) <= PROTECTIVE
            assert set(a.flags) | set(a.protective) <= ids
    covered = {fid for q in questions for a in q.answers for fid in (*a.flags, *a.protective)}
    assert {
        "upfront_fee",
        "document_retention",
        "no_written_contract",
        "tourist_visa_work",
        "targets_minors",
        "official_channel",
    } <= covered


def test_wage_values_are_marked_unverified_without_a_source() -> None:
    wages = _yaml("wages.yml")
    entries = [*wages["countries"].values(), wages["default"], *wages["currencies"].values()]
    for entry in entries:
        assert entry["verified"] is (entry["source"] is not None), entry
    for code, entry in wages["countries"].items():
        low, ceiling = entry["range"]
        assert 0 < low < ceiling, code


def test_the_agency_registry_ships_empty_with_its_header() -> None:
    with (OFFERS / "agencies.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows == [list(COLUMNS)]


def test_the_readme_describes_every_file_and_column() -> None:
    readme = (OFFERS / "README.md").read_text(encoding="utf-8")
    for name in ("flags.yml", "wages.yml", "agencies.csv", "questionnaire.yml", "report.yml"):
        assert f"`{name}`" in readme
    for column in COLUMNS:
        assert f"`{column}`" in readme
