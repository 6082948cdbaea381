"""Reference data and pages: canned replies, overview and audit, OpenAPI, security headers."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.console.pages import CSP
from bot.handoff import Escalation
from bot.service import Service
from bot.settings import Settings
from bot.storage import Conversation
from bot.storage.models import utcnow
from tests.conftest import FIXTURES, RecordingSender, make_settings
from tests.console.conftest import handoff_of, queue_users, set_handoff

CANNED = """\
replies:
  - id: greeting
    text:
      en: {title: Greeting, body: "Hello, I am an operator."}
      ro: {title: Salut, body: "Bună ziua, sunt operator."}
      ru: {title: Приветствие, body: "Здравствуйте, я оператор."}
  - id: call_us
    text:
      en: {title: Call us, body: "Call **{hotline}** or {hotline_abroad} from abroad."}
      ro: {title: Sunați-ne, body: "Sunați la **{hotline}**."}
"""


@pytest.fixture(scope="module")
def content_with_canned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture content plus canned replies in three languages (two of them complete)."""
    content = tmp_path_factory.mktemp("canned") / "content"
    shutil.copytree(FIXTURES / "content", content)
    (content / "canned.yml").write_text(CANNED, encoding="utf-8")
    return content


@pytest.fixture
def settings(tmp_path: Path, db_url: str, content_with_canned: Path) -> Settings:
    """Settings with the canned replies above."""
    return make_settings(tmp_path, db_url, CONTENT_DIR=content_with_canned)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("label", "query", "expected"),
    [
        ("Romanian, the default", "", [("greeting", "Salut"), ("call_us", "Sunați-ne")]),
        ("English", "?language=en", [("greeting", "Greeting"), ("call_us", "Call us")]),
        ("Russian has only some", "?language=ru", [("greeting", "Приветствие")]),
        ("Ukrainian has none: English", "?language=uk",
         [("greeting", "Greeting"), ("call_us", "Call us")]),
        ("An unknown language: English", "?language=xx",
         [("greeting", "Greeting"), ("call_us", "Call us")]),
    ],
)
async def test_canned_replies_come_in_the_users_language_or_english(
        operator_factory: Any, label: str, query: str, expected: list[tuple[str, str]]) -> None:
    ana = await operator_factory("ana")
    answer = await ana.get(f"/api/canned{query}")
    assert answer.status_code == 200, label
    assert [(c["id"], c["title"]) for c in answer.json()] == expected, label
    assert all(set(c) == {"id", "title", "text"} for c in answer.json())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_canned_replies_have_the_numbers_filled_in(operator_factory: Any) -> None:
    ana = await operator_factory("ana")
    [_, call_us] = (await ana.get("/api/canned?language=en")).json()
    assert call_us["text"] == "Call 0 800 77777 or +373 22 23 33 09 from abroad."
    assert (await ana.get("/api/canned?language=" + "x" * 9)).status_code == 422


async def test_the_overview_counts_the_queue_the_operators_and_the_month(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    users = await queue_users(service, sender, 8)
    c1, c2, c3, c4, a1, w1, w2, left = users
    ids = {u: (await handoff_of(service, u)).id for u in users}
    ana = await operator_factory("ana")
    bob = await operator_factory("bob")
    sue = await operator_factory("sue", "supervisor")
    for who, one, outcome in ((ana, c1, "information_given"), (bob, c2, "information_given"),
                              (ana, c3, "possible_victim"), (bob, c4, "referred_police")):
        await who.post(f"/api/handoffs/{ids[one]}/claim")
        await who.post(f"/api/handoffs/{ids[one]}/close", {"outcome": outcome})
    await ana.post(f"/api/handoffs/{ids[a1]}/claim")
    await left.say("/bot")
    async with service.db.transaction() as session:
        conv = await session.get(Conversation, (await handoff_of(service, w2)).conversation_id)
        assert conv is not None
        await service.handoffs.open(session, conv, Escalation("emergency", urgent=True))
    now = utcnow()
    # (opened, seconds to the claim, seconds from the claim to the first reply, closed)
    times = {c1: (now - timedelta(hours=1), 60, 30, now - timedelta(minutes=30)),
             c2: (now - timedelta(hours=2), 120, 90, now - timedelta(hours=1)),
             c3: (now - timedelta(hours=3), 300, 50, now - timedelta(hours=2)),
             c4: (now - timedelta(days=8), 600, 10, now - timedelta(days=8, hours=-1)),
             a1: (now - timedelta(minutes=20), 600, None, None)}
    for one, (opened, wait, reply, closed) in times.items():
        claimed = opened + timedelta(seconds=wait)
        await set_handoff(service, ids[one], opened_at=opened, claimed_at=claimed,
                          first_reply_at=claimed + timedelta(seconds=reply) if reply else None,
                          closed_at=closed)
    await set_handoff(service, ids[w1], opened_at=now - timedelta(minutes=10))
    await set_handoff(service, ids[w2], opened_at=now - timedelta(minutes=2))

    answer = await sue.get("/api/supervisor/overview")
    assert answer.status_code == 200
    overview = answer.json()
    waiting = overview["waiting"]
    assert (waiting["count"], waiting["urgent"]) == (2, 1)
    assert 600 <= waiting["oldest_seconds"] <= 660
    assert overview["operators"] == [
        {"username": "ana", "role": "operator", "active_handoffs": 1, "closed_7d": 2,
         "median_first_reply_seconds_7d": 40},
        {"username": "bob", "role": "operator", "active_handoffs": 0, "closed_7d": 1,
         "median_first_reply_seconds_7d": 90},
        {"username": "sue", "role": "supervisor", "active_handoffs": 0, "closed_7d": 0,
         "median_first_reply_seconds_7d": None},
    ]
    assert overview["median_wait_seconds_7d"] == 210  # 60, 120, 300 and 600; not the 8-day-old
    assert overview["outcomes_30d"] == {"information_given": 2, "possible_victim": 1,
                                        "referred_police": 1, "user_left": 1}
    assert overview["reasons_30d"] == {"asked": 7, "emergency": 1}

    refused = await ana.get("/api/supervisor/overview")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "only a supervisor may do this"}


