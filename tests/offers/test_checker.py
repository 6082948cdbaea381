"""check_offer: evidence, negation, pay, contacts, ages, countries, languages and bad input."""

from __future__ import annotations

import pytest

from bot.offers import check_offer, looks_like_offer
from bot.offers.serialize import to_json
from bot.offers.text import MAX_CHARS


def _quotes(text: str, flag: str) -> list[str]:
    report = check_offer(text)
    finding = next(f for f in (*report.flags, *report.protective) if f.id == flag)
    return [e.quote for e in finding.evidence]


def test_evidence_quotes_the_original_words_with_their_offsets() -> None:
    text = "Lucru în Germania! Pentru perfectarea actelor se achită 150 € înainte de plecare."
    report = check_offer(text)
    fee = next(f for f in report.flags if f.id == "upfront_fee")
    for e in fee.evidence:
        assert text[e.start : e.end] == e.quote
    assert any("achită 150 €" in e.quote for e in fee.evidence)


def test_diacritics_and_cyrillic_translit_read_the_same() -> None:
    assert "document_retention" in check_offer("Pașaportul îl păstrăm noi la oficiu.").flag_ids
    assert "document_retention" in check_offer("Pasaportul il pastram noi la oficiu.").flag_ids
    assert "document_retention" in check_offer("Паспорт оставите у бригадира.").flag_ids
    assert "document_retention" in check_offer("Pasport ostavite u brigadira.").flag_ids


@pytest.mark.parametrize(
    ("text", "absent", "present"),
    [
        ("Fără taxă pentru candidați.", "upfront_fee", "employer_pays"),
        ("No fee for workers, ever.", "upfront_fee", "employer_pays"),
        ("Оформление бесплатно, без предоплаты.", "upfront_fee", "employer_pays"),
        (
            "Contractul se semnează înainte de plecare.",
            "no_written_contract",
            "written_contract_first",
        ),
        ("Contract signed before departure.", "no_written_contract", "written_contract_first"),
    ],
)
def test_negation_turns_a_flag_into_a_protective_signal(
    text: str, absent: str, present: str
) -> None:
    report = check_offer(text)
    assert absent not in report.flag_ids
    assert present in report.protective_ids


@pytest.mark.parametrize("newline", ["\n", "\r\n", " \n\n", "<br>"])
def test_a_match_does_not_run_from_one_line_of_an_advert_into_the_next(newline: str) -> None:
    # "fără experiență" ends an item; "Contract ..." starts the next one.
    text = f"Lucru la fabrică, fără experiență{newline}Contract de muncă înainte de plecare."
    report = check_offer(text)
    assert "no_written_contract" not in report.flag_ids
    assert "written_contract_first" in report.protective_ids
    assert "no_requirements" in report.flag_ids


def test_a_flag_within_one_line_still_matches_after_a_line_break() -> None:
    report = check_offer("Lucru în Italia\nfără contract, plata în mână")
    assert "no_written_contract" in report.flag_ids


def test_a_fee_paid_by_the_employer_is_not_a_fee() -> None:
    report = check_offer("Taxa de viză, 80 euro, este achitată de angajator.")
    assert "upfront_fee" not in report.flag_ids
    assert "employer_pays" in report.protective_ids


def test_a_critical_flag_is_high_risk_even_with_protective_signals() -> None:
    text = (
        "Agenția «EuroMunca» SRL, licența nr. 123456/2023. Contract semnat înainte de plecare. "
        "Taxa de înregistrare 300 euro."
    )
    report = check_offer(text)
    assert report.risk == "high"
    assert {"licensed_agency_cited", "written_contract_first"} <= set(report.protective_ids)


