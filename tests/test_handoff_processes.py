"""The handoff to operators across real `safemig serve` processes: a Telegram user on the
webhook (replies read from the fake Bot API), operators on the JSON API and its event stream,
two processes on one PostgreSQL, and a SIGKILL that must not lose or repeat a reply."""

from __future__ import annotations

import asyncio
import itertools
import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.console.accounts import add_operator
from bot.storage import Database, OutboxItem
from bot.storage.models import utcnow
from tests.channels.telegram.conftest import PRIVATE_VALUES, SECRET, load, personalize
from tests.channels.telegram.test_end_to_end import GUARD, buttons
from tests.conftest import env_for, free_port, make_settings
from tests.fakes.telegram_api import HANG, TOKEN, FakeTelegramAPI

PASSWORD = "correct horse battery staple"
ASK_FOR_A_PERSON = "I want to talk to a person"  # free text: the NLU says talk_to_human
MENU = ["topics", "offer", "human", "language", "about"]
WAIT = 30.0  # seconds: the longest any single step may take
_update_ids = itertools.count(700_000_001)  # Telegram's update_id is unique per bot


# --- the processes -------------------------------------------------------------------------


@dataclass
class Server:
    """One `safemig serve` process with the Telegram channel on."""

    proc: subprocess.Popen[bytes]
    base: str
    log: Path

    def wait_healthy(self) -> Server:
        deadline = time.monotonic() + 300  # the first start of a session trains the NLU
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "the server exited: " + self.log.read_text()
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("server did not start")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, nothing flushed."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


Serve = Callable[[str], Server]


Launch = Callable[..., Server]


@contextmanager
def serve_processes(tmp_path: Path, api: FakeTelegramAPI) -> Iterator[Launch]:
    """``launch(env, name, **extra)`` starts `safemig serve` with the Telegram webhook on the
    fake Bot API (``env`` as from ``env_for``, ``extra`` on top); all are SIGKILLed
    afterwards. A child that reaches beyond 127.0.0.1 fails the test."""
    started: list[Server] = []
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD)
    network_log = tmp_path / "network.log"

    def launch(env: dict[str, str], name: str, **extra: str) -> Server:
        port = free_port()
        log = tmp_path / f"{name}-{len(started)}.log"
        full = {**env, "TELEGRAM_TOKEN": TOKEN, "TELEGRAM_API_URL": api.url,
                "TELEGRAM_WEBHOOK_SECRET": SECRET, "PUBLIC_URL": "", "PYTHONPATH": str(guard),
                "SAFEMIG_TEST_NETWORK_LOG": str(network_log), **extra}
        with log.open("wb") as stderr:
            proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)],
                                    env=full, stderr=stderr, stdout=subprocess.DEVNULL)
        server = Server(proc, f"http://127.0.0.1:{port}", log)
        started.append(server)
        return server

    try:
        yield launch
    finally:
        for server in started:
            if server.proc.poll() is None:
                server.proc.kill()
            server.proc.wait(timeout=10)
    assert not network_log.exists(), network_log.read_text()


@pytest.fixture
def serve(tmp_path: Path, db_url: str, telegram_api: FakeTelegramAPI) -> Iterator[Serve]:
    """Start `safemig serve` (webhook mode, the fake Bot API) by name; all killed afterwards.

    Each process gets its own VAR_DIR and log; they share the database and SECRET_KEY, as
    the workers of one deployment do. PUBLIC_URL stays empty: an https one (as in
    production, behind a TLS proxy) makes the session cookie Secure, which no cookie jar
    sends over the plain http used here; the webhook route needs only the secret
    (setWebhook is test_end_to_end.py's concern).
    """
    with serve_processes(tmp_path, telegram_api) as launch:
        yield lambda name: launch({**env_for(tmp_path / name, db_url), "LOG_LEVEL": "DEBUG"},
                                  name)


