"""A Viber REST API on 127.0.0.1 for tests: records every request, answers as told.

Handles ``POST /pa/{set_webhook,send_message,get_account_info}``. Bodies are read as
JSON whatever the Content-Type (viberbot sends none); the token is taken from the
``X-Viber-Auth-Token`` header or the body's ``auth_token``. On set_webhook it can call
the webhook back with a signed ``webhook`` event, as Viber does, and refuses the URL
when that callback does not get 200.

send_message answers come from, in order: the queue of ``answer()``, an ``outage()``
while it lasts, then success. Each call is recorded with when it arrived and how it was
answered, so a test can tell the deliveries (``delivered()``) from the failed tries.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

ENDPOINTS = ("set_webhook", "send_message", "get_account_info")


@dataclass(frozen=True)
class Answer:
    """A canned answer: a Viber status, an HTTP error, garbage, or no answer at all."""

    status: int = 0
    http: int = 200
    garbage: bool = False
    hang: bool = False

    @property
    def ok(self) -> bool:
        """Whether this answer is a successful send (HTTP 200, status 0, a JSON body)."""
        return self.status == 0 and self.http == 200 and not self.garbage and not self.hang


OK = Answer()
HANG = Answer(hang=True)
GARBAGE = Answer(garbage=True)


def status(code: int) -> Answer:
    """Viber's HTTP 200 with a non-zero status."""
    return Answer(status=code)


def http_error(code: int) -> Answer:
    """An HTTP error status (a proxy or an outage, never Viber itself)."""
    return Answer(http=code)


STATUS_MESSAGES = {0: "ok", 1: "invalidUrl", 2: "invalidAuthToken", 3: "badData",
                   4: "missingData", 5: "receiverNotRegistered", 6: "notSubscribed",
                   12: "Too many requests"}


@dataclass
class Recorded:
    """One request the fake received."""

    endpoint: str
    body: dict[str, Any]
    token: str | None
    headers: dict[str, str] = field(default_factory=dict)
    at: float = 0.0  # time.monotonic() when it arrived
    answer: Answer | None = None  # how a send_message with the right token was answered


def sign(token: str, body: bytes) -> str:
    """The X-Viber-Content-Signature of a callback body."""
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


