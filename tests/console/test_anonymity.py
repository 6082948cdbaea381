"""What operators never see: the user's messenger address, key and id; numbers after a chat."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.crypto import display_pseudonym
from bot.handoff import Event
from bot.service import Service
from bot.storage import Handoff, HandoffNote, Message
from tests.conftest import Chat, RecordingSender, texts
from tests.console.conftest import delivered, handoff_of, heard, hearing, load_handoff, queued

RAW_ID = "48151623"  # the messenger's own id of the user, as a channel would hand it over
PSEUDONYM = re.compile(r"^#[A-HJ-NP-Z2-9]{4}$")  # no 0/O or 1/I: operators read it aloud
PHONE = "+373 69 123 456"
LOCAL_PHONE = "069123456"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_no_answer_of_the_api_reveals_who_the_user_is(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    user = Chat(service, sender, f"tg-{RAW_ID}")
    other = Chat(service, sender, "another")
    secrets = [RAW_ID, user.address, user.user_key, user.user_key[:16]]
    async with hearing(service) as queue:
        await queued(user)
        await queued(other)
        await user.say("they took my passport")
        ana = await operator_factory("ana")
        await operator_factory("bob")
        sue = await operator_factory("sue", "supervisor")
        hid = (await handoff_of(service, user)).id
        answers = [
            await ana.get("/api/handoffs"),
            await ana.post(f"/api/handoffs/{hid}/claim"),
            await ana.post(f"/api/handoffs/{hid}/messages", {"text": "Where are you?"}),
            await ana.post(f"/api/handoffs/{hid}/notes", {"text": "passport taken"}),
            await ana.get("/api/handoffs?status=active"),
            await ana.get("/api/handoffs?status=mine"),
            await ana.get(f"/api/handoffs/{hid}"),
            await ana.post(f"/api/handoffs/{hid}/transfer", {"operator": "bob"}),
            await ana.get("/api/operators"),
            await sue.get("/api/supervisor/overview"),
            await sue.post(f"/api/handoffs/{hid}/close", {"outcome": "possible_victim"}),
            await sue.get("/api/handoffs?status=closed"),
            await sue.get(f"/api/handoffs/{hid}"),
            await sue.get("/api/audit?limit=1000"),
            await sue.get("/api/auth/me"),
        ]
        await service.outbox.drain()
        await asyncio.sleep(0.2)  # PostgreSQL delivers notifications a moment later
        events = heard(queue)
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    for answer in answers:
        for secret in secrets:
            assert secret not in answer.text, (answer.request.url.path, secret)
        assert "addr-" not in answer.text and "address" not in answer.text
    assert {e.type for e in events} == {"handoff_opened", "handoff_changed", "message", "note"}
    for event in events:
        for secret in secrets:
            assert secret not in event.to_json()

    listed = answers[0].json()
    assert len(listed) == 2
    assert all(PSEUDONYM.match(h["pseudonym"]) for h in listed)
    mine = next(h for h in listed if h["id"] == hid)
    assert mine["pseudonym"] == display_pseudonym(user.user_key)
    assert mine["pseudonym"] != display_pseudonym(other.user_key)
    assert answers[6].json()["pseudonym"] == mine["pseudonym"]  # the same in list and detail
    assert mine["channel"] == "test"


async def test_a_number_written_to_the_operator_is_masked_once_the_chat_closes(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    ana = await operator_factory("ana")
    for ending in ("the operator closes", "the user leaves"):
        user = Chat(service, sender, f"caller-{ending}")
        await queued(user)
        hid = (await handoff_of(service, user)).id
        await ana.post(f"/api/handoffs/{hid}/claim")
        await user.say(f"call me at {PHONE} tomorrow")
        await user.say(f"or {LOCAL_PHONE}")
        await ana.post(f"/api/handoffs/{hid}/messages", {"text": "We call from 0 800 77777."})
        said = [m["text"] for m in (await ana.get(f"/api/handoffs/{hid}")).json()["messages"]
                if m["sender"] == "user"]
        assert f"call me at {PHONE} tomorrow" in said, "while open the operator can call back"
        assert f"or {LOCAL_PHONE}" in said

        if ending == "the operator closes":
            await ana.post(f"/api/handoffs/{hid}/close", {"outcome": "referred_assistance"})
        else:
            await user.say("/bot")
        assert (await load_handoff(service, hid)).status == "closed"
        detail = (await ana.get(f"/api/handoffs/{hid}")).json()
        said = [m["text"] for m in detail["messages"] if m["sender"] == "user"]
        assert "call me at [phone] tomorrow" in said, ending
        assert "or [phone]" in said, ending
        assert PHONE not in str(detail) and LOCAL_PHONE not in str(detail), ending
        operator_said = [m["text"] for m in detail["messages"] if m["sender"] == "operator"]
        assert operator_said == ["We call from 0 800 77777."], "the hotline's own number stays"
    await delivered(service, sender)


async def count(service: Service, model: Any, *where: Any) -> int:
    async with service.db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where))
                   or 0)


async def test_forget_during_a_handoff_erases_transcript_and_notes_but_keeps_the_count(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    ana = await operator_factory("ana")
    sue = await operator_factory("sue", "supervisor")
    for claimed in (False, True):
        await forget_during_a_handoff(service, sender, ana, sue, claimed)
    overview = (await sue.get("/api/supervisor/overview")).json()
    assert overview["outcomes_30d"] == {"user_erased": 2}
    async with service.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Handoff)) == 2, (
            "the rows stay, for the counts")


async def forget_during_a_handoff(service: Service, sender: RecordingSender, ana: Any,
                                  sue: Any, claimed: bool) -> None:
    label = "with an operator" if claimed else "waiting"
    user = Chat(service, sender, f"forgetful-{claimed}")
    await queued(user)
    await user.say(f"my number is {PHONE}")
    handoff = await handoff_of(service, user)
    hid, conversation = handoff.id, handoff.conversation_id
    if claimed:
        await ana.post(f"/api/handoffs/{hid}/claim")
        await ana.post(f"/api/handoffs/{hid}/messages", {"text": "I am here."})
    await ana.post(f"/api/handoffs/{hid}/notes", {"text": "number given"})
    await delivered(service, sender)

    async with hearing(service) as queue:
        confirm = await user.say("/forget")
        assert confirm[0].button_ids() == ["forget:yes", "forget:no"], label
        done = await user.press("forget:yes")
        event = await asyncio.wait_for(queue.get(), timeout=5)
    assert "our conversation is erased" in texts(done), label
    assert event == Event("handoff_changed", hid, False, "closed"), "the console hears of it"

    handoff = await load_handoff(service, hid)
    assert (handoff.status, handoff.outcome) == ("closed", "user_erased"), label
    assert handoff.conversation_id is None and handoff.closed_at is not None, label
    assert await count(service, Message, Message.conversation_id == conversation) == 0, label
    assert await count(service, HandoffNote, HandoffNote.handoff_id == hid) == 0, label
    detail = (await ana.get(f"/api/handoffs/{hid}")).json()
    assert (detail["messages"], detail["notes"], detail["offer_checks"]) == ([], [], []), label
    assert detail["status"] == "closed" and detail["outcome"] == "user_erased", label
    assert PHONE not in str(detail), label
    # Nothing can reach the user through the erased chat any more.
    assert (await ana.post(f"/api/handoffs/{hid}/messages", {"text": "hi"})).status_code == 409
    assert (await ana.post(f"/api/handoffs/{hid}/claim")).status_code == 409, label
    assert (await ana.post(f"/api/handoffs/{hid}/notes",
                           {"text": "more about her"})).status_code == 409, label
    assert (await sue.post(f"/api/handoffs/{hid}/close",
                           {"outcome": "no_answer"})).status_code == 409, label
    assert await delivered(service, sender) == [], label
    # The user can start again from nothing.
    assert (await user.say("/start"))[0].button_ids()[0] == "lang:ro", label