def add_operator_with_cli(tmp_path: Path, db_url: str, name: str) -> None:
    """`safemig operator add NAME --role operator --password-stdin`, the real command."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "operator", "add", name, "--role", "operator",
         "--password-stdin"], input=PASSWORD + "\n", env=env_for(tmp_path, db_url),
        capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert f"added operator {name}" in done.stderr


def add_operators(tmp_path: Path, db_url: str, *names: str) -> None:
    """Accounts through bot.console.accounts, straight into the database."""
    async def add() -> None:
        db = Database(make_settings(tmp_path, db_url).database)
        try:
            for name in names:
                await add_operator(db, name, PASSWORD, "operator")
        finally:
            await db.dispose()

    asyncio.run(add())


def outbox(tmp_path: Path, db_url: str) -> list[Any]:
    """Every outbox row, oldest first (read from the test, not through a server)."""
    async def read() -> list[Any]:
        db = Database(make_settings(tmp_path, db_url).database)
        try:
            async with db.sessions() as session:
                rows = await session.execute(select(
                    OutboxItem.id, OutboxItem.status, OutboxItem.attempts,
                    OutboxItem.lease_until, OutboxItem.next_attempt_at, OutboxItem.payload,
                ).order_by(OutboxItem.id))
                return list(rows.all())
        finally:
            await db.dispose()

    return list(asyncio.run(read()))


def poll(condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """Poll until ``condition()`` is truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


# --- the Telegram user --------------------------------------------------------------------