class FakeViberApi:
    """Start with ``with FakeViberApi(token) as api:``; point VIBER_API_URL at ``api.base_url``."""

    def __init__(self, token: str, *, call_back_on_set_webhook: bool = True) -> None:
        self.token = token
        self.call_back = call_back_on_set_webhook
        self.requests: list[Recorded] = []
        self.webhook_checks: list[int] = []  # HTTP status of each callback on set_webhook
        self._answers: deque[Answer] = deque()
        self._outage: tuple[Answer, float] | None = None  # the answer, until (monotonic)
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._tokens = itertools.count(5_466_394_344_559_121_456)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def base_url(self) -> str:
        """What VIBER_API_URL should be."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/pa"

    def __enter__(self) -> FakeViberApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()  # let hanging requests go
        self._server.shutdown()
        self._server.server_close()

    # --- what tests use ----------------------------------------------------------------

    def answer(self, *answers: Answer) -> None:
        """Answer the next send_message calls with these, in order (then OK again)."""
        with self._lock:
            self._answers.extend(answers)

    def outage(self, answer: Answer, seconds: float | None = None) -> float:
        """Answer every send_message with ``answer`` for ``seconds`` from now (None: until
        ``recover()``); queued ``answer()`` answers still come first. Returns when it ends
        (``time.monotonic()``, inf without ``seconds``)."""
        until = math.inf if seconds is None else time.monotonic() + seconds
        with self._lock:
            self._outage = (answer, until)
        return until

    def recover(self) -> None:
        """End the outage now."""
        with self._lock:
            self._outage = None

    def calls(self, endpoint: str = "send_message") -> list[Recorded]:
        """The requests received for one endpoint, oldest first."""
        with self._lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    def sent(self) -> list[dict[str, Any]]:
        """The bodies of every send_message call."""
        return [r.body for r in self.calls("send_message")]

    def delivered(self, receiver: str | None = None) -> list[dict[str, Any]]:
        """The bodies of the send_message calls answered with success (to one user)."""
        return [r.body for r in self.calls("send_message") if r.answer is not None
                and r.answer.ok and (receiver is None or r.body.get("receiver") == receiver)]

    def clear(self) -> None:
        """Forget what was received."""
        with self._lock:
            self.requests.clear()

    def wait_for(self, count: int, endpoint: str = "send_message",
                 timeout: float = 20.0) -> list[Recorded]:
        """Wait until at least ``count`` calls of an endpoint arrived; returns them all."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls(endpoint)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        raise AssertionError(f"expected {count} {endpoint} calls, got {len(self.calls(endpoint))}")

    async def arrived(self, count: int, endpoint: str = "send_message") -> list[Recorded]:
        """``wait_for`` for async tests: the event loop keeps running meanwhile."""
        return await asyncio.to_thread(self.wait_for, count, endpoint)

    # --- the server ----------------------------------------------------------------------

    def _next_answer(self, endpoint: str) -> Answer:
        with self._lock:
            if endpoint == "send_message" and self._answers:
                return self._answers.popleft()
            if endpoint == "send_message" and self._outage is not None:
                answer, until = self._outage
                if time.monotonic() < until:
                    return answer
                self._outage = None
        return OK

    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)

    def _set_webhook(self, body: dict[str, Any]) -> dict[str, Any]:
        url = body.get("url")
        if not isinstance(url, str):
            return {"status": 3, "status_message": "badData"}
        if url and self.call_back:
            check = self._call_webhook(url)
            with self._lock:
                self.webhook_checks.append(check)
            if check != 200:
                return {"status": 1, "status_message": "invalidUrl"}
        return {"status": 0, "status_message": "ok",
                "event_types": body.get("event_types") or ["delivered", "seen", "failed",
                                                           "subscribed", "unsubscribed",
                                                           "conversation_started"]}

    def _call_webhook(self, url: str) -> int:
        payload = json.dumps({"event": "webhook", "timestamp": int(time.time() * 1000),
                              "chat_hostname": "SN-CHAT-01_",
                              "message_token": next(self._tokens)}).encode()
        headers = {"Content-Type": "application/json",
                   "X-Viber-Content-Signature": sign(self.token, payload)}
        try:
            with httpx.Client(trust_env=False, timeout=5) as client:
                return client.post(url, content=payload, headers=headers).status_code
        except httpx.HTTPError:
            return 0

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                endpoint = self.path.removeprefix("/pa/")
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                body = body if isinstance(body, dict) else {}
                token = self.headers.get("X-Viber-Auth-Token") or body.pop("auth_token", None)
                answer = (fake._next_answer(endpoint)
                          if endpoint == "send_message" and token == fake.token else None)
                fake._record(Recorded(endpoint, body, token, dict(self.headers.items()),
                                      time.monotonic(), answer))
                if endpoint not in ENDPOINTS:
                    self._reply(404, b"not found")
                    return
                if token != fake.token:
                    self._json({"status": 2, "status_message": "invalidAuthToken"})
                    return
                if endpoint == "set_webhook":
                    self._json(fake._set_webhook(body))
                elif endpoint == "get_account_info":
                    self._json({"status": 0, "status_message": "ok", "id": "pa:5552",
                                "name": "safemig test", "uri": "safemigtest",
                                "webhook": "", "subscribers_count": 0})
                else:
                    self._send_message(answer or OK)

            def _send_message(self, answer: Answer) -> None:
                if answer.hang:
                    fake._release.wait(30)
                    return
                if answer.http != 200:
                    self._reply(answer.http, b"<html>Service Unavailable</html>")
                elif answer.garbage:
                    self._reply(200, b"<html>not json</html>")
                elif answer.status:
                    self._json({"status": answer.status,
                                "status_message": STATUS_MESSAGES.get(answer.status, "failure")})
                else:
                    self._json({"status": 0, "status_message": "ok",
                                "message_token": next(fake._tokens),
                                "chat_hostname": "SN-CHAT-01_", "billing_status": 1})

            def _json(self, data: dict[str, Any]) -> None:
                self._reply(200, json.dumps(data).encode(), "application/json")

            def _reply(self, code: int, body: bytes, kind: str = "text/html") -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
