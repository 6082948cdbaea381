"""Properties of the offer checker on arbitrary text: ranges, ids, determinism, masking.

Only invariants the design guarantees are asserted. "A protective sentence never
raises the risk" is not one: the added words change the detected language (and so
which negators apply to the rest), switch on contexts and contact weighing, and a
line break does not end a clause ("fara\\n\\nContractul se semnează înainte de
plecare" reads as "no contract"). What does hold is asserted on ``score`` itself.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import phonenumbers
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from bot.offers import Finding, check_offer, default_data, fingerprint, looks_like_offer
from bot.offers.render import render_report
from bot.offers.scoring import HIGH, MEDIUM, REPORTED_FLOOR, risk_for, score
from bot.offers.serialize import report_for_storage, to_json
from bot.offers.text import MAX_CHARS
from bot.offers.types import RISKS, OfferReport

pytestmark = pytest.mark.fuzz

CHECKS = settings(max_examples=100, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TODAY = date(2026, 6, 1)
KEY = b"fuzz-fingerprint-key"
DATA = default_data()
FLAG_IDS = frozenset(r.id for r in DATA.catalogue.flags())
PROTECTIVE_IDS = frozenset(r.id for r in DATA.catalogue.protective())
NOTE_IDS = frozenset(DATA.frame["en"]["note"])
VERIFY_IDS = frozenset(DATA.frame["en"]["verify"])
LANGUAGES = ("ro", "ru", "uk", "en", "rom")
ORIGINAL_SOURCES = frozenset({"text", "pay", "contact", "age", "country"})

CHARS = st.characters(exclude_categories=["Cs"])
# Words and marks the rules react to, so that random text reaches the findings.
WORDS = st.sampled_from([
    "lucru", "muncă", "salariu", "3000", "euro", "€", "lei", "$", "pe lună", "taxa", "avans",
    "pașaport", "паспорт", "предоплата", "работа", "без", "fără", "nu", "no", "fee", "contract",
    "договор", "înainte de plecare", "Germania", "Polonia", "Dubai", "Польша", "crypto", "fete",
    "girls", "16-45 ani", "от 17 лет", "Viber", "WhatsApp", "t.me/job_x", "@recruiter_md",
    "gmail.com", "ANOFM", "EURES", "SRL", "GmbH", "angajatorul plătește", "cazare gratuită",
    "<b>", "**", "&euro;", "\n", ".", ",", ":", "-", "(", ")",
])
OFFERISH = st.lists(WORDS | st.text(CHARS, max_size=12), max_size=40).map(" ".join)
ANY_TEXT = st.one_of(
    st.text(CHARS, max_size=400),
    OFFERISH,
    st.builds(lambda piece, n: piece * n, st.text(CHARS, min_size=1, max_size=7),
              st.integers(1, 600)),
)


def _check(text: str, **kwargs: Any) -> OfferReport:
    return check_offer(text, today=TODAY, **kwargs)


@CHECKS
@given(ANY_TEXT, st.sampled_from([*LANGUAGES, None, "de", ""]))
def test_any_text_gives_a_consistent_report(text: str, language: str | None) -> None:
    report = _check(text, language=language)
    assert report.risk in RISKS and 0 <= report.score <= 100
    assert report.risk == risk_for(report.score)
    assert set(report.flag_ids) <= FLAG_IDS
    assert set(report.protective_ids) <= PROTECTIVE_IDS
    assert set(report.note_ids) <= NOTE_IDS
    assert set(report.verify) <= VERIFY_IDS
    for findings in (report.flags, report.protective, report.notes):
        ids = [f.id for f in findings]
        assert len(ids) == len(set(ids))
    for findings in (report.flags, report.protective):
        assert [(-f.weight, f.id) for f in findings] == sorted((-f.weight, f.id)
                                                               for f in findings)
    if language in LANGUAGES:
        assert report.language == language
    assert to_json(report)["score"] == report.score
    assert report.looks_like_offer == looks_like_offer(text)


@settings(CHECKS, max_examples=50)
@given(ANY_TEXT)
def test_the_same_text_gives_the_same_report(text: str) -> None:
    assert _check(text) == _check(text)


@CHECKS
@given(ANY_TEXT)
def test_evidence_quotes_the_original_words(text: str) -> None:
    report = _check(text)
    for finding in (*report.flags, *report.protective, *report.notes):
        for e in finding.evidence:
            if e.source in ORIGINAL_SOURCES:
                assert 0 <= e.start <= e.end <= min(len(text), MAX_CHARS)
                assert text[e.start:e.end] == e.quote


@CHECKS
@given(ANY_TEXT)
def test_floors_hold_nothing_verifiable_is_never_low(text: str) -> None:
    report = _check(text)
    if "nothing_verifiable" in report.note_ids:
        assert report.score >= MEDIUM and report.risk != "low"
        assert not report.protective


@settings(CHECKS, max_examples=5)
@given(st.text(CHARS, min_size=1, max_size=5), st.integers(0, 300))
def test_text_past_the_cap_is_truncated_and_says_so(piece: str, extra: int) -> None:
    text = (piece * (MAX_CHARS // len(piece) + 1))[: MAX_CHARS + 1 + extra]
    report = _check(text)
    assert report.truncated and "text_truncated" in report.note_ids
    assert report_for_storage(report)["truncated"] is True


# --- masking: what is stored never holds the user's numbers or addresses --------------------

REGIONS = ("MD", "RO", "UA", "RU", "IT", "DE", "PL", "GB", "FR", "IL", "TR", "PT", "ES", "CZ")
FORMATS = (PhoneNumberFormat.E164, PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.NATIONAL)


def _example_phones() -> list[tuple[str, tuple[str, ...]]]:
    """Each region's example numbers in each format, with the digits that must not leak."""
    out = []
    for region in REGIONS:
        for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE):
            number = phonenumbers.example_number_for_type(region, kind)
            e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
            secret = (e164, e164[1:], phonenumbers.national_significant_number(number))
            out += [(phonenumbers.format_number(number, f), secret) for f in FORMATS]
    return out


