"""Languages: negotiation, plural rules, Romani formatted as ro_MD, names in themselves."""

from __future__ import annotations

from datetime import date

import pytest

from bot.i18n import LANGUAGE_NAMES, Catalogs, negotiate, parse_accept_language


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["uk"], "uk"),                     # Telegram language_code
        (["ru-RU"], "ru"),
        (["mo"], "ro"),                     # the old Moldovan tag
        (["ro-MD"], "ro"),
        (["rom"], "rom"),
        (["rmy"], "rom"),                   # Vlax Romani's ISO 639-3 code
        (["de", "en-GB"], "en"),
        (["de"], None),
        ([None, ""], None),
    ],
)
def test_negotiation(tags: list[str | None], expected: str | None) -> None:
    assert negotiate(tags) == expected


def test_accept_language_is_read_by_quality() -> None:
    header = "de;q=0.9, ru-RU, en;q=0.8, *;q=0.1, fr;q=0"
    assert parse_accept_language(header) == ["ru-RU", "de", "en"]
    assert negotiate(parse_accept_language(header)) == "ru"


def test_romani_numbers_and_dates_look_like_ro_md() -> None:
    catalogs = Catalogs()
    rom, ro = catalogs.get("rom"), catalogs.get("ro")
    assert rom.number(1234567.5) == ro.number(1234567.5) == "1.234.567,5"
    assert rom.date(date(2026, 11, 23)) == ro.date(date(2026, 11, 23))


@pytest.mark.parametrize(("lang", "plural_for_2"), [("rom", 1), ("ro", 1), ("ru", 1),
                                                    ("uk", 1), ("en", 1)])
def test_catalogues_carry_plural_rules(lang: str, plural_for_2: int) -> None:
    translations = Catalogs().get(lang)._t
    assert translations.ngettext("x", "xs", 2) == "xs"  # unknown id: gettext's own fallback
    plural = getattr(translations, "plural", None)
    assert plural is not None and plural(2) == plural_for_2


def test_russian_plural_has_three_forms_and_romani_two() -> None:
    ru, rom = Catalogs().get("ru")._t, Catalogs().get("rom")._t
    assert {ru.plural(n) for n in (1, 2, 5)} == {0, 1, 2}  # type: ignore[attr-defined]
    assert {rom.plural(n) for n in (1, 2, 5)} == {0, 1}  # type: ignore[attr-defined]


def test_every_language_is_named_in_itself() -> None:
    assert LANGUAGE_NAMES == {"ro": "Română", "ru": "Русский", "uk": "Українська",
                              "en": "English", "rom": "Romani"}


@pytest.mark.parametrize("lang", ["ro", "ru", "uk", "rom"])
def test_interface_strings_are_translated(lang: str) -> None:
    assert Catalogs().get(lang)._("Main menu") != "Main menu"