@pytest.mark.parametrize(
    ("text", "currency", "period", "basis", "low", "high"),
    [
        ("Salariu 2500-3000 euro net pe lună", "EUR", "month", "net", 2500, 3000),
        ("Зарплата от 1500 евро в месяц", "EUR", "month", None, 1500, 1500),
        ("Pay £12.50 per hour before tax", "GBP", "hour", "gross", 12.5, 12.5),
        ("Оплата 25 zł/godz., 27 злотих на годину", "PLN", "hour", None, 25, 25),
        ("Salary $4,000 a month", "USD", "month", None, 4000, 4000),
        ("Зарплата 45 ₪ в час", "ILS", "hour", None, 45, 45),
        ("Plata 15000 lei lunar", "MDL", "month", None, 15000, 15000),
        (
            "Mzda 30 000 Kč brutto měsíčně, salariu 30 000 Kč brut pe luna",
            "CZK",
            "month",
            "gross",
            30000,
            30000,
        ),
        ("Заработок 120 евро в день", "EUR", "day", None, 120, 120),
        ("Salariu 600 euro pe săptămână", "EUR", "week", None, 600, 600),
    ],
)
def test_pay_is_read_with_currency_period_and_basis(
    text: str, currency: str, period: str, basis: str | None, low: float, high: float
) -> None:
    pay = check_offer(text).pay
    assert pay is not None
    assert (pay.currency, pay.period, pay.basis) == (currency, period, basis)
    assert (pay.amount_min, pay.amount_max) == (low, high)


def test_pay_far_above_the_reference_is_unrealistic_but_ordinary_pay_is_not() -> None:
    assert (
        "unrealistic_pay" in check_offer("Depozit în Polonia, salariu 5000 euro pe lună.").flag_ids
    )
    assert (
        "unrealistic_pay"
        not in check_offer("Depozit în Polonia, salariu 1100 euro pe lună.").flag_ids
    )
    report = check_offer("Depozit în Polonia, salariu 5000 euro pe lună.")
    assert report.pay is not None and report.pay.reference_country == "PL" and report.pay.ratio


def test_a_fee_amount_is_not_taken_for_the_wage() -> None:
    pay = check_offer("Taxa de înregistrare 200 euro. Salariu 1500 euro pe lună.").pay
    assert pay is not None and pay.amount_max == 1500


def test_a_phone_number_beside_a_currency_is_not_pay() -> None:
    # Found by hypothesis: the number came back as the wage, into the stored report.
    report = check_offer("Lucru in Germania. Sunati 37362112345 EUR", language="ro")
    assert report.pay is None


def test_phones_are_reported_by_country_and_kind_only() -> None:
    report = check_offer("Lucru în Italia, 1200 euro. Sunați 069 123 456 sau +48 600 123 456.")
    assert {(p.country, p.kind) for p in report.phones} == {("MD", "mobile"), ("PL", "mobile")}
    assert "069" not in repr(report.phones)


def test_a_moldovan_mobile_as_the_only_contact_supports_anonymous_recruiter() -> None:
    assert (
        "anonymous_recruiter"
        in check_offer("Lucru în Germania, 2000 euro. Tel 069 123 456").flag_ids
    )
    named = check_offer(
        "Angajator: Fleisch Nord GmbH, Oldenburg. Lucru, 2000 euro. Tel 069 123 456"
    )
    assert "anonymous_recruiter" not in named.flag_ids


def test_webmail_and_social_links_are_domains_only() -> None:
    report = check_offer(
        "Job in Poland 1200 EUR. CV: job.poland@gmail.com, group facebook.com/groups/x1"
    )
    assert report.emails_domains == ("gmail.com",)
    assert report.links_domains == ("facebook.com",)
    assert "anonymous_recruiter" in report.flag_ids
    assert "social_media_only" not in report.flag_ids  # there is an e-mail


def test_social_media_only_when_the_only_contact_is_a_link_or_handle() -> None:
    report = check_offer("Работа в Чехии, 1500 евро. Пишите в телеграм t.me/rabota_cz")
    assert {"social_media_only", "anonymous_recruiter"} <= set(report.flag_ids)


@pytest.mark.parametrize(
    ("text", "minors"),
    [
        ("Angajăm tineri 16-45 ani pentru cules.", True),
        ("Работа от 17 лет.", True),
        ("Age doesn't matter, come and work.", True),
        ("Вік від 15 років.", True),
        ("Vârsta 18-50 ani.", False),
        ("Experiență de la 2 ani.", False),
    ],
)
def test_ages_under_18_target_minors(text: str, minors: bool) -> None:
    assert ("targets_minors" in check_offer(text).flag_ids) is minors


