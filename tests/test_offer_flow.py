"""The offer check inside the conversation: pasted, forwarded, or by questions."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from bot.service import Service
from bot.storage import Message, OfferCheck
from tests.conftest import Chat, texts

RISKY = ("Angajam urgent fete 18-25 ani pentru bar in Cipru, salariu 3000 euro pe luna, "
         "fara experienta. Plecarea saptamana viitoare, taxa de inregistrare 200 euro. "
         "Pasaportul il pastreaza angajatorul. Scrieti pe Telegram la +373 69 123 456.")


async def stored_checks(service: Service) -> list[OfferCheck]:
    async with service.db.sessions() as session:
        return list(await session.scalars(select(OfferCheck).order_by(OfferCheck.id)))


async def test_a_pasted_offer_gets_a_report_and_a_person_for_high_risk(chat: Chat,
                                                                      service: Service) -> None:
    await chat.say("/start")
    await chat.press("lang:ro")
    prompt = await chat.press("offer")
    assert prompt[0].button_ids() == ["offerq", "menu"]
    replies = await chat.say(RISKY)
    report = replies[-1]
    assert report.button_ids()[0] == "human:high_risk_offer"  # high risk: a person is offered
    assert "0 800 77777" in report.text  # next steps carry the hotline from the directory
    [check] = await stored_checks(service)
    assert check.risk == "high" and check.source == "text"
    stored = json.dumps(check.report) + json.dumps(check.fingerprint)
    assert "69 123 456" not in stored and "069123456" not in stored
    async with service.db.sessions() as session:
        said = await session.scalar(select(Message.text).where(Message.sender == "user")
                                    .order_by(Message.id.desc()))
    assert said is not None and "123 456" not in said  # the transcript keeps it masked


async def test_a_long_ad_is_recognised_without_pressing_the_button(chat: Chat,
                                                                   service: Service) -> None:
    await chat.say("/start")
    await chat.press("lang:ro")
    await chat.say(RISKY)
    assert len(await stored_checks(service)) == 1


async def test_the_questionnaire_leads_to_the_same_kind_of_report(chat: Chat,
                                                                  service: Service) -> None:
    await chat.say("/start")
    await chat.press("lang:en")
    await chat.press("offer")
    replies = await chat.press("offerq")
    asked = 0
    while replies and replies[-1].button_ids()[0].startswith("offerq:"):
        asked += 1
        assert replies[-1].text.startswith(f"Question {asked} of ")
        replies = await chat.press(replies[-1].button_ids()[0])  # always the first answer
    assert 8 <= asked <= 12
    [check] = await stored_checks(service)
    assert check.source == "questionnaire" and check.risk in ("medium", "high")


async def test_an_offer_reported_before_is_recognised(chat: Chat, service: Service) -> None:
    await chat.say("/start")
    await chat.press("lang:ro")
    await chat.press("offer")
    await chat.say(RISKY)
    async with service.db.transaction() as session:  # an operator confirms it as a scam
        await session.execute(update(OfferCheck).values(confirmed_scam=True))
    await chat.press("offer")
    replies = await chat.say(RISKY.replace("3000", "3200"))
    checks = await stored_checks(service)
    assert checks[-1].report["reported_before"] == [str(checks[0].id)]
    assert checks[-1].risk == "high"
    assert texts(replies)


async def test_forget_removes_checks_but_keeps_a_confirmed_scam_unlinked(
        chat: Chat, service: Service) -> None:
    await chat.say("/start")
    await chat.press("lang:ro")
    await chat.press("offer")
    await chat.say(RISKY)
    await chat.press("offer")
    await chat.say(RISKY + " Alt text.")
    checks = await stored_checks(service)
    async with service.db.transaction() as session:
        await session.execute(update(OfferCheck).where(OfferCheck.id == checks[0].id)
                              .values(confirmed_scam=True))
    await chat.say("/forget")
    await chat.press("forget:yes")
    [kept] = await stored_checks(service)
    assert kept.id == checks[0].id and kept.conversation_id is None


async def test_an_operator_confirms_a_scam_from_the_command_line(chat: Chat, service: Service,
                                                                 settings) -> None:
    import asyncio
    import os
    import subprocess
    import sys

    await chat.say("/start")
    await chat.press("lang:ro")
    await chat.press("offer")
    await chat.say(RISKY)
    [check] = await stored_checks(service)
    env = {**os.environ, "DATABASE_URL": settings.database_url, "VAR_DIR": str(settings.var_dir),
           "SECRET_KEY": "test-secret-key-not-for-production"}
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "offer", "confirm-scam", str(check.id)],
        env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    missing = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "offer", "confirm-scam", "999999"],
        env=env, capture_output=True, text=True, timeout=120, check=False)
    assert missing.returncode == 1
    [check] = await stored_checks(service)
    assert check.confirmed_scam and check.confirmed_at is not None