PHONES = st.sampled_from(_example_phones())
EMAILS = st.from_regex(
    r"\A[a-z0-9][a-z0-9._+-]{0,20}@(?:gmail\.com|mail\.ru|yahoo\.com|"
    r"[a-z0-9][a-z0-9-]{0,14}\.(?:md|ro|com|it|de|ru|eu))\Z")
# How ads give contacts: bare, after a call cue, in brackets, next to the messenger's name.
CONTACT_LINES = st.sampled_from([
    "{}", "Sunați la {}", "Tel: {}", "тел. {}", "Звоните {}", "Viber/WhatsApp: {}",
    "Call {} now", "({})", "Informații la numărul {}.", "scrieți pe {} sau pe e-mail",
])


ADS = st.sampled_from([
    "", "Lucru în Germania la depozit, salariu 2500 euro pe lună.",
    "Работа в Польше на складе, зарплата от 3000 злотых.",
    "Робота в Чехії, зарплата 1200 євро.", "Job in Italy, 1800 euro per month, no experience.",
])


@st.composite
def offers_with_contacts(draw: st.DrawFn) -> tuple[str, list[str]]:
    """An offer-like text carrying phones and e-mails; returns it and the strings to hide."""
    parts = [draw(ADS)]
    secrets: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        parts.append(draw(OFFERISH))
        if draw(st.booleans()):
            shown, hidden = draw(PHONES)
            secrets += [shown, *hidden]
        else:
            shown = draw(EMAILS)
            secrets.append(shown)
        parts.append(draw(CONTACT_LINES).format(shown))
    parts.append(draw(OFFERISH))
    return draw(st.sampled_from([" ", "\n", ". "])).join(parts), secrets


MASKING_EXAMPLE = ("Lucru în Germania, salariu 3000 euro. Taxa 200 euro. "
                   "Scrieți pe WhatsApp la +37369123456 sau la ion.popescu@gmail.com",
                   ["+37369123456", "37369123456", "69123456", "ion.popescu@gmail.com"])


def test_the_masking_example_does_carry_the_contacts_in_its_evidence() -> None:
    # Otherwise the property below could pass without anything to mask.
    text, secrets = MASKING_EXAMPLE
    quotes = " ".join(e.quote for f in _check(text).flags for e in f.evidence)
    assert secrets[0] in quotes and secrets[-1] in quotes


@settings(CHECKS, max_examples=150)
@given(offers_with_contacts(), st.sampled_from(LANGUAGES))
@example(MASKING_EXAMPLE, "ro")
def test_the_stored_report_never_holds_a_phone_number_or_e_mail(
        offer: tuple[str, list[str]], language: str) -> None:
    text, secrets = offer
    report = _check(text)
    stored = json.dumps(report_for_storage(report), ensure_ascii=False)
    shown = render_report(report, language)
    for secret in secrets:
        assert secret not in stored
        assert secret not in shown


@settings(CHECKS, max_examples=40)
@given(offers_with_contacts())
def test_an_offer_reported_before_is_high_risk(offer: tuple[str, list[str]]) -> None:
    text, _ = offer
    reported = fingerprint(text, key=KEY, offer_id="r-1")
    report = _check(text, reported=[reported], key=KEY)
    # It shares its own numbers and addresses, so it always matches itself.
    assert report.reported_before == ("r-1",)
    assert report.score >= REPORTED_FLOOR and report.risk == "high"
    assert "reported_before" in report.note_ids


# --- the score: what does hold by design ----------------------------------------------------

FINDINGS = st.lists(st.builds(Finding, st.sampled_from(sorted(FLAG_IDS | PROTECTIVE_IDS)),
                              st.integers(0, 150)), max_size=6)


@settings(CHECKS, max_examples=300)
@given(FINDINGS, FINDINGS, st.builds(Finding, st.just("extra"), st.integers(0, 150)),
       st.booleans(), st.booleans())
def test_a_protective_signal_never_raises_the_score_and_a_flag_never_lowers_it(
        flags: list[Finding], protective: list[Finding], extra: Finding, critical: bool,
        reported: bool) -> None:
    base = score(flags, protective, critical=critical, reported=reported)
    assert 0 <= base <= 100
    assert score(flags, [*protective, extra], critical=critical, reported=reported) <= base
    assert score([*flags, extra], protective, critical=critical, reported=reported) >= base
    if critical:
        assert base >= HIGH
    if reported:
        assert base >= REPORTED_FLOOR
    assert score(flags, protective, critical=True, reported=reported) >= base
    assert score(flags, protective, critical=critical, reported=True) >= base
