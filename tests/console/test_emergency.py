"""Emergencies, understood by the real NLU: the numbers at once and the front of the queue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.service import Service
from bot.settings import REPO_ROOT, Settings
from tests.conftest import Chat, RecordingSender, texts
from tests.console.conftest import delivered, handoff_of, queue_users, queued

EMERGENCY = "they took my passport and wont let me leave the house"
URGENT_FIRST = "Your conversation is first in the queue, marked urgent."


@pytest.fixture(scope="session")
def nlu_model(nlu_cache: Any) -> Any:
    """The embedded model, trained once per session into the shared cache."""
    from nlu import build_nlu

    return build_nlu("embedded", data_dir=REPO_ROOT / "nlu" / "data", cache_dir=nlu_cache)


@pytest.fixture
async def service(settings: Settings, nlu_model: Any) -> AsyncIterator[Service]:
    """The console's service, this time with the NLU: free text is understood."""
    svc = Service.build(settings, {"test": RecordingSender()}, nlu=nlu_model)
    yield svc
    await svc.db.dispose()


async def test_an_emergency_jumps_the_queue_and_is_urgent(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    first, second = await queue_users(service, sender, 2)
    caller = Chat(service, sender, "in-danger")
    await caller.press("lang:en")
    answer = texts(await caller.say(EMERGENCY))
    assert "112" in answer and "0 800 77777" in answer, "the numbers come at once"
    assert URGENT_FIRST in answer
    assert answer.index("112") < answer.index(URGENT_FIRST), "numbers before the queue"
    handoff = await handoff_of(service, caller)
    assert (handoff.reason, handoff.urgent, handoff.status) == ("emergency", True, "waiting")

    ana = await operator_factory("ana")
    listed = (await ana.get("/api/handoffs")).json()
    assert [h["id"] for h in listed] == [handoff.id, (await handoff_of(service, first)).id,
                                         (await handoff_of(service, second)).id]
    assert [(h["urgent"], h["position"]) for h in listed] == [(True, 1), (False, 2), (False, 3)]
    assert "Your place in the queue: 2." in texts(await first.say("/human"))


async def test_an_emergency_while_waiting_raises_the_urgency(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    first, second = await queue_users(service, sender, 2)
    answer = texts(await second.say(EMERGENCY))
    assert "112" in answer and URGENT_FIRST in answer
    raised = await handoff_of(service, second)
    assert (raised.reason, raised.urgent) == ("emergency", True)
    ana = await operator_factory("ana")
    assert (await ana.get("/api/handoffs")).json()[0]["id"] == raised.id
    # Two urgent chats: the older one goes first, and the other is not told it is first.
    await first.say(EMERGENCY)
    listed = (await ana.get("/api/handoffs")).json()
    assert [h["id"] for h in listed] == [(await handoff_of(service, first)).id, raised.id]
    again = texts(await second.say("/human"))
    assert "Your place in the queue: 2." in again and URGENT_FIRST not in again


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_an_emergency_with_an_operator_keeps_the_chat_and_marks_it(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    [user] = await queue_users(service, sender, 1)
    hid = (await handoff_of(service, user)).id
    ana = await operator_factory("ana")
    await ana.post(f"/api/handoffs/{hid}/claim")
    await delivered(service, sender)
    answer = texts(await user.say(EMERGENCY))
    assert "112" in answer and "queue" not in answer
    handoff = await handoff_of(service, user)
    assert (handoff.id, handoff.status, handoff.urgent) == (hid, "active", True)
    assert (await ana.get("/api/handoffs?status=mine")).json()[0]["urgent"] is True


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_an_emergency_button_is_urgent_too(service: Service, user: Chat) -> None:
    await user.press("lang:en")
    await user.press("human:emergency")
    handoff = await handoff_of(service, user)
    assert (handoff.reason, handoff.urgent) == ("emergency", True)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_asking_for_a_person_in_words_opens_a_handoff(service: Service, user: Chat
                                                            ) -> None:
    await user.press("lang:en")
    await queued(user, "I want to talk to a real person")
    assert (await handoff_of(service, user)).reason == "asked"