def test_destination_countries_come_from_the_nlu() -> None:
    report = check_offer("Lucru în Germania sau Olanda, 1800 euro.")
    assert report.countries == ("DE", "NL")


def test_transit_through_a_country_is_flagged() -> None:
    report = check_offer("Работа в Германии, едем через Польшу, зарплата 2000 евро.")
    assert "third_country_transit" in report.flag_ids


def test_language_is_taken_from_the_caller_or_guessed() -> None:
    assert check_offer("Lucru în Germania, salariu bun.").language == "ro"
    assert check_offer("Работа в Германии, зарплата хорошая.").language == "ru"
    assert check_offer("Робота в Німеччині, зарплата хороша.").language == "uk"
    assert check_offer("Work in Germany, good salary for you.").language == "en"
    assert check_offer("Rabota v Germanii, zarplata horoshaya, pishite").language == "ru"
    assert check_offer("Work in Germany, good salary.", language="rom").language == "rom"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "069 123 456",
        "https://t.me/rabota_abroad",
        "Wir suchen Lagerarbeiter in Deutschland, 14 Euro pro Stunde, ab sofort.",
        "我们在德国招聘仓库工人，每小时14欧元，包住宿。",
        "\ud800\udfff broken surrogates",
    ],
)
def test_bad_input_gives_a_clear_report(text: str) -> None:
    report = check_offer(text)
    assert 0 <= report.score <= 100
    assert report.risk in {"low", "medium", "high"}
    assert {"little_to_check", "unknown_language"} & set(report.note_ids)
    assert report.verify  # low never means safe: there is always something to check


def test_other_languages_are_undetermined() -> None:
    assert (
        check_offer("Wir suchen Lagerarbeiter in Deutschland, 14 Euro pro Stunde.").language
        == "und"
    )
    assert check_offer("我们在德国招聘仓库工人").language == "und"


def test_a_huge_paste_is_capped_and_says_so() -> None:
    text = "Lucru în Germania, salariu 2000 euro. " * 5000
    report = check_offer(text)
    assert report.truncated and "text_truncated" in report.note_ids
    assert all(e.end <= MAX_CHARS for f in report.flags for e in f.evidence)


def test_html_and_markdown_are_stripped_before_matching() -> None:
    html = "<div><b>Lucru</b> în Germania</div><p>Taxa&nbsp;de <i>înregistrare</i>: 200&euro;</p>"
    report = check_offer(html)
    assert "upfront_fee" in report.flag_ids
    fee = next(f for f in report.flags if f.id == "upfront_fee")
    assert all(html[e.start : e.end] == e.quote for e in fee.evidence)
    md = "**URGENT!** Lucru în Polonia\n> Plecare **mâine**\n# Taxa 100 euro pentru acte"
    assert {"urgency_pressure", "upfront_fee"} <= set(check_offer(md).flag_ids)


def test_looks_like_offer() -> None:
    assert looks_like_offer(
        "Angajăm muncitori în Germania, salariu 2000 euro, cazare. Tel 069 123 456"
    )
    assert looks_like_offer(
        "Требуются рабочие на склад в Польшу, зарплата 1500 евро, жильё. Пишите в вайбер."
    )
    assert not looks_like_offer("Is this job real? I got an offer from an agency.")
    assert not looks_like_offer("Bună ziua, cum pot verifica o agenție?")
    assert not looks_like_offer("")


def test_to_json_has_the_contract_shape() -> None:
    report = check_offer("Taxa 200 euro pentru acte, plecare mâine.")
    line = to_json(report)
    assert set(line) == {"risk", "score", "flags", "protective", "language"}
    assert line["risk"] == "high" and isinstance(line["score"], int)
    assert line["flags"][0] == "upfront_fee"


def test_reported_offers_need_the_key() -> None:
    from bot.offers import fingerprint

    reported = [fingerprint("x " * 20, key=b"k", offer_id="r1")]
    with pytest.raises(ValueError):
        check_offer("text", reported=reported)
