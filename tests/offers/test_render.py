"""The user-facing report and the guided questionnaire."""

from __future__ import annotations

import re

import pytest

from bot.offers import check_offer
from bot.offers.catalogue import LANGUAGES
from bot.offers.questionnaire import questionnaire_report
from bot.offers.render import render_report

SCAM = (
    "URGENT! Lucru în Germania, taxa de înregistrare 200 euro, pașaportul îl păstrăm noi. "
    "Sunați 069 123 456 sau scrieți la jobs.de@gmail.com"
)
LEGIT = (
    "Angajator: Fleisch Nord GmbH, Oldenburg. Contract semnat înainte de plecare, "
    "viză de muncă tip D, angajatorul achită biletul."
)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_renders_the_whole_report(lang: str) -> None:
    text = render_report(check_offer(SCAM), lang)
    assert text.startswith("**") and "{hotline}" in text and "{hotline_abroad}" in text
    assert text.count("\n- ") >= 6  # findings, checks and next steps are bullets


def test_the_report_quotes_the_evidence_but_never_a_phone_number_or_email() -> None:
    text = render_report(check_offer(SCAM), "en")
    assert "Risk: high" in text
    assert "taxa de înregistrare 200 euro" in text
    assert "069" not in text and "gmail" not in text
    assert "[phone number]" in text


def test_high_risk_offers_an_operator_and_low_risk_is_not_called_safe() -> None:
    high = render_report(check_offer(SCAM), "ro")
    assert "consultant" in high.splitlines()[-1]
    low = render_report(check_offer(LEGIT), "en")
    assert "Risk: low" in low and "does not mean the offer is safe" in low
    assert "What looks right" in low and "counsellor now" not in low


def test_the_output_stays_in_the_content_markdown_subset() -> None:
    nasty = (
        "Taxa 100 euro pentru acte **bold** [click](https://evil.example) {hotline} <b>x</b> `code`"
    )
    text = render_report(check_offer(nasty), "en")
    assert not re.search(r"\]\(https?://", text), "a link from the offer must not become a link"
    assert "**bold**" not in text and "`" not in text and "<b>" not in text
    placeholders = set(re.findall(r"\{([a-z0-9_]+)\}", text))
    assert placeholders <= {"hotline", "hotline_abroad", "child_line"}


def test_questionnaire_answers_make_the_same_kind_of_report() -> None:
    risky = questionnaire_report(
        {"fee": "yes", "passport": "yes", "contract": "on_arrival"}, language="ru"
    )
    assert risky.risk == "high"
    assert set(risky.flag_ids) == {"upfront_fee", "document_retention", "no_written_contract"}
    assert all(e.source == "answer" for f in risky.flags for e in f.evidence)
    text = render_report(risky, "ru")
    assert "Вы ответили: „Да, просили”" in text

    safe = questionnaire_report(
        {
            "fee": "no_employer_pays",
            "contract": "before",
            "visa": "work_visa",
            "found": "official",
            "employer": "checked",
        }
    )
    assert safe.risk == "low"
    assert {
        "employer_pays",
        "written_contract_first",
        "work_permit_first",
        "official_channel",
        "named_employer",
    } == set(safe.protective_ids)
    assert questionnaire_report({"nonsense": "x"}).note_ids == ("little_to_check",)
