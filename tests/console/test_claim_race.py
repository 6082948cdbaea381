"""Two operators claim the same chat at the same moment: exactly one wins, on both engines."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select, update

from bot.handoff import Conflict
from bot.service import Service
from bot.storage import AuditEntry, Conversation, Handoff
from bot.storage import Operator as OperatorRow
from bot.storage.models import utcnow
from tests.conftest import RecordingSender, texts
from tests.console.conftest import delivered, handoff_of, load_handoff, queue_users

ROUNDS = 5


async def test_two_claims_over_http_at_once_give_one_200_and_one_409(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    users = await queue_users(service, sender, ROUNDS)
    ana = await operator_factory("ana")
    bob = await operator_factory("bob")
    winners = []
    for n, one in enumerate(users):
        hid = (await handoff_of(service, one)).id
        # Alternate who sends first, so that neither wins by always going first.
        first, second = (ana, bob) if n % 2 else (bob, ana)
        answers = await asyncio.gather(first.post(f"/api/handoffs/{hid}/claim"),
                                       second.post(f"/api/handoffs/{hid}/claim"))
        assert sorted(a.status_code for a in answers) == [200, 409], f"round {n}"
        [won] = [a for a in answers if a.status_code == 200]
        [lost] = [a for a in answers if a.status_code == 409]
        assert lost.json() == {"detail": "already claimed"}
        winner = won.json()["assignee"]
        winners.append(winner)
        assert (await load_handoff(service, hid)).status == "active"
        assert (await ana.get(f"/api/handoffs/{hid}")).json()["assignee"] == winner
        told = await delivered(service, sender)
        assert texts(told).count("has joined") == 1, f"round {n}: the user hears it once"
    async with service.db.sessions() as session:
        claims = (await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "claim"))).all()
    assert len(claims) == ROUNDS, "only the winners' claims are in the audit"


async def test_two_claims_in_separate_transactions_at_once_give_one_winner(
        service: Service, sender: RecordingSender) -> None:
    users = await queue_users(service, sender, ROUNDS)
    async with service.db.transaction() as session:
        for name in ("ana", "bob"):
            session.add(OperatorRow(username=name, password_hash="-", role="operator"))
    async with service.db.sessions() as session:
        ops = {o.username: o for o in await session.scalars(select(OperatorRow))}

    async def claim(handoff_id: int, name: str) -> str:
        async with service.db.transaction() as session:
            try:
                handoff, _events = await service.handoffs.claim(session, handoff_id, ops[name])
            except Conflict as exc:
                return f"409 {exc.detail}"
            return f"200 {handoff.assignee_id}"

    for n, one in enumerate(users):
        hid = (await handoff_of(service, one)).id
        results = await asyncio.gather(claim(hid, "ana"), claim(hid, "bob"))
        assert sorted(r.split()[0] for r in results) == ["200", "409"], f"round {n}: {results}"
        assert "409 already claimed" in results
        [won] = [r for r in results if r.startswith("200")]
        assert (await load_handoff(service, hid)).assignee_id == int(won.split()[1])
        assert texts(await delivered(service, sender)).count("has joined") == 1, f"round {n}"


async def test_a_claim_waiting_for_an_open_transaction_loses_to_it(
        service: Service, sender: RecordingSender) -> None:
    [one] = await queue_users(service, sender, 1)
    hid = (await handoff_of(service, one)).id
    async with service.db.transaction() as session:
        for name in ("ana", "bob"):
            session.add(OperatorRow(username=name, password_hash="-", role="operator"))
    async with service.db.sessions() as session:
        ops = {o.username: o for o in await session.scalars(select(OperatorRow))}
    claimed = asyncio.Event()

    async def first() -> str:
        async with service.db.transaction() as session:
            await service.handoffs.claim(session, hid, ops["ana"])
            claimed.set()
            await asyncio.sleep(0.3)  # the other claim arrives while this one is not committed
        return "ana"

    async def second() -> str:
        await claimed.wait()
        async with service.db.transaction() as session:
            try:
                await service.handoffs.claim(session, hid, ops["bob"])
            except Conflict as exc:
                return exc.detail
        return "bob won too"

    assert list(await asyncio.gather(first(), second())) == ["ana", "already claimed"]
    assert (await load_handoff(service, hid)).assignee_id == ops["ana"].id
    assert texts(await delivered(service, sender)).count("has joined") == 1


async def test_the_operator_and_the_user_acting_at_once_both_go_through(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    # A user's message locks the conversation, then the handoff; a verb that took the
    # handoff first deadlocked on PostgreSQL and answered 500 (found by this test).
    users = await queue_users(service, sender, 3)
    ana = await operator_factory("ana")
    for n, one in enumerate(users):
        hid = (await handoff_of(service, one)).id
        for verb, body, user_text in [
            ("claim", None, f"hello {n}"),
            ("messages", {"text": f"reply {n}"}, f"more {n}"),
            ("notes", {"text": f"note {n}"}, f"still here {n}"),
            ("close", {"outcome": "no_answer"}, "/bot"),
        ]:
            answer, _ = await asyncio.gather(
                ana.post(f"/api/handoffs/{hid}/{verb}", body),
                one.service.dialogue.handle(one.incoming(text=user_text)))
            # The user's /bot may close the chat first; then the close is refused, not broken.
            expected = (200, 409) if user_text == "/bot" else (200,)
            assert answer.status_code in expected, (n, verb, answer.text)
        handoff = await load_handoff(service, hid)
        assert handoff.status == "closed" and handoff.outcome in ("no_answer", "user_left")
        transcript = (await ana.get(f"/api/handoffs/{hid}")).json()["messages"]
        said = [m["text"] for m in transcript if m["sender"] == "user"]
        assert {f"hello {n}", f"more {n}", f"still here {n}"} <= set(said), n
        assert f"reply {n}" in [m["text"] for m in transcript if m["sender"] == "operator"]


async def test_a_reply_waits_for_the_users_turn_instead_of_deadlocking(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    [one] = await queue_users(service, sender, 1)
    handoff = await handoff_of(service, one)
    ana = await operator_factory("ana")
    assert (await ana.post(f"/api/handoffs/{handoff.id}/claim")).status_code == 200
    locked = asyncio.Event()

    async def users_turn() -> None:
        # What Dialogue._turn does with a message during a handoff: the conversation's
        # lock first, then the handoff's row (Handoffs.relay).
        async with service.db.transaction() as session:
            await session.execute(select(Conversation).where(
                Conversation.id == handoff.conversation_id).with_for_update())
            locked.set()
            await asyncio.sleep(0.3)
            await session.execute(update(Handoff).where(Handoff.id == handoff.id)
                                  .values(last_activity_at=utcnow()))

    async def reply() -> int:
        await locked.wait()
        answer = await ana.post(f"/api/handoffs/{handoff.id}/messages", {"text": "Hello"})
        return int(answer.status_code)

    _, status = await asyncio.wait_for(asyncio.gather(users_turn(), reply()), timeout=20)
    assert status == 200
    assert "Operator:\nHello" in texts(await delivered(service, sender))