class TelegramUser:
    """A private chat with the bot: updates POSTed to a server's webhook, replies counted."""

    def __init__(self, api: FakeTelegramAPI, user_id: int) -> None:
        self.api = api
        self.id = user_id

    def sent(self) -> list[dict[str, Any]]:
        """Every sendMessage to this user's chat, oldest first."""
        return self.api.sent(self.id)

    def post(self, server: Server, update: dict[str, Any]) -> None:
        answer = httpx.post(f"{server.base}/webhooks/telegram", json=update, timeout=WAIT,
                            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert answer.status_code == 200, answer.text

    def write(self, server: Server, text: str) -> None:
        update_id = next(_update_ids)
        update = personalize(load("update_message_text"), self.id, update_id)
        update["message"].update(text=text, message_id=update_id)
        update["message"]["from"]["language_code"] = "en"
        self.post(server, update)

    def press(self, server: Server, data: str) -> None:
        update_id = next(_update_ids)
        update = personalize(load("update_callback_query"), self.id, update_id)
        update["callback_query"].update(id=f"cb{update_id}", data=data)
        self.post(server, update)

    def next_replies(self, count: int, act: Callable[[], None]) -> list[dict[str, Any]]:
        """Do ``act`` and return the next ``count`` messages the chat receives."""
        before = len(self.sent())
        act()
        calls = self.api.wait_for(before + count, chat_id=self.id, timeout=WAIT)
        return [c.params for c in calls[before:before + count]]

    def says(self, server: Server, text: str, count: int = 1) -> list[dict[str, Any]]:
        return self.next_replies(count, lambda: self.write(server, text))

    def presses(self, server: Server, data: str, count: int = 1) -> list[dict[str, Any]]:
        return self.next_replies(count, lambda: self.press(server, data))

    def asks_for_a_person(self, server: Server) -> dict[str, Any]:
        """/start, English, then the free-text request; returns the queue message."""
        [languages] = self.says(server, "/start")
        assert "lang:en" in buttons(languages)
        _, menu = self.presses(server, "lang:en", 2)
        assert buttons(menu) == MENU
        [queued] = self.says(server, ASK_FOR_A_PERSON)
        return queued

    def received(self, text: str) -> int:
        """How many messages to this chat contained ``text``."""
        return sum(text in m["text"] for m in self.sent())


# --- the operator console -----------------------------------------------------------------


class Console:
    """One operator's API client: a cookie jar, the CSRF token from the login."""

    def __init__(self, server: Server, name: str, cookies: httpx.Cookies | None = None,
                 csrf: str = "") -> None:
        self.name = name
        self.csrf = csrf
        self.client = httpx.Client(base_url=server.base, cookies=cookies, timeout=WAIT)

    def login(self) -> httpx.Response:
        answer = self.client.post("/api/auth/login",
                                  json={"username": self.name, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        self.csrf = answer.json()["csrf_token"]
        return answer

    def at(self, server: Server) -> Console:
        """The same session, talking to another process (sessions live in the database)."""
        return Console(server, self.name, self.client.cookies, self.csrf)

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.client.post(path, json=body or {}, headers={"X-CSRF-Token": self.csrf})

    def waiting(self) -> list[dict[str, Any]]:
        answer = self.get("/api/handoffs?status=waiting")
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()
        return found

    def detail(self, handoff_id: int) -> dict[str, Any]:
        answer = self.get(f"/api/handoffs/{handoff_id}")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Console:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class EventStream:
    """`GET /api/events` read in a thread; each `data:` line becomes an event in a queue."""

    def __init__(self, server: Server, console: Console) -> None:
        self._client = httpx.Client(base_url=server.base, cookies=console.client.cookies,
                                    timeout=httpx.Timeout(WAIT, read=60))
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._subscribed = threading.Event()
        self.seen: list[dict[str, Any]] = []
        self.status = 0
        self.content_type = ""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        # The stream's first line (retry:) comes after the server subscribed this stream.
        assert self._subscribed.wait(WAIT), "the event stream did not open"
        assert self.status == 200 and self.content_type.startswith("text/event-stream")

    def _read(self) -> None:
        try:
            with self._client.stream("GET", "/api/events") as response:
                self.status = response.status_code
                self.content_type = response.headers.get("content-type", "")
                for line in response.iter_lines():
                    if line.startswith("retry:"):
                        self._subscribed.set()
                    elif line.startswith("data:"):
                        self._events.put(json.loads(line.removeprefix("data:")))
        except Exception:  # noqa: S110 (closing the client ends the read with an error)
            pass
        finally:
            self._subscribed.set()

    def wait(self, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        """The next event with these fields (others are kept in ``seen``)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self._events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no event {match} within {timeout} s; "
                                     f"seen {self.seen}") from None
            self.seen.append(event)
            if all(event.get(k) == v for k, v in match.items()):
                return event

    def close(self) -> None:
        self._client.close()
        self._thread.join(10)


def assert_private(raw: str, user: TelegramUser) -> None:
    """No Telegram id, name or username of the user in an API answer."""
    for value in (str(user.id), *PRIVATE_VALUES):
        assert value not in raw, value


def assert_clean_log(log: Path, *texts: str) -> None:
    """No token, no profile data, no message text in a process's log."""
    # Without the timestamps: "...:56:28.831" holds the fixtures' longitude "28.83".
    content = re.sub(r'"time": "[^"]*"', "", log.read_text("utf-8", "replace"))
    for value in (TOKEN, TOKEN.split(":")[1], *PRIVATE_VALUES, *texts):
        assert value not in content, value


# --- 1. one process: from "a person, please" to the operator and back to the bot ----------


@pytest.mark.slow
def test_a_telegram_user_talks_to_an_operator_and_comes_back_to_the_bot(
        serve: Serve, tmp_path: Path, db_url: str, telegram_api: FakeTelegramAPI) -> None:
    server = serve("a").wait_healthy()
    add_operator_with_cli(tmp_path, db_url, "ana")
    user = TelegramUser(telegram_api, 612_345_101)

    queued = user.asks_for_a_person(server)
    assert "will answer you here" in queued["text"]
    assert "Your place in the queue: 1." in queued["text"]
    assert buttons(queued) == ["bot"]

    ana = Console(server, "ana")
    stream: EventStream | None = None
    try:
        login = ana.login()
        assert login.json()["role"] == "operator"
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        stream = EventStream(server, ana)
        if not db_url.startswith("sqlite"):
            notify_until_heard(db_url, stream)

        listed = ana.get("/api/handoffs?status=waiting")
        assert listed.status_code == 200, listed.text
        [waiting] = listed.json()
        assert re.fullmatch(r"#\w{3,}", waiting["pseudonym"]), waiting["pseudonym"]
        assert (waiting["status"], waiting["reason"], waiting["channel"], waiting["language"],
                waiting["position"]) == ("waiting", "asked", "telegram", "en", 1)
        assert_private(listed.text, user)
        handoff = waiting["id"]

        # Claimed: the user hears that a person joined.
        [joined] = user.next_replies(1, lambda: assert_ok(ana.post(
            f"/api/handoffs/{handoff}/claim")))
        assert "has joined the chat" in joined["text"]
        stream.wait(type="handoff_changed", handoff_id=handoff, status="active")

        # The user writes; the bot keeps quiet and the operator reads it in the transcript.
        question = "They want 200 euro for the visa, is that ok?"
        user.write(server, question)  # the webhook answers after the turn is committed
        stream.wait(type="message", handoff_id=handoff)
        detail = ana.get(f"/api/handoffs/{handoff}")
        assert_private(detail.text, user)
        transcript = detail.json()["messages"]
        assert transcript[-1]["sender"] == "user" and transcript[-1]["text"] == question

        # The operator's reply is the next (and only) thing the chat receives: a bot answer
        # to the question would have been queued before it, in the same chat's order.
        answer = "No, do not pay anything before you have a contract."
        reply = ana.post(f"/api/handoffs/{handoff}/messages", {"text": answer})
        assert reply.status_code == 200 and reply.json()["text"] == answer
        [delivered] = user.next_replies(1, lambda: None)
        assert delivered["text"] == "Operator:\n" + answer
        assert delivered["chat_id"] == str(user.id)

        # Closed: the bot is back, with the menu.
        def close() -> None:
            closed = ana.post(f"/api/handoffs/{handoff}/close", {"outcome": "information_given"})
            assert closed.status_code == 200, closed.text
            assert (closed.json()["status"], closed.json()["outcome"]) == (
                "closed", "information_given")

        [back] = user.next_replies(1, close)
        stream.wait(type="handoff_changed", handoff_id=handoff, status="closed")
        assert "talking to the bot again" in back["text"]
        assert buttons(back) == MENU
        assert user.received(answer) == 1  # later replies in a chat wait for earlier ones

        [understood] = user.says(server, "what should I prepare before I leave?")
        assert "en answer of before_departure" in understood["text"]
        operator_lines = [m for m in ana.detail(handoff)["messages"] if m["sender"] == "operator"]
        assert [(m["text"], m["operator"]) for m in operator_lines] == [(answer, "ana")]
        assert ana.waiting() == []

        # A console's stream never ends by itself; SIGTERM still stops the server promptly.
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=WAIT) in (0, -signal.SIGTERM)
    finally:
        if stream is not None:
            stream.close()
        ana.close()
    assert "Application shutdown complete." in server.log.read_text("utf-8")
    assert_clean_log(server.log, question, answer)


def assert_ok(answer: httpx.Response) -> None:
    assert answer.status_code == 200, answer.text


# --- 2. two processes on one PostgreSQL ---------------------------------------------------


def notify_until_heard(db_url: str, stream: EventStream) -> None:
    """Send a probe NOTIFY until the stream hears it: the process's LISTEN is up."""
    import asyncpg

    dsn = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def notify() -> None:
        conn = await asyncpg.connect(dsn, timeout=5)
        try:
            await conn.execute("SELECT pg_notify('safemig_events', $1)",
                               json.dumps({"type": "probe", "handoff_id": 0}))
        finally:
            await conn.close()

    deadline = time.monotonic() + WAIT
    while True:
        asyncio.run(notify())
        try:
            stream.wait(timeout=1.0, type="probe")
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_processes_share_the_queue_the_events_and_the_outbox(
        serve: Serve, tmp_path: Path, db_url: str, telegram_api: FakeTelegramAPI) -> None:
    a = serve("a").wait_healthy()  # one after the other: B loads the NLU that A trained
    b = serve("b").wait_healthy()
    add_operators(tmp_path, db_url, "ana", "bob")
    ana, bob = Console(b, "ana"), Console(a, "bob")  # ana uses B, bob uses A
    stream: EventStream | None = None
    try:
        ana.login()
        bob.login()
        stream = EventStream(b, ana)
        notify_until_heard(db_url, stream)

        # The user's webhooks all go to A; B's console hears of the new handoff.
        user = TelegramUser(telegram_api, 612_345_201)
        user.asks_for_a_person(a)
        opened = stream.wait(type="handoff_opened", status="waiting")
        handoff = opened["handoff_id"]
        [listed] = ana.waiting()
        assert listed["id"] == handoff

        # Both claim at once, one through each process: exactly one wins.
        barrier = threading.Barrier(2)

        def claim(console: Console) -> httpx.Response:
            barrier.wait(WAIT)
            return console.post(f"/api/handoffs/{handoff}/claim")

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(claim, (ana, bob)))
        codes = [r.status_code for r in answers]
        assert sorted(codes) == [200, 409], codes
        assert answers[codes.index(409)].json() == {"detail": "already claimed"}
        winner = (ana, bob)[codes.index(200)]
        stream.wait(type="handoff_changed", handoff_id=handoff, status="active")
        poll(lambda: user.received("has joined the chat") == 1, "the joined message")

        # The user writes to A; B's stream hears of the message.
        user.write(a, "Is the agency in Bucharest real?")
        stream.wait(type="message", handoff_id=handoff, status="active")

        # The reply goes in through B (whoever won, the session works on every process)
        # and reaches the user once, whichever process's outbox worker sends it.
        answer = "Send me its name and I will check the licence list."
        with winner.at(b) as on_b:
            assert_ok(on_b.post(f"/api/handoffs/{handoff}/messages", {"text": answer}))
        stream.wait(type="message", handoff_id=handoff)
        poll(lambda: user.received(answer), "the operator's reply in the chat")
        poll(lambda: all(row.status == "sent" for row in outbox(tmp_path, db_url)),
             "an empty outbox")
        time.sleep(1.5)  # a duplicate send by the other worker would land by now
        assert user.received(answer) == 1
        with ana.at(a) as on_a:
            detail = on_a.detail(handoff)
        assert [m["text"] for m in detail["messages"] if m["sender"] == "operator"] == [answer]
    finally:
        if stream is not None:
            stream.close()
        ana.close()
        bob.close()
    for server in (a, b):
        assert_clean_log(server.log, answer)


# --- 3. SIGKILL of the process that holds an operator's reply -----------------------------


def reply_row(tmp_path: Path, db_url: str, answer: str) -> Any:
    """The outbox row of the operator's reply."""
    rows = [r for r in outbox(tmp_path, db_url) if answer in str(r.payload.get("text", ""))]
    assert len(rows) == 1, rows
    return rows[0]


def user_with_operator(serve: Serve, tmp_path: Path, db_url: str,
                       telegram_api: FakeTelegramAPI,
                       user_id: int) -> tuple[Server, TelegramUser, Console, int]:
    """A server, a user in a handoff claimed by ana (logged in there), the handoff id."""
    server = serve("a").wait_healthy()
    user = TelegramUser(telegram_api, user_id)
    ana, handoff = claimed_by_ana(server, tmp_path, db_url, user)
    return server, user, ana, handoff


def claimed_by_ana(server: Server, tmp_path: Path, db_url: str,
                   user: TelegramUser) -> tuple[Console, int]:
    """``user`` asks for a person and operator ana (added, logged in) claims the chat."""
    add_operators(tmp_path, db_url, "ana")
    user.asks_for_a_person(server)
    ana = Console(server, "ana")
    ana.login()
    [waiting] = ana.waiting()
    [joined] = user.next_replies(1, lambda: assert_ok(ana.post(
        f"/api/handoffs/{waiting['id']}/claim")))
    assert "has joined the chat" in joined["text"]
    return ana, waiting["id"]


@pytest.mark.slow
def test_a_reply_that_failed_once_survives_a_sigkill_and_arrives_once_after_the_restart(
        serve: Serve, tmp_path: Path, db_url: str, telegram_api: FakeTelegramAPI) -> None:
    server, user, ana, handoff = user_with_operator(serve, tmp_path, db_url, telegram_api,
                                                    612_345_301)
    answer = "Call 0 800 77777, it is free."
    try:
        # Telegram fails: the worker records the attempt and schedules the next one at least
        # a second later (bot/outbox.py's backoff), so the kill lands between two attempts.
        telegram_api.fail("sendMessage", "server_error", "server_error", "server_error")
        assert_ok(ana.post(f"/api/handoffs/{handoff}/messages", {"text": answer}))
        poll(lambda: reply_row(tmp_path, db_url, answer).attempts >= 1, "a failed attempt")
        server.kill()
    finally:
        ana.close()
    row = reply_row(tmp_path, db_url, answer)
    # Pending, and almost always unleased: a kill that hit the second attempt (a second
    # later) leaves a lease, which only delays the retry (see the next test).
    assert row.status == "pending", row
    telegram_api.reset()  # the Bot API works again; forget the failed calls

    restarted = serve("a").wait_healthy()
    poll(lambda: user.received(answer), "the reply after the restart",
         timeout=90)  # 90: if the kill hit an attempt in flight, its 60 s lease expires first
    poll(lambda: reply_row(tmp_path, db_url, answer).status == "sent", "the reply marked sent")
    time.sleep(1.0)  # one more outbox poll: nothing is sent again
    assert user.received(answer) == 1
    [delivered] = [m for m in user.sent() if answer in m["text"]]
    assert delivered["chat_id"] == str(user.id)
    assert_clean_log(restarted.log, answer)


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_reply_in_flight_at_a_sigkill_is_sent_again_once_its_lease_expires(
        serve: Serve, tmp_path: Path, db_url: str, telegram_api: FakeTelegramAPI) -> None:
    server, user, ana, handoff = user_with_operator(serve, tmp_path, db_url, telegram_api,
                                                    612_345_401)
    answer = "Do not give your passport to anyone."
    try:
        # Telegram holds the request: the process dies while it holds the reply's lease.
        telegram_api.fail("sendMessage", HANG)
        before = len(user.sent())
        assert_ok(ana.post(f"/api/handoffs/{handoff}/messages", {"text": answer}))
        telegram_api.wait_for(before + 1, chat_id=user.id, timeout=WAIT)
        server.kill()
    finally:
        ana.close()
    row = reply_row(tmp_path, db_url, answer)
    assert row.status == "pending" and row.lease_until is not None, row
    lease_until: datetime = row.lease_until
    telegram_api.reset()  # the held request never got an answer: it was not delivered

    restarted = serve("a").wait_healthy()
    # Nobody sends it while the lease may still belong to a live worker; then one does.
    poll(lambda: user.received(answer), "the reply after the lease", timeout=90)
    assert utcnow() >= lease_until
    poll(lambda: reply_row(tmp_path, db_url, answer).status == "sent", "the reply marked sent")
    time.sleep(1.0)  # one more outbox poll: nothing is sent again
    assert user.received(answer) == 1
    assert_clean_log(restarted.log, answer)