async def test_the_audit_says_who_did_what_newest_first(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    [one] = await queue_users(service, sender, 1)
    hid = (await handoff_of(service, one)).id
    ana = await operator_factory("ana")
    await operator_factory("bob")
    sue = await operator_factory("sue", "supervisor")
    await ana.post(f"/api/handoffs/{hid}/claim")  # a claim answers the detail: also a read
    await ana.post(f"/api/handoffs/{hid}/messages", {"text": "Hello"})
    await ana.post(f"/api/handoffs/{hid}/notes", {"text": "calm"})
    await ana.post(f"/api/handoffs/{hid}/transfer", {"operator": "bob"})
    await sue.post(f"/api/handoffs/{hid}/close", {"outcome": "no_answer"})
    await ana.post("/api/auth/logout")

    answer = await sue.get("/api/audit")
    assert answer.status_code == 200
    entries = answer.json()
    assert all(set(e) == {"at", "operator", "action", "handoff_id", "detail"} for e in entries)
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    assert [(e["operator"], e["action"], e["handoff_id"], e["detail"]) for e in entries] == [
        ("ana", "logout", None, {}),
        ("sue", "read", hid, {}),
        ("sue", "close", hid, {"outcome": "no_answer"}),
        # the transfer's answer is a read too, within minutes of the first: not repeated
        ("ana", "transfer", hid, {"to": "bob"}),
        ("ana", "note", hid, {}),
        ("ana", "reply", hid, {}),
        ("ana", "read", hid, {}),
        ("ana", "claim", hid, {}),
        ("sue", "login", None, {}),
        ("bob", "login", None, {}),
        ("ana", "login", None, {}),
    ]
    assert len((await sue.get("/api/audit?limit=3")).json()) == 3
    for bad in ("0", "1001", "many"):
        assert (await sue.get(f"/api/audit?limit={bad}")).status_code == 422, bad
    refused = await (await operator_factory("cid")).get("/api/audit")
    assert refused.status_code == 403


async def test_a_live_refresh_of_an_open_chat_is_one_read_not_one_per_refresh(
        service: Service, sender: RecordingSender, operator_factory: Any) -> None:
    [one, two] = await queue_users(service, sender, 2)
    first, second = (await handoff_of(service, one)).id, (await handoff_of(service, two)).id
    ana = await operator_factory("ana")
    bob = await operator_factory("bob")
    sue = await operator_factory("sue", "supervisor")
    for _ in range(5):  # the console re-reads the open chat on every event
        assert (await ana.get(f"/api/handoffs/{first}")).status_code == 200
    await ana.get(f"/api/handoffs/{second}")
    await bob.get(f"/api/handoffs/{first}")

    reads = [(e["operator"], e["handoff_id"]) for e in (await sue.get("/api/audit")).json()
             if e["action"] == "read"]
    assert sorted(reads) == sorted([("ana", first), ("ana", second), ("bob", first)])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_openapi_document_lists_the_contract(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/openapi.json")
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    for path, method in [
        ("/api/auth/login", "post"), ("/api/auth/logout", "post"), ("/api/auth/me", "get"),
        ("/api/handoffs", "get"), ("/api/handoffs/{handoff_id}", "get"),
        ("/api/handoffs/{handoff_id}/claim", "post"),
        ("/api/handoffs/{handoff_id}/messages", "post"),
        ("/api/handoffs/{handoff_id}/notes", "post"),
        ("/api/handoffs/{handoff_id}/transfer", "post"),
        ("/api/handoffs/{handoff_id}/close", "post"), ("/api/events", "get"),
        ("/api/operators", "get"), ("/api/canned", "get"),
        ("/api/supervisor/overview", "get"), ("/api/audit", "get"),
    ]:
        assert method in paths.get(path, {}), path
    queue = paths["/api/handoffs"]["get"]["parameters"][0]
    assert queue["name"] == "status"
    outcome = answer.json()["components"]["schemas"]["Close"]["properties"]["outcome"]
    assert set(outcome["enum"]) == {"information_given", "offer_verified",
                                    "referred_assistance", "referred_police",
                                    "possible_victim", "no_answer"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_console_page_runs_only_its_own_code(client: httpx.AsyncClient) -> None:
    page = await client.get("/console")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert policy == CSP
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_api_answers_are_never_cached(client: httpx.AsyncClient,
                                            operator_factory: Any) -> None:
    ana = await operator_factory("ana")
    for label, answer in [
        ("A list", await ana.get("/api/handoffs")),
        ("Who am I", await ana.get("/api/auth/me")),
        ("Not found", await ana.get("/api/handoffs/424242")),
        ("Not logged in", await client.get("/api/handoffs")),
        ("A refused login", await client.post("/api/auth/login",
                                              json={"username": "ana", "password": "nope"})),
        ("A bad body", await ana.post("/api/handoffs/1/messages", {"text": ""})),
    ]:
        assert answer.headers.get("cache-control") == "no-store", label
        assert answer.headers["x-content-type-options"] == "nosniff", label
