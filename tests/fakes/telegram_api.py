"""A fake Telegram Bot API on 127.0.0.1: a real HTTP server that records every call.

Speaks the contract in shared/docs/CHANNELS.md §1.4: ``POST /bot<TOKEN>/<method>``
(method names case-insensitive), form-urlencoded bodies with JSON-encoded fields,
JSON bodies or empty ones; answers ``{"ok": true, "result": ...}`` or the error
envelope with the same HTTP status (plus ``Retry-After`` on 429). Tests can queue
updates for getUpdates and canned errors for the next calls of a method, or an
outage: every call of a method (to one chat) answered with an error for a period.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TOKEN = "7012345678:AAHfakeTokenForTestsOnly-x9Q2vL7mN3bK8"
BOT_USER = {"id": 7012345678, "is_bot": True, "first_name": "SafeMig Test",
            "username": "safemig_test_bot", "can_join_groups": False,
            "can_read_all_group_messages": False, "supports_inline_queries": False}
METHODS = ("getMe", "sendMessage", "answerCallbackQuery", "setWebhook", "deleteWebhook",
           "getWebhookInfo", "getUpdates")
JSON_FIELDS = frozenset({"reply_markup", "allowed_updates", "link_preview_options", "entities",
                         "reply_parameters", "caption_entities"})
HANG = "hang"  # hold the request past the client's timeout
PASS = "pass"  # answer this call normally (to fail a later one)
HOLD = "hold"  # hold the request until release_held(), then answer it normally


@dataclass(frozen=True)
class Canned:
    """One canned error answer: HTTP status, the JSON envelope, extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def error(code: int, description: str, **parameters: Any) -> Canned:
    """The Bot API's error envelope (https://core.telegram.org/bots/api#making-requests)."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    headers = {"Retry-After": str(parameters["retry_after"])} if "retry_after" in parameters else {}
    return Canned(code, body, headers)


def throttled(retry_after: int) -> Canned:
    """429 with retry_after, as the real server sends it."""
    return error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


# The errors of shared/docs/CHANNELS.md §1.3, by a short name.
ERRORS: dict[str, Canned] = {
    "throttled": throttled(7),
    "blocked": error(403, "Forbidden: bot was blocked by the user"),
    "deactivated": error(403, "Forbidden: user is deactivated"),
    "chat_not_found": error(400, "Bad Request: chat not found"),
    "bad_entities": error(400, "Bad Request: can't parse entities: Unsupported start tag \"x\""),
    "too_long": error(400, "Bad Request: message is too long"),
    "unauthorized": error(401, "Unauthorized"),
    "server_error": error(500, "Internal Server Error"),
    "bad_gateway": error(502, "Bad Gateway"),
}


@dataclass(frozen=True)
class Call:
    """One request the fake received; ``at`` is when (time.monotonic(), for latencies).

    ``status`` is the HTTP status it was answered with (0: held, never answered), and
    ``retry_after`` the seconds a 429 asked for.
    """

    method: str
    params: dict[str, Any]
    token: str
    at: float = field(default_factory=time.monotonic, compare=False)
    status: int = field(default=200, compare=False)
    retry_after: float | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Outage:
    """Calls of ``method`` (every method if None; to ``chat_id`` if set) answered with
    ``answer`` until ``until``."""

    method: str | None
    answer: Canned
    until: float  # time.monotonic(); math.inf: until recover()
    chat_id: str | None = None

    def hits(self, method: str, params: dict[str, Any], now: float) -> bool:
        return (now < self.until and self.method in (None, method.lower())
                and (self.chat_id is None or params.get("chat_id") == self.chat_id))


class FakeTelegramAPI:
    """Start with ``start()``; ``url`` is what TELEGRAM_API_URL should be."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._failures: dict[str, list[Canned | str]] = {}
        self._outages: list[Outage] = []
        self._updates: list[dict[str, Any]] = []
        self._release = threading.Event()
        self._held: list[threading.Event] = []
        self._message_id = 0
        self.webhook: dict[str, Any] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL (TELEGRAM_API_URL)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeTelegramAPI:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wake every held request."""
        self._release.set()
        self.release_held()
        with self._lock:
            self._lock.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        """Forget calls, queued errors and updates (between tests)."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self._outages.clear()
            self._updates.clear()
            self.webhook = {}

    # --- what tests tell it -----------------------------------------------------------------

    def fail(self, method: str, *answers: Canned | str) -> None:
        """Answer the next calls of ``method`` with these (Canned, names of ERRORS, HANG, PASS)."""
        with self._lock:
            self._failures.setdefault(method.lower(), []).extend(answers)

    def release_held(self) -> None:
        """Answer the requests held by HOLD now (normally, as if Telegram had been slow)."""
        with self._lock:
            held, self._held = self._held, []
        for event in held:
            event.set()

    def outage(self, answer: Canned | str, seconds: float | None = None, *,
               method: str | None = "sendMessage", chat_id: int | None = None) -> None:
        """Answer every call of ``method`` (None: of every method; to one chat) with ``answer``
        for ``seconds``.

        ``answer`` is a Canned or a name of ERRORS; without ``seconds`` the outage lasts
        until ``recover()``. Queued ``fail()`` answers still come first.
        """
        canned = ERRORS[answer] if isinstance(answer, str) else answer
        until = math.inf if seconds is None else time.monotonic() + seconds
        with self._lock:
            self._outages.append(Outage(method and method.lower(), canned, until,
                                        None if chat_id is None else str(chat_id)))

    def recover(self, chat_id: int | None = None) -> None:
        """End the outages now (those of one chat, or all)."""
        with self._lock:
            self._outages = [o for o in self._outages
                             if chat_id is not None and o.chat_id != str(chat_id)]

    def queue_updates(self, *updates: dict[str, Any]) -> None:
        """Updates for getUpdates to hand out."""
        with self._lock:
            self._updates.extend(updates)
            self._lock.notify_all()

    # --- what tests read ----------------------------------------------------------------------

    def calls(self, method: str | None = None, *, start: int = 0) -> list[Call]:
        """The calls received so far (from the ``start``-th on), optionally of one method."""
        with self._lock:
            return [c for c in self._calls[start:] if method is None or c.method == method]

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """The parameters of every sendMessage (to one chat)."""
        return [c.params for c in self.calls("sendMessage")
                if chat_id is None or c.params.get("chat_id") == str(chat_id)]

    def delivered(self, chat_id: int | None = None) -> list[Call]:
        """The sendMessage calls answered with success (to one chat), oldest first."""
        return [c for c in self.calls("sendMessage") if c.status == 200
                and (chat_id is None or c.params.get("chat_id") == str(chat_id))]

    def wait_for(self, count: int, method: str = "sendMessage", timeout: float = 10.0,
                 chat_id: int | None = None) -> list[Call]:
        """Block until at least ``count`` calls of a method arrived (to one chat)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self._calls if c.method == method and (
                    chat_id is None or c.params.get("chat_id") == str(chat_id))]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{len(found)} {method} calls, expected {count}")
                self._lock.wait(remaining)

    # --- the server ---------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                fake._serve(self)

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the request line carries the token

        return Handler

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        segments = parts.path.split("/")
        if len(segments) != 3 or not segments[1].startswith("bot"):
            self._reply(request, 404, {"ok": False, "error_code": 404,
                                       "description": "Not Found"})
            return
        token, method = segments[1][3:], segments[2]
        canonical = next((m for m in METHODS if m.lower() == method.lower()), method)
        params = dict(parse_qsl(parts.query))
        params.update(_decode(raw, request.headers.get("Content-Type", "")))
        with self._lock:
            queued = self._failures.get(canonical.lower())
            canned = queued.pop(0) if queued else None
            if canned is None:
                now = time.monotonic()
                canned = next((o.answer for o in self._outages
                               if o.hits(canonical, params, now)), None)
            conflict = canonical == "getUpdates" and bool(self.webhook)  # see _get_updates
            self._calls.append(Call(canonical, params, token, **_outcome(
                canned, token == self.token, canonical in METHODS, conflict)))
            held = threading.Event()
            if canned == HOLD:  # registered with the call: a release after wait_for frees it
                self._held.append(held)
            self._lock.notify_all()
        if token != self.token:
            self._reply(request, 401, error(401, "Unauthorized").body)
        elif canned == HANG:
            self._release.wait(30)  # longer than the client waits: it times out
        elif canned == HOLD:
            held.wait(30)
            self._reply(request, 200, {"ok": True, "result": self._result(canonical, params)})
        elif canned is not None and canned != PASS:
            answer = ERRORS[canned] if isinstance(canned, str) else canned
            self._reply(request, answer.status, answer.body, answer.headers)
        elif canonical not in METHODS:
            self._reply(request, 404, error(404, "Not Found").body)
        else:
            result = self._result(canonical, params)
            if result is not None:
                self._reply(request, 200, {"ok": True, "result": result})
            else:
                self._reply(request, 409, error(409, "Conflict: can't use getUpdates method "
                                                     "while webhook is active; use "
                                                     "deleteWebhook to delete the webhook "
                                                     "first").body)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            with self._lock:
                self._message_id += 1
                message_id = self._message_id
            return {"message_id": message_id, "from": BOT_USER,
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "date": int(time.time()), "text": params.get("text", "")}
        if method == "setWebhook":
            self.webhook = dict(params)
            return True
        if method == "deleteWebhook":
            self.webhook = {}
            return True
        if method == "getWebhookInfo":
            return {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                    "pending_update_count": 0}
        if method == "getUpdates":
            return self._get_updates(params)
        return True  # answerCallbackQuery

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]] | None:
        if self.webhook:
            return None  # 409, as the real server answers
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 30.0)
        with self._lock:
            # The offset confirms every update below it, when the request arrives
            # (https://core.telegram.org/bots/api#getupdates).
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while True:
                ready = [u for u in self._updates if u["update_id"] >= offset][:limit]
                if ready or self._release.is_set():
                    return ready
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._lock.wait(remaining)

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any],
               headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(data)
        except OSError:
            pass  # the client gave up (a timeout test)


def _outcome(canned: Canned | str | None, token_ok: bool, known: bool,
             conflict: bool) -> dict[str, Any]:
    """The status (and retry_after) a call is answered with, as recorded in its Call."""
    if not token_ok:
        return {"status": 401}
    if canned == HANG:
        return {"status": 0}
    if canned is not None and canned not in (PASS, HOLD):
        answer = ERRORS[canned] if isinstance(canned, str) else canned
        return {"status": answer.status,
                "retry_after": answer.body.get("parameters", {}).get("retry_after")}
    return {"status": 404 if not known else 409 if conflict else 200}


def _decode(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        data = json.loads(raw)
        return data if isinstance(data, dict) else {}
    params: dict[str, Any] = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    for name in JSON_FIELDS & params.keys():
        params[name] = json.loads(params[name])
    return params
