"""Sessions: login, logout, /auth/me, the CSRF token, and login throttling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from bot.console.accounts import add_operator
from bot.console.auth import COOKIE
from bot.service import Service
from bot.storage import LoginFailure, OperatorSession
from bot.storage import Operator as OperatorRow
from bot.storage.models import utcnow
from tests.conftest import RecordingSender
from tests.console.conftest import (
    PASSWORD,
    delivered,
    handoff_of,
    load_handoff,
    queue_users,
    snapshot,
)

# Sessions and throttling are the same SQL on both engines; the verbs run on both elsewhere.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
async def anonymous(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client with no cookies at all."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as c:
        yield c


async def login(client: httpx.AsyncClient, name: str, password: str = PASSWORD
                ) -> httpx.Response:
    return await client.post("/api/auth/login", json={"username": name, "password": password})


async def test_login_answers_the_csrf_token_and_sets_a_strict_cookie(
        service: Service, anonymous: httpx.AsyncClient) -> None:
    await add_operator(service.db, "ana", PASSWORD, "supervisor")
    answer = await login(anonymous, "ana")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"username", "role", "csrf_token"}
    assert body["username"] == "ana" and body["role"] == "supervisor"
    assert len(body["csrf_token"]) >= 32
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith(f"{COOKIE}=")
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # plain http in the test: a Secure cookie would never return
    assert body["csrf_token"] not in answer.headers["set-cookie"]
    me = await anonymous.get("/api/auth/me")
    assert me.status_code == 200 and me.json() == body


async def test_the_cookie_is_secure_behind_https(service: Service, app: Any) -> None:
    await add_operator(service.db, "ana", PASSWORD)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="https://testserver") as client:
        answer = await login(client, "ana")
    assert answer.status_code == 200
    assert "secure" in answer.headers["set-cookie"].lower()


@pytest.mark.parametrize(
    ("label", "body", "status"),
    [
        ("Wrong password", {"username": "ana", "password": "wrong password!"}, 401),
        ("Unknown name", {"username": "nobody", "password": PASSWORD}, 401),
        ("Name in another case", {"username": "ANA", "password": PASSWORD}, 401),
        ("Empty password", {"username": "ana", "password": ""}, 401),
        ("No password", {"username": "ana"}, 422),
        ("Name too long", {"username": "a" * 65, "password": PASSWORD}, 422),
    ],
)
async def test_a_bad_login_is_refused_without_saying_which_part_was_wrong(
        service: Service, anonymous: httpx.AsyncClient, label: str, body: dict[str, str],
        status: int) -> None:
    await add_operator(service.db, "ana", PASSWORD)
    answer = await anonymous.post("/api/auth/login", json=body)
    assert answer.status_code == status, label
    if status == 401:
        assert answer.json() == {"detail": "wrong name or password"}, label
    assert "set-cookie" not in answer.headers, label
    assert (await anonymous.get("/api/auth/me")).status_code == 401, label


async def test_me_needs_a_live_session(service: Service, anonymous: httpx.AsyncClient,
                                       operator_factory: Any) -> None:
    no_cookie = await anonymous.get("/api/auth/me")
    assert (no_cookie.status_code, no_cookie.json()) == (401, {"detail": "log in first"})
    anonymous.cookies.set(COOKIE, "forged-token")
    assert (await anonymous.get("/api/auth/me")).status_code == 401
    ana = await operator_factory("ana")
    me = await ana.get("/api/auth/me")
    assert me.json() == {"username": "ana", "role": "operator", "csrf_token": ana.csrf}
    # An expired session is over, and so is every session of a deactivated account.
    async with service.db.transaction() as session:
        await session.execute(update(OperatorSession).values(
            expires_at=utcnow() - timedelta(seconds=1)))
    assert (await ana.get("/api/auth/me")).status_code == 401
    bob = await operator_factory("bob")
    assert (await bob.get("/api/auth/me")).status_code == 200
    async with service.db.transaction() as session:
        await session.execute(update(OperatorRow).where(OperatorRow.username == "bob")
                              .values(active=False))
    assert (await bob.get("/api/auth/me")).status_code == 401
    assert (await bob.get("/api/handoffs")).status_code == 401
    assert (await login(bob.client, "bob")).status_code == 401


async def test_logout_ends_the_session_everywhere_but_not_other_logins(
        service: Service, app: Any, operator_factory: Any) -> None:
    ana = await operator_factory("ana")
    token = ana.client.cookies[COOKIE]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as twin, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                              base_url="http://testserver") as laptop:
        twin.cookies.set(COOKIE, token)  # the same cookie in a second client (another tab)
        assert (await twin.get("/api/auth/me")).status_code == 200
        laptop_csrf = (await login(laptop, "ana")).json()["csrf_token"]

        bare = await ana.client.post("/api/auth/logout")
        assert bare.status_code == 403, "logout changes state: it needs the CSRF token"
        assert (await ana.get("/api/auth/me")).status_code == 200

        out = await ana.post("/api/auth/logout")
        assert (out.status_code, out.json()) == (200, {})
        assert f"{COOKIE}=" in out.headers["set-cookie"]
        assert (await ana.get("/api/auth/me")).status_code == 401
        assert (await twin.get("/api/auth/me")).status_code == 401
        assert (await twin.get("/api/handoffs")).status_code == 401
        again = await twin.post("/api/auth/logout", headers={"X-CSRF-Token": ana.csrf})
        assert again.status_code == 401
        # The same operator's other login (another machine) carries on.
        assert (await laptop.get("/api/auth/me")).json()["csrf_token"] == laptop_csrf


async def test_every_state_change_needs_the_cookie_and_the_csrf_token(
        service: Service, sender: RecordingSender, anonymous: httpx.AsyncClient,
        operator_factory: Any) -> None:
    held, waiting = await queue_users(service, sender, 2)
    hid = (await handoff_of(service, held)).id
    wid = (await handoff_of(service, waiting)).id
    ana = await operator_factory("ana")
    bob = await operator_factory("bob")
    assert (await ana.post(f"/api/handoffs/{hid}/claim")).status_code == 200
    await delivered(service, sender)
    calls: list[tuple[str, dict[str, Any]]] = [
        (f"/api/handoffs/{wid}/claim", {}),
        (f"/api/handoffs/{hid}/messages", {"text": "Hello"}),
        (f"/api/handoffs/{hid}/notes", {"text": "a note"}),
        (f"/api/handoffs/{hid}/transfer", {"operator": "ana"}),
        (f"/api/handoffs/{hid}/close", {"outcome": "information_given"}),
        ("/api/auth/logout", {}),
    ]
    refusals = [
        ("No cookie, right token", anonymous, {"X-CSRF-Token": ana.csrf}, 401),
        ("No cookie, no token", anonymous, {}, 401),
        ("Cookie, no token", ana.client, {}, 403),
        ("Cookie, empty token", ana.client, {"X-CSRF-Token": ""}, 403),
        ("Cookie, wrong token", ana.client, {"X-CSRF-Token": "x" * 43}, 403),
        ("Cookie, another session's token", ana.client, {"X-CSRF-Token": bob.csrf}, 403),
        ("Cookie, token in the wrong header", ana.client, {"X-CSRF": ana.csrf}, 403),
    ]
    before = await snapshot(service)
    for path, body in calls:
        for label, client, headers, status in refusals:
            answer = await client.post(path, json=body, headers=headers)
            assert answer.status_code == status, (path, label, answer.text)
            assert isinstance(answer.json()["detail"], str), (path, label)
            assert await snapshot(service) == before, (path, label, "something changed")
    assert await delivered(service, sender) == []
    assert (await ana.get("/api/auth/me")).status_code == 200

    # The same calls with the token all work: the refusals above were about the token only.
    for path, body in calls:
        answer = await ana.post(path, body)
        assert answer.status_code == 200, (path, answer.text)
    assert (await load_handoff(service, wid)).status == "active"
    assert (await load_handoff(service, hid)).status == "closed"


async def test_reads_need_the_cookie_but_not_the_token(
        service: Service, sender: RecordingSender, anonymous: httpx.AsyncClient,
        operator_factory: Any) -> None:
    [one] = await queue_users(service, sender, 1)
    hid = (await handoff_of(service, one)).id
    sup = await operator_factory("sue", "supervisor")
    reads = ["/api/handoffs", f"/api/handoffs/{hid}", "/api/operators", "/api/canned",
             "/api/supervisor/overview", "/api/audit", "/api/events", "/api/auth/me"]
    for path in reads:
        refused = await anonymous.get(path)
        assert refused.status_code == 401, path
        assert refused.json() == {"detail": "log in first"}, path
    for path in reads[:-2]:  # the event stream never ends; it is read in test_events.py
        assert (await sup.client.get(path)).status_code == 200, path


# --- throttling ------------------------------------------------------------------------------


async def failures(anonymous: httpx.AsyncClient, name: str, count: int) -> None:
    for _ in range(count):
        assert (await login(anonymous, name, "wrong password!")).status_code == 401


async def test_five_failures_for_a_name_lock_it_even_with_the_right_password(
        service: Service, anonymous: httpx.AsyncClient) -> None:
    for name in ("ana", "bob"):
        await add_operator(service.db, name, PASSWORD)
    await failures(anonymous, "ana", 5)
    locked = await login(anonymous, "ana")
    assert locked.status_code == 429
    assert locked.json() == {"detail": "too many failed logins; try again later"}
    retry = int(locked.headers["Retry-After"])
    assert 0 < retry <= 15 * 60 + 1
    assert "set-cookie" not in locked.headers
    # The lock is for that name, not for everyone at this address.
    assert (await login(anonymous, "bob")).status_code == 200
    # The failures expire with the window.
    async with service.db.transaction() as session:
        await session.execute(update(LoginFailure).values(at=utcnow() - timedelta(minutes=16)))
    assert (await login(anonymous, "ana")).status_code == 200


async def test_failures_count_per_name_whatever_its_case(
        service: Service, anonymous: httpx.AsyncClient) -> None:
    await add_operator(service.db, "ana", PASSWORD)
    await failures(anonymous, "ana", 2)
    await failures(anonymous, "ANA", 2)
    await failures(anonymous, "Ana", 1)
    assert (await login(anonymous, "ana")).status_code == 429


async def test_a_good_login_clears_the_names_failures(
        service: Service, anonymous: httpx.AsyncClient) -> None:
    await add_operator(service.db, "ana", PASSWORD)
    await failures(anonymous, "ana", 4)
    assert (await login(anonymous, "ana")).status_code == 200
    await failures(anonymous, "ana", 4)
    assert (await login(anonymous, "ana")).status_code == 200


async def test_twenty_failures_from_one_address_lock_every_name(
        service: Service, app: Any, anonymous: httpx.AsyncClient) -> None:
    await add_operator(service.db, "ana", PASSWORD)
    # 19 failures spread over names, none of them reaching the per-name limit of 5.
    for i in range(5):
        await failures(anonymous, f"guess{i}", 4 if i < 4 else 3)
    assert (await login(anonymous, "ana")).status_code == 200
    await failures(anonymous, "guess9", 1)  # the twentieth
    locked = await login(anonymous, "ana")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    # Another address is not locked (the throttle reads the client's address).
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app,
                                                               client=("10.1.2.3", 5555)),
                                 base_url="http://testserver") as elsewhere:
        assert (await login(elsewhere, "ana")).status_code == 200
