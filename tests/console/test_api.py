"""The handoff verbs of the operator API (docs/operator-api.md): answers and refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.handoff import OUTCOMES, Escalation
from bot.service import Service
from bot.storage import Conversation, OutboxItem
from bot.storage import Operator as OperatorRow
from bot.storage.models import utcnow
from tests.conftest import Chat, RecordingSender, texts
from tests.console.conftest import (
    PASSWORD,
    delivered,
    handoff_of,
    load_handoff,
    queue_users,
    set_handoff,
    snapshot,
)

LIST_FIELDS = {"id", "pseudonym", "language", "channel", "reason", "urgent", "risk", "status",
               "opened_at", "claimed_at", "closed_at", "waiting_seconds", "last_activity_at",
               "assignee", "outcome", "after_hours", "position"}


async def make_urgent(service: Service, chat: Chat) -> None:
    """Raise the urgency of a user's open handoff the way the dialogue does on an emergency."""
    async with service.db.transaction() as session:
        conv = await session.scalar(select(Conversation).where(
            Conversation.user_key == chat.user_key))
        assert conv is not None
        await service.handoffs.open(session, conv, Escalation("emergency", urgent=True))


async def test_lists_follow_queue_order_and_closed_lists_newest_first(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    a, b, c, d = await queue_users(service, sender, 4)
    ids = {u: (await handoff_of(service, u)).id for u in (a, b, c, d)}
    now = utcnow()
    # Opening times out of id order, so that "oldest first" cannot pass by accident.
    for user, minutes in ((a, 2), (b, 9), (c, 5), (d, 1)):
        await set_handoff(service, ids[user], opened_at=now - timedelta(minutes=minutes))
    await make_urgent(service, d)  # the newest, but urgent: it goes first
    ana = await operator_factory("ana")
    bob = await operator_factory("bob")

    default = (await ana.get("/api/handoffs")).json()
    waiting = (await ana.get("/api/handoffs?status=waiting")).json()
    assert default == waiting
    assert [h["id"] for h in waiting] == [ids[d], ids[b], ids[c], ids[a]]
    assert [h["position"] for h in waiting] == [1, 2, 3, 4]
    assert [h["urgent"] for h in waiting] == [True, False, False, False]
    assert waiting[0]["reason"] == "emergency" and waiting[1]["reason"] == "asked"
    assert all(set(h) == LIST_FIELDS for h in waiting)
    assert 9 * 60 - 5 <= waiting[1]["waiting_seconds"] <= 9 * 60 + 60
    assert all(h["status"] == "waiting" and h["assignee"] is None for h in waiting)
    # The detail tells the same place in the queue as the list.
    for entry in waiting:
        detail = (await ana.get(f"/api/handoffs/{entry['id']}")).json()
        assert detail["position"] == entry["position"]

    for who, user in ((ana, a), (bob, b), (ana, d)):
        assert (await who.post(f"/api/handoffs/{ids[user]}/claim")).status_code == 200
    active = (await ana.get("/api/handoffs?status=active")).json()
    assert [h["id"] for h in active] == [ids[d], ids[b], ids[a]]
    assert all(h["position"] is None and h["status"] == "active" for h in active)
    assert [h["assignee"] for h in active] == ["ana", "bob", "ana"]
    mine = (await ana.get("/api/handoffs?status=mine")).json()
    assert [h["id"] for h in mine] == [ids[d], ids[a]]
    assert [h["id"] for h in (await bob.get("/api/handoffs?status=mine")).json()] == [ids[b]]
    assert [h["id"] for h in (await ana.get("/api/handoffs")).json()] == [ids[c]]

    for who, user in ((ana, a), (bob, b), (ana, d)):
        closed = await who.post(f"/api/handoffs/{ids[user]}/close", {"outcome": "no_answer"})
        assert closed.status_code == 200
    # Closing times out of id order too: the most recently closed comes first.
    for user, minutes in ((a, 1), (b, 30), (d, 10)):
        await set_handoff(service, ids[user], closed_at=now - timedelta(minutes=minutes))
    closed_list = (await ana.get("/api/handoffs?status=closed")).json()
    assert [h["id"] for h in closed_list] == [ids[a], ids[d], ids[b]]
    assert all(h["outcome"] == "no_answer" and h["position"] is None for h in closed_list)
    assert (await ana.get("/api/handoffs?status=mine")).json() == []
    assert (await ana.get("/api/handoffs?status=everything")).status_code == 422


async def test_the_detail_has_transcript_notes_and_offer_checks(
        service: Service, user: Chat, operator_factory: Any) -> None:
    await user.press("lang:en")
    await user.press("offer")
    await user.say("Work in Germany at a meat factory, 3000 euro per month, no experience, no "
                   "contract needed. Pay 500 euro for the visa and transport in advance. We keep "
                   "your passport for safety. Write on WhatsApp only.")
    await user.press("human:high_risk_offer")
    await user.say("they also want my passport copy")
    ana = await operator_factory("ana")
    [entry] = (await ana.get("/api/handoffs")).json()
    assert entry["reason"] == "high_risk_offer" and entry["risk"] == "high"
    hid = entry["id"]
    assert (await ana.post(f"/api/handoffs/{hid}/claim")).status_code == 200
    assert (await ana.post(f"/api/handoffs/{hid}/messages", {"text": "Do not pay."})).is_success
    assert (await ana.post(f"/api/handoffs/{hid}/notes", {"text": "call back"})).is_success

    detail = (await ana.get(f"/api/handoffs/{hid}")).json()
    assert set(detail) == LIST_FIELDS | {"messages", "notes", "offer_checks"}
    messages = detail["messages"]
    assert [m["id"] for m in messages] == sorted(m["id"] for m in messages)  # oldest first
    assert {m["sender"] for m in messages} == {"user", "bot", "operator"}
    assert all(set(m) == {"id", "sender", "kind", "text", "at", "operator"} for m in messages)
    last_user = [m for m in messages if m["sender"] == "user"][-1]
    assert last_user["text"] == "they also want my passport copy" and last_user["kind"] == "text"
    [reply] = [m for m in messages if m["sender"] == "operator"]
    assert reply["text"] == "Do not pay." and reply["operator"] == "ana"
    assert all(m["operator"] is None for m in messages if m["sender"] != "operator")
    assert detail["notes"] == [{"id": detail["notes"][0]["id"], "author": "ana",
                                "text": "call back", "at": detail["notes"][0]["at"]}]
    [check] = detail["offer_checks"]
    assert check["source"] == "text" and check["risk"] == "high" and check["score"] > 0
    flags = {f["id"]: f for f in check["flags"]}
    assert "upfront_fee" in flags and flags["upfront_fee"]["title"] == "Upfront fee"
    assert any(flags[f]["evidence"] for f in flags)
    assert (await ana.get("/api/handoffs/999999")).status_code == 404
    assert (await ana.get("/api/handoffs/999999")).json() == {"detail": "no such handoff"}


async def test_claim_goes_to_one_operator_and_the_user_hears_it_once(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    first, second = await queue_users(service, sender, 2)
    hid = (await handoff_of(service, first)).id
    other = (await handoff_of(service, second)).id
    ana = await operator_factory("ana")
    bob = await operator_factory("bob")
    sup = await operator_factory("sue", "supervisor")

    won = await ana.post(f"/api/handoffs/{hid}/claim")
    assert won.status_code == 200
    body = won.json()
    assert body["status"] == "active" and body["assignee"] == "ana"
    assert body["claimed_at"] is not None and body["position"] is None
    assert "messages" in body  # the winner gets the whole handoff to work with
    assert "has joined" in texts(await delivered(service, sender))

    for label, who, target, status, detail in [
        ("Someone else claims a claimed chat", bob, hid, 409, "already claimed"),
        ("The holder claims again", ana, hid, 409, "already claimed"),
        ("A supervisor claims a claimed chat", sup, hid, 409, "already claimed"),
        ("Nobody has this chat", bob, 999999, 404, "no such handoff"),
    ]:
        answer = await who.post(f"/api/handoffs/{target}/claim")
        assert (answer.status_code, answer.json()) == (status, {"detail": detail}), label
    assert (await load_handoff(service, hid)).assignee_id is not None
    assert await delivered(service, sender) == [], "a refused claim must not tell the user"

    await sup.post(f"/api/handoffs/{other}/close", {"outcome": "no_answer"})
    await delivered(service, sender)
    refused = await bob.post(f"/api/handoffs/{other}/claim")
    assert (refused.status_code, refused.json()) == (409, {"detail": "closed"})
    assert await delivered(service, sender) == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_replies_need_the_chat_and_a_sensible_length(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    held, waiting, done = await queue_users(service, sender, 3)
    hid = (await handoff_of(service, held)).id
    wid = (await handoff_of(service, waiting)).id
    cid = (await handoff_of(service, done)).id
    ana = await operator_factory("ana")
    bob = await operator_factory("bob")
    sup = await operator_factory("sue", "supervisor")
    await ana.post(f"/api/handoffs/{hid}/claim")
    await ana.post(f"/api/handoffs/{cid}/claim")
    await ana.post(f"/api/handoffs/{cid}/close", {"outcome": "information_given"})
    await delivered(service, sender)
    longest = "x" * 4000

    for label, who, target, text, status in [
        ("The holder replies", ana, hid, "Hello, how can I help?", 200),
        ("A reply of exactly 4,000 characters", ana, hid, longest, 200),
        ("An empty reply", ana, hid, "", 422),
        ("A reply of only spaces", ana, hid, "   \n ", 422),
        ("A reply over 4,000 characters", ana, hid, longest + "y", 422),
        ("Another operator replies", bob, hid, "I am here too", 409),
        ("A supervisor who does not hold the chat replies", sup, hid, "Supervisor here", 409),
        ("A reply to a chat still waiting", ana, wid, "Anyone?", 409),
        ("A reply to a closed chat", ana, cid, "Still there?", 409),
        ("A reply to no chat", ana, 999999, "Hello", 404),
    ]:
        answer = await who.post(f"/api/handoffs/{target}/messages", {"text": text})
        assert answer.status_code == status, (label, answer.text)
        if status != 200:
            assert "detail" in answer.json(), label
        else:
            body = answer.json()
            assert body["sender"] == "operator" and body["operator"] == who.name, label
            assert body["text"] == text and body["at"] and body["id"] > 0, label

    got = await delivered(service, sender)
    assert [m.text for m in got] == ["Operator:\nHello, how can I help?", "Operator:\n" + longest]
    detail = (await ana.get(f"/api/handoffs/{hid}")).json()
    operator_texts = [m["text"] for m in detail["messages"] if m["sender"] == "operator"]
    assert operator_texts == ["Hello, how can I help?", longest]
    assert (await load_handoff(service, hid)).first_reply_at is not None
    assert (await load_handoff(service, wid)).status == "waiting"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_notes_stay_with_the_operators(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    held, waiting = await queue_users(service, sender, 2)
    hid = (await handoff_of(service, held)).id
    wid = (await handoff_of(service, waiting)).id
    ana = await operator_factory("ana")
    bob = await operator_factory("bob")
    await ana.post(f"/api/handoffs/{hid}/claim")
    await delivered(service, sender)

    first = await ana.post(f"/api/handoffs/{hid}/notes", {"text": "NOTE-ALPHA caller in DE"})
    assert first.status_code == 200
    assert set(first.json()) == {"id", "author", "text", "at"}
    assert first.json()["author"] == "ana" and first.json()["text"] == "NOTE-ALPHA caller in DE"
    # Any operator may note, also on a chat they do not hold or one still waiting.
    assert (await bob.post(f"/api/handoffs/{hid}/notes", {"text": "NOTE-BETA"})).is_success
    assert (await bob.post(f"/api/handoffs/{wid}/notes", {"text": "NOTE-GAMMA"})).is_success
    assert (await ana.post(f"/api/handoffs/{hid}/notes", {"text": " "})).status_code == 422
    assert (await ana.post(f"/api/handoffs/{hid}/notes", {"text": ""})).status_code == 422
    assert (await ana.post("/api/handoffs/999999/notes", {"text": "x"})).status_code == 404

    assert await delivered(service, sender) == [], "a note must never reach the user"
    async with service.db.sessions() as session:
        payloads = [str(p) for p in await session.scalars(select(OutboxItem.payload))]
    assert not any("NOTE-" in p for p in payloads)
    detail = (await ana.get(f"/api/handoffs/{hid}")).json()
    assert [(n["author"], n["text"]) for n in detail["notes"]] == [
        ("ana", "NOTE-ALPHA caller in DE"), ("bob", "NOTE-BETA")]
    assert not any("NOTE-" in m["text"] for m in detail["messages"])
    assert [n["text"] for n in (await ana.get(f"/api/handoffs/{wid}")).json()["notes"]] == [
        "NOTE-GAMMA"]
    assert (await load_handoff(service, wid)).status == "waiting"  # a note claims nothing


async def test_transfer_moves_the_chat_to_the_one_who_then_answers(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    held, waiting = await queue_users(service, sender, 2)
    hid = (await handoff_of(service, held)).id
    wid = (await handoff_of(service, waiting)).id
    ana = await operator_factory("ana")
    bob = await operator_factory("bob")
    cid = await operator_factory("cid")
    sup = await operator_factory("sue", "supervisor")
    await operator_factory("gone")
    async with service.db.transaction() as session:
        await session.execute(update(OperatorRow).where(OperatorRow.username == "gone")
                              .values(active=False))
    bob_id = await _operator_id(service, "bob")
    await ana.post(f"/api/handoffs/{hid}/claim")
    await delivered(service, sender)

    for label, who, target, to, status in [
        ("Someone who does not hold the chat", cid, hid, "cid", 409),
        ("To an unknown operator", ana, hid, "nobody", 404),
        ("To a deactivated operator", ana, hid, "gone", 404),
        ("An operator hands on a chat still waiting", ana, wid, "bob", 409),
        ("No such chat", ana, 999999, "bob", 404),
    ]:
        before = await snapshot(service)
        answer = await who.post(f"/api/handoffs/{target}/transfer", {"operator": to})
        assert answer.status_code == status, (label, answer.text)
        assert await snapshot(service) == before, label
    assert (await ana.post(f"/api/handoffs/{hid}/transfer", {})).status_code == 422

    moved = await ana.post(f"/api/handoffs/{hid}/transfer", {"operator": "bob"})
    assert moved.status_code == 200
    assert moved.json()["assignee"] == "bob" and moved.json()["status"] == "active"
    assert (await bob.post(f"/api/handoffs/{hid}/messages", {"text": "Bob here"})).is_success
    assert (await ana.post(f"/api/handoffs/{hid}/messages", {"text": "Ana"})).status_code == 409
    assert (await ana.post(f"/api/handoffs/{hid}/transfer",
                           {"operator": "ana"})).status_code == 409
    assert [h["id"] for h in (await bob.get("/api/handoffs?status=mine")).json()] == [hid]
    assert (await ana.get("/api/handoffs?status=mine")).json() == []

    # A supervisor may move a chat someone else holds, and may hand on one still waiting.
    back = await sup.post(f"/api/handoffs/{hid}/transfer", {"operator": "ana"})
    assert back.status_code == 200 and back.json()["assignee"] == "ana"
    assert (await bob.post(f"/api/handoffs/{hid}/messages", {"text": "Bob"})).status_code == 409
    given = await sup.post(f"/api/handoffs/{wid}/transfer", {"operator": "bob"})
    assert given.status_code == 200
    assert given.json()["status"] == "active" and given.json()["assignee"] == "bob"
    assert given.json()["claimed_at"] is not None
    assert (await load_handoff(service, wid)).assignee_id == bob_id
    told = await delivered(service, sender)
    assert "Operator:\nBob here" in texts(told)
    assert texts(told).count("has joined") == 1, "the waiting user learns a person took the chat"

    await ana.post(f"/api/handoffs/{hid}/close", {"outcome": "information_given"})
    closed = await sup.post(f"/api/handoffs/{hid}/transfer", {"operator": "bob"})
    assert closed.status_code == 409
    audit = (await sup.get("/api/audit")).json()
    assert [a["detail"] for a in audit if a["action"] == "transfer"] == [
        {"to": "bob"}, {"to": "ana"}, {"to": "bob"}]


async def _operator_id(service: Service, name: str) -> int:
    async with service.db.sessions() as session:
        found = await session.scalar(select(OperatorRow.id).where(OperatorRow.username == name))
    assert found is not None
    return int(found)


async def test_close_gives_the_chat_back_to_the_bot(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    held, waiting, other = await queue_users(service, sender, 3)
    hid = (await handoff_of(service, held)).id
    wid = (await handoff_of(service, waiting)).id
    oid = (await handoff_of(service, other)).id
    ana = await operator_factory("ana")
    bob = await operator_factory("bob")
    sup = await operator_factory("sue", "supervisor")
    await ana.post(f"/api/handoffs/{hid}/claim")
    await bob.post(f"/api/handoffs/{oid}/claim")
    await delivered(service, sender)

    for label, who, target, body, status in [
        ("An unknown outcome", ana, hid, {"outcome": "solved"}, 422),
        ("The user's own way out is not an operator's outcome", ana, hid,
         {"outcome": "user_left"}, 422),
        ("No outcome", ana, hid, {}, 422),
        ("Another operator closes", bob, hid, {"outcome": "no_answer"}, 409),
        ("An operator closes a chat still waiting", ana, wid, {"outcome": "no_answer"}, 409),
        ("No such chat", ana, 999999, {"outcome": "no_answer"}, 404),
    ]:
        before = await snapshot(service)
        answer = await who.post(f"/api/handoffs/{target}/close", body)
        assert answer.status_code == status, (label, answer.text)
        assert await snapshot(service) == before, label
    assert await delivered(service, sender) == []

    closed = await ana.post(f"/api/handoffs/{hid}/close", {"outcome": "referred_assistance"})
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed" and closed.json()["outcome"] == "referred_assistance"
    assert closed.json()["closed_at"] is not None
    again = await ana.post(f"/api/handoffs/{hid}/close", {"outcome": "no_answer"})
    assert (again.status_code, again.json()) == (409, {"detail": "already closed"})
    # A supervisor may close a chat still waiting, and one someone else holds.
    assert (await sup.post(f"/api/handoffs/{wid}/close", {"outcome": "no_answer"})).is_success
    assert (await sup.post(f"/api/handoffs/{oid}/close",
                           {"outcome": "possible_victim"})).is_success
    assert [(await load_handoff(service, i)).outcome for i in (hid, wid, oid)] == [
        "referred_assistance", "no_answer", "possible_victim"]

    told = await delivered(service, sender)
    assert len(told) == 3
    for message in told:
        assert "talking to the bot again" in message.text
        assert message.button_ids() == ["topics", "offer", "human", "language", "about"]
    # The next text goes to the bot again, not to an operator.
    answer = await held.say("hello?")
    assert "cannot understand free text" in texts(answer)
    assert (await load_handoff(service, hid)).status == "closed"
    detail = (await ana.get(f"/api/handoffs/{hid}")).json()
    assert detail["messages"][-1]["sender"] == "bot"  # the bot answered "hello?"
    # Asking again opens a new handoff.
    assert "Your place in the queue: 1" in texts(await held.say("/human"))
    assert (await handoff_of(service, held)).id != hid


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_every_outcome_is_accepted(service: Service, sender: RecordingSender,
                                         operator_factory: Any) -> None:
    users = await queue_users(service, sender, len(OUTCOMES))
    ana = await operator_factory("ana")
    for one, outcome in zip(users, OUTCOMES, strict=True):
        hid = (await handoff_of(service, one)).id
        await ana.post(f"/api/handoffs/{hid}/claim")
        answer = await ana.post(f"/api/handoffs/{hid}/close", {"outcome": outcome})
        assert (answer.status_code, answer.json()["outcome"]) == (200, outcome)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_operators_lists_the_active_accounts_and_their_load(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    a, b, _ = await queue_users(service, sender, 3)
    ana = await operator_factory("ana")
    await operator_factory("bob")
    await operator_factory("sue", "supervisor")
    await operator_factory("gone")
    async with service.db.transaction() as session:
        await session.execute(update(OperatorRow).where(OperatorRow.username == "gone")
                              .values(active=False))
    for one in (a, b):
        await ana.post(f"/api/handoffs/{(await handoff_of(service, one)).id}/claim")
    await ana.post(f"/api/handoffs/{(await handoff_of(service, b)).id}/close",
                   {"outcome": "no_answer"})
    answer = await ana.get("/api/operators")
    assert answer.status_code == 200
    assert answer.json() == [
        {"username": "ana", "role": "operator", "active_handoffs": 1},
        {"username": "bob", "role": "operator", "active_handoffs": 0},
        {"username": "sue", "role": "supervisor", "active_handoffs": 0},
    ]
    assert PASSWORD not in answer.text and "argon2" not in answer.text
