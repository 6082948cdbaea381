"""Destination-aware answers: a known country adds its own lines to some topics."""

from __future__ import annotations

import pytest

from bot.content import load_content
from bot.core.messages import Incoming
from bot.core.turn import State, Turn
from bot.i18n import Catalogs
from bot.settings import REPO_ROOT
from nlu import Entity, Parse


def parse(intent: str, country: str | None) -> Parse:
    entities = (Entity("country", country, 0, 5, "x"),) if country else ()
    return Parse(text="x", intent=intent, confidence=0.9, language="ro",
                 language_confidence=0.5, entities=entities, ranking=((intent, 0.9),),
                 safety_rule=None, backend="embedded")


def answer(intent: str, country: str | None, lang: str = "ro") -> str:
    turn = Turn(State(lang, "menu", {}), load_content(REPO_ROOT / "content"), Catalogs(),
                parse(intent, country))
    replies = turn.run(Incoming(channel="test", user_key="k", address="a", text="x"))
    return "\n".join(r.text for r in replies)


@pytest.mark.parametrize("intent", ["hotline_contacts", "consular_help", "legal_work_abroad"])
def test_a_known_country_adds_its_lines(intent: str) -> None:
    with_italy = answer(intent, "IT")
    assert "800 290 290" in with_italy and "Italia" in with_italy
    assert "800 290 290" not in answer(intent, None)


def test_a_country_without_verified_lines_adds_nothing_false() -> None:
    text = answer("hotline_contacts", "CY")
    assert "1497" not in text  # Cyprus's line is unverified: never shown


def test_the_country_is_remembered_for_later_answers() -> None:
    content, catalogs = load_content(REPO_ROOT / "content"), Catalogs()
    state = State("en", "menu", {})
    Turn(state, content, catalogs, parse("legal_work_abroad", "GB")).run(
        Incoming(channel="test", user_key="k", address="a", text="x"))
    replies = Turn(state, content, catalogs, parse("hotline_contacts", None)).run(
        Incoming(channel="test", user_key="k", address="a", text="y"))
    assert "08000 121 700" in replies[-1].text
