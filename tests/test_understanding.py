"""Free text through the real embedded NLU: topics, emergencies, fallbacks, language offers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.service import Service
from bot.settings import REPO_ROOT, Settings
from tests.conftest import Chat, RecordingSender, make_settings, texts


@pytest.fixture
async def smart(tmp_path: Path, db_url: str, nlu_model) -> AsyncIterator[Chat]:  # type: ignore[no-untyped-def]
    """A user talking to the service with the real content and the real NLU."""
    settings: Settings = make_settings(tmp_path, db_url, CONTENT_DIR=REPO_ROOT / "content")
    service = Service.build(settings, {"test": RecordingSender()}, nlu=nlu_model)
    chat = Chat(service, service.senders["test"])  # type: ignore[arg-type]
    await chat.say("/start")
    yield chat
    await service.db.dispose()


EMERGENCIES = [
    ("ro", "ma tin inchisa intr-o casa si mi-au luat pasaportul"),
    ("ru", "нас заперли на складе и забрали паспорта, не выпускают"),
    ("ru", "pomogite, menya ne otpuskayut s fermy i b'yut"),
    ("uk", "нас тримають у квартирі і не випускають"),
    ("en", "they took my passport and wont let me leave the house"),
    ("rom", "line mandar o pasporto thaj chi mukhen man te jav"),
]


@pytest.mark.parametrize(("lang", "text"), EMERGENCIES)
async def test_an_emergency_gets_112_and_the_hotline_at_once(smart: Chat, lang: str,
                                                             text: str) -> None:
    await smart.press(f"lang:{lang}")
    replies = await smart.say(text)
    answer = texts(replies)
    assert "112" in answer and "0 800 77777" in answer and "+373 22 23 33 09" in answer


async def test_an_emergency_abroad_adds_the_country_line(smart: Chat) -> None:
    await smart.press("lang:ro")
    said = "ajutor, suntem inchisi la ferma in Italia, nu ne lasa sa plecam"
    answer = texts(await smart.say(said))
    assert "112" in answer and "800 290 290" in answer


async def test_an_emergency_before_choosing_a_language_is_still_answered(smart: Chat) -> None:
    answer = texts(await smart.say("нас заперли и забрали паспорта, помогите"))
    assert "112" in answer and "0 800 77777" in answer


@pytest.mark.parametrize(
    ("lang", "text", "topic_words"),
    [
        ("ro", "cum verific daca agentia de angajare are licenta?", ["licen"]),
        ("ru", "как проверить лицензию агентства по трудоустройству?", ["лиценз"]),
        ("en", "how can i check if recruitment agency is licensed", ["licen"]),
    ],
)
async def test_a_question_in_words_gets_its_topic(smart: Chat, lang: str, text: str,
                                                  topic_words: list[str]) -> None:
    await smart.press(f"lang:{lang}")
    answer = texts(await smart.say(text)).lower()
    assert any(word in answer for word in topic_words)


async def test_nonsense_asks_did_you_mean_and_then_offers_a_person(smart: Chat) -> None:
    await smart.press("lang:en")
    first = await smart.say("qwxz plorp zzzt")
    assert "not sure I understood" in texts(first)
    second = await smart.say("zzkq wpxv qqrt")
    assert "talk to a person" in texts(second)
    assert "human:misunderstanding" in second[-1].button_ids()


async def test_another_language_is_offered_not_forced(smart: Chat) -> None:
    await smart.press("lang:en")
    replies = await smart.say("здравствуйте, как проверить лицензию агентства по трудоустройству?")
    offers = [r for r in replies if "switch:ru" in r.button_ids()]
    assert offers, texts(replies)
    assert all(r.language == "en" for r in replies if r not in offers)
