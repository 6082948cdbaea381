"""Agency registry: liberal import, fuzzy names, licence checks, and what the report says."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from bot.offers import Agency, AgencyImportError, Registry, check_offer, import_agencies, load_data
from bot.offers.registry import normalize_licence, normalize_name

ONE = date(2026, 11, 23)
LIST = """Denumirea agenției;Nr. licenței;Valabilă până la;Țările;Sursa
"«EuroMunca» S.R.L.";Nr 123456/2023;31.12.2027;Germania, Cehia;https://example.org/list
ООО "Работа-Плюс";AA 004512;2026-01-01;SK;
"""


@pytest.mark.parametrize(
    "header",
    [
        "name,licence_number,valid_until,countries,source",
        "Agency,License No,Expiry,Countries,Source",
        "Название агентства,Номер лицензии,Действительна до,Страны,Источник",
        "Denumire,Licența,Termen,Țări,Sursa",
    ],
)
def test_headers_in_ro_ru_en_are_understood(header: str) -> None:
    agencies = import_agencies(io.StringIO(f"{header}\nX SRL,123/2020,2030-01-01,DE;IT,doc\n"))
    assert agencies == [Agency("X SRL", "123/2020", date(2030, 1, 1), ("DE", "IT"), "doc")]


def test_semicolons_dates_and_country_names_are_read() -> None:
    euro, rabota = import_agencies(io.StringIO(LIST))
    assert euro.licence_number == "123456/2023" and euro.valid_until == date(2027, 12, 31)
    assert euro.countries == ("DE", "CZ")
    assert rabota.licence_number == "AA004512" and rabota.source is None


def test_bad_rows_are_all_reported() -> None:
    with pytest.raises(AgencyImportError) as err:
        import_agencies(io.StringIO("name,licence_number,valid_until\nX,??,\n,123,\nY,456,soon\n"))
    assert len(err.value.problems) == 3
    with pytest.raises(AgencyImportError):
        import_agencies(io.StringIO("city,phone\nA,1\n"))


def test_names_match_despite_legal_forms_quotes_and_spacing() -> None:
    registry = Registry(import_agencies(io.StringIO(LIST)))
    assert normalize_name("S.R.L. «Euro Munca»").replace(" ", "") == "euromunca"
    for name in ("EuroMunca SRL", "Euro-Munca", "Работа Плюс", "Rabota-Plyus OOO"):
        assert registry.find(name), name
    assert not registry.find("Munca")
    assert not registry.find("Global Recruit SRL")


def test_licence_numbers_are_normalised_and_checked() -> None:
    registry = Registry(import_agencies(io.StringIO(LIST)))
    assert normalize_licence("nr. 123456 / 2023") == "123456/2023"
    assert registry.confirm(licence="123456/2023", country="DE", on=ONE).status == "confirmed"
    assert (
        registry.confirm(licence="123456/2023", country="IT", on=ONE).status
        == "country_not_covered"
    )
    assert registry.confirm(licence="AA 004512", country="SK", on=ONE).status == "expired"
    assert registry.confirm(licence="777777", on=ONE).status == "not_found"
    assert registry.confirm(licence="??", on=ONE).status == "bad_format"
    assert Registry().confirm(licence="123456", on=ONE).status == "registry_empty"


def test_an_unconfirmed_licence_is_a_neutral_note_not_a_flag() -> None:
    report = check_offer("Agenția ABC SRL, licența nr. 555555, angajează în Germania.", today=ONE)
    assert "agency_not_confirmed" in report.note_ids
    assert "unlicensed_agency" not in report.flag_ids
    assert "licensed_agency_cited" in report.protective_ids


def test_a_confirmed_licence_covering_the_country_weighs_more(tmp_path: Path) -> None:
    data = load_data(registry=Registry(import_agencies(io.StringIO(LIST))))
    text = "Agenția «EuroMunca» SRL, licența nr. 123456/2023, angajează sudori pentru Germania."
    report = check_offer(text, data=data, today=ONE)
    cited = next(f for f in report.protective if f.id == "licensed_agency_cited")
    assert cited.weight == 25 and "agency_confirmed" in report.note_ids
    assert any(e.source == "registry" for e in cited.evidence)
    elsewhere = check_offer(text.replace("Germania", "Italia"), data=data, today=ONE)
    assert "agency_country_not_covered" in elsewhere.note_ids
    assert "licensed_agency_cited" not in elsewhere.protective_ids
