"""Offers reported before: keyed fingerprints, and matches by phone, e-mail, link or text."""

from __future__ import annotations

import json

from bot.offers import ReportedOffer, check_offer, fingerprint

KEY = b"test-key-not-secret"
SCAM = (
    "Lucru în Germania la depozit, salariu 2500 euro. Taxa de înregistrare 150 euro. "
    "Plecare săptămâna viitoare, locuri limitate. Sunați 069 123 456 "
    "sau scrieți la jobde@gmail.com, detalii pe www.euro-job-de.com/apply"
)


def _report(text: str, reported: list[ReportedOffer]):  # type: ignore[no-untyped-def]
    return check_offer(text, reported=reported, key=KEY)


def test_the_fingerprint_holds_no_raw_number_email_or_text() -> None:
    fp = fingerprint(SCAM, key=KEY, offer_id="r1")
    data = fp.to_dict()
    assert all(isinstance(h, int) for h in data["shingles"])  # keyed hashes, not words
    stored = json.dumps({k: v for k, v in data.items() if k != "shingles"})
    for secret in ("069", "123 456", "37369123456", "jobde", "gmail", "depozit", "apply"):
        assert secret not in stored
    assert fp.domains == frozenset({"euro-job-de.com"})
    assert ReportedOffer.from_dict(json.loads(json.dumps(data))) == fp


def test_the_same_phone_in_a_different_text_is_recognised() -> None:
    reported = [fingerprint(SCAM, key=KEY, offer_id="r1")]
    report = _report("Munca in Olanda, sunati +373 69 123 456", reported)
    assert report.reported_before == ("r1",)
    assert report.risk == "high" and "reported_before" in report.note_ids


def test_the_same_email_or_site_is_recognised() -> None:
    reported = [fingerprint(SCAM, key=KEY, offer_id="r1")]
    assert _report("Job in Spain. CV to JobDE@gmail.com", reported).reported_before == ("r1",)
    assert _report("Job in Spain, see euro-job-de.com", reported).reported_before == ("r1",)


def test_nearly_the_same_text_is_recognised_and_a_different_one_is_not() -> None:
    reported = [fingerprint(SCAM, key=KEY, offer_id="r1")]
    copy = SCAM.replace("069 123 456", "079 000 111").replace("jobde@gmail.com", "x@y.md")
    copy = copy.replace("www.euro-job-de.com/apply", "")
    assert _report(copy, reported).reported_before == ("r1",)
    other = "Angajăm sudori în Cehia, contract semnat înainte de plecare, salariu 1700 euro brut."
    assert _report(other, reported).reported_before == ()


def test_hashes_made_with_another_key_do_not_match() -> None:
    phone_only = [
        fingerprint("Sunați 069 123 456 pentru lucru în Germania", key=b"other", offer_id="r2")
    ]
    assert _report("Sunați 069 123 456 pentru lucru în Olanda", phone_only).reported_before == ()


def test_a_copy_with_a_few_words_changed_is_still_recognised() -> None:
    text = (
        "Angajăm urgent muncitori pentru fabrica de carne din Germania. Salariu 2500 euro net, "
        "cazare gratuită, transport asigurat de firmă. "
        "Pentru perfectarea actelor se achită 150 euro înainte de plecare. "
        "Nu este nevoie de experiență sau de limba germană. Locuri limitate, "
        "plecarea săptămâna viitoare. Sunați sau scrieți pe Viber pentru detalii."
    )
    reported = [fingerprint(text, key=KEY, offer_id="r9")]
    edited = text.replace("Germania", "Olanda").replace("2500", "2700")
    assert _report(edited, reported).reported_before == ("r9",)
