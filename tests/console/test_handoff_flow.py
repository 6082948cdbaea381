"""From "talk to a person" to an operator's reply and back to the bot, through the API."""

from __future__ import annotations

from typing import Any

import pytest

from bot.service import Service
from tests.conftest import Chat, texts
from tests.console.conftest import queued


async def test_a_person_asks_an_operator_claims_replies_and_closes(
        user: Chat, service: Service, operator_factory: Any) -> None:
    replies = await queued(user)
    assert "Your place in the queue: 1" in texts(replies)
    ana = await operator_factory("ana")
    [waiting] = (await ana.get("/api/handoffs?status=waiting")).json()
    assert waiting["reason"] == "asked" and waiting["pseudonym"].startswith("#")
    assert (await ana.post(f"/api/handoffs/{waiting['id']}/claim")).status_code == 200
    await service.outbox.drain()
    assert "has joined" in texts(user.sender.pop())
    # While the operator holds the chat the bot keeps quiet.
    assert await user.say("they want 500 euro for the visa, is it ok?") == []
    sent = await ana.post(f"/api/handoffs/{waiting['id']}/messages", {"text": "No, do not pay."})
    assert sent.status_code == 200
    await service.outbox.drain()
    assert "No, do not pay." in texts(user.sender.pop())
    closed = await ana.post(f"/api/handoffs/{waiting['id']}/close",
                            {"outcome": "information_given"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    await service.outbox.drain()
    back = user.sender.pop()
    assert "bot again" in texts(back) and "human" in back[-1].button_ids()
    detail = (await ana.get(f"/api/handoffs/{waiting['id']}")).json()
    assert [m["sender"] for m in detail["messages"]].count("operator") == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_state_changes_need_the_csrf_token(user: Chat, operator_factory: Any) -> None:
    await queued(user)
    ana = await operator_factory("ana")
    [waiting] = (await ana.get("/api/handoffs")).json()
    bare = await ana.client.post(f"/api/handoffs/{waiting['id']}/claim")
    assert bare.status_code == 403
    assert (await ana.get("/api/handoffs")).json()[0]["status"] == "waiting"
