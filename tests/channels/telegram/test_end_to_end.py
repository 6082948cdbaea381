"""The real commands as processes: `safemig serve` with the webhook, and `safemig telegram-poll`.

Updates are POSTed over HTTP as Telegram would; the replies are read from the fake
Bot API. The embedded NLU answers the free-text question (trained once per session).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.channels.telegram import telegram_poll
from tests.channels.telegram.conftest import (
    PRIVATE_VALUES,
    PUBLIC_URL,
    SECRET,
    load,
    personalize,
)
from tests.conftest import env_for, free_port, make_settings
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI

USER = 612_345_001


def text_update(update_id: int, text: str) -> dict[str, Any]:
    update = personalize(load("update_message_text"), USER, update_id)
    update["message"].update(text=text, message_id=update_id)
    update["message"]["from"]["language_code"] = "en"
    return update


def press(update_id: int, data: str) -> dict[str, Any]:
    update = personalize(load("update_callback_query"), USER, update_id)
    update["callback_query"].update(id=f"cb{update_id}", data=data)
    return update


def buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


Start = Callable[..., tuple[subprocess.Popen[bytes], Path]]

# tests/conftest.py guards this process's sockets; a child gets the same guard through
# sitecustomize, and writes what it tried to reach to a file the test reads.
GUARD = """
import ipaddress, os, socket

_connect, _getaddrinfo = socket.socket.connect, socket.getaddrinfo


def _local(host):
    if host in (None, "", "localhost", b"localhost"):
        return True
    try:
        return ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host).is_loopback
    except ValueError:
        return False


def _refuse(what):
    with open(os.environ["SAFEMIG_TEST_NETWORK_LOG"], "a") as fh:
        fh.write(repr(what) + "\\n")
    raise OSError("tests allow only 127.0.0.1")


def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
        _refuse(address)
    return _connect(self, address)


def getaddrinfo(host, *args, **kwargs):
    if not _local(host):
        _refuse(host)
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect = connect
socket.getaddrinfo = getaddrinfo
"""


@pytest.fixture
def process(tmp_path: Path, telegram_api: FakeTelegramAPI) -> Iterator[Callable[[str], Start]]:
    """Start `safemig <command>` on a database, Telegram pointed at the fake; stderr in a file."""
    telegram_api.reset()
    started: list[subprocess.Popen[bytes]] = []

    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD)
    network_log = tmp_path / "network.log"

    def on(db_url: str) -> Start:
        def start(*command: str, **env: str) -> tuple[subprocess.Popen[bytes], Path]:
            log = tmp_path / f"{command[0]}.log"
            environment = {**env_for(tmp_path, db_url), "LOG_LEVEL": "DEBUG",
                           "TELEGRAM_TOKEN": TOKEN, "TELEGRAM_API_URL": telegram_api.url,
                           "PYTHONPATH": os.pathsep.join(
                               [str(guard), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
                           "SAFEMIG_TEST_NETWORK_LOG": str(network_log), **env}
            with log.open("wb") as stderr:
                proc = subprocess.Popen([sys.executable, "-m", "bot", *command],
                                        env=environment, stderr=stderr,
                                        stdout=subprocess.DEVNULL)
            started.append(proc)
            return proc, log

        return start

    yield on
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert not network_log.exists(), network_log.read_text()


def wait_healthy(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180  # the first start of a session trains the NLU
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited"
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("server did not start")


def assert_clean(log: Path) -> None:
    """No token, no profile data in the process's logs."""
    text = log.read_text("utf-8", "replace")
    assert text.strip(), "expected some log lines"
    for value in (TOKEN, TOKEN.split(":")[1], str(USER), *PRIVATE_VALUES):
        assert value not in text, value


RISKY_OFFER = ("We hire girls 18-25 for bar work in Cyprus, 3000 EUR per month, no experience "
               "needed. Registration fee 200 EUR before departure, the employer keeps your "
               "passport. Leave next week, write on Telegram +373 69 123 456.")


def test_a_conversation_through_the_webhook_of_the_real_server(
        process: Callable[[str], Start], db_url: str, telegram_api: FakeTelegramAPI) -> None:
    port = free_port()
    proc, log = process(db_url)("serve", "--port", str(port), TELEGRAM_WEBHOOK_SECRET=SECRET,
                        PUBLIC_URL=PUBLIC_URL)
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, proc)
    [webhook] = telegram_api.calls("setWebhook")
    assert webhook.params["url"] == f"{PUBLIC_URL}/webhooks/telegram"
    assert webhook.params["secret_token"] == SECRET

    def post(update: dict[str, Any], secret: str = SECRET) -> int:
        return httpx.post(f"{base}/webhooks/telegram", json=update, timeout=30,
                          headers={"X-Telegram-Bot-Api-Secret-Token": secret}).status_code

    def reply(update: dict[str, Any], count: int = 1) -> list[dict[str, Any]]:
        before = len(telegram_api.sent(USER))
        assert post(update) == 200
        calls = telegram_api.wait_for(before + count, chat_id=USER, timeout=30)
        return [c.params for c in calls[before:]]

    [languages] = reply(text_update(1, "/start"))
    assert languages["text"].startswith("Hello! Choose your language:")
    assert buttons(languages) == ["lang:ro", "lang:ru", "lang:uk", "lang:en", "lang:rom"]

    welcome, menu = reply(press(2, "lang:en"), 2)
    assert welcome["text"].startswith("Welcome!")
    assert buttons(menu) == ["topics", "offer", "human", "language", "about"]
    assert telegram_api.calls("answerCallbackQuery")[-1].params == {"callback_query_id": "cb2"}

    [groups] = reply(press(3, "topics"))
    assert buttons(groups) == ["cat:before", "cat:abroad", "cat:help", "menu"]
    [topics] = reply(press(4, "cat:help"))
    assert buttons(topics)[0] == "topic:hotline_contacts"
    [answer] = reply(press(5, "topic:hotline_contacts"))
    assert "en answer of hotline_contacts" in answer["text"]
    assert "<b>0 800 77777</b>" in answer["text"] and answer["parse_mode"] == "HTML"

    [understood] = reply(text_update(6, "what should I prepare before I leave?"))
    assert "en answer of before_departure" in understood["text"]

    # The offer check's entry: it asks for the offer's text (a colleague is extending this
    # step, e.g. with an "answer a few questions" button), always with a way back.
    [offer] = reply(press(7, "offer"))
    assert "job offer" in offer["text"] and buttons(offer)[-1] == "menu"

    # Telegram delivering update 1 again, a forged delivery, then a new message: the only
    # reply is the new message's.
    assert post(text_update(1, "/start")) == 200
    assert post(text_update(8, "/start"), secret="forged") == 403
    [again] = reply(text_update(9, "/menu"))
    assert buttons(again) == ["topics", "offer", "human", "language", "about"]
    assert len(telegram_api.sent(USER)) == 9
    assert len(telegram_api.calls("answerCallbackQuery")) == 5

    # The offer check itself: a pasted ad comes back as a report quoting its evidence, and a
    # high risk offers a person at once.
    [prompt] = reply(press(10, "offer"))
    assert buttons(prompt) == ["offerq", "menu"]
    [report] = reply(text_update(11, RISKY_OFFER))
    assert buttons(report)[0] == "human:high_risk_offer"
    assert "<b>" in report["text"] and "0 800 77777" in report["text"]
    assert len(report["text"]) <= 4096

    proc.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
    assert "Application shutdown complete." in log.read_text("utf-8")
    assert_clean(log)


def test_telegram_poll_as_a_process_answers_and_stops_on_ctrl_c(
        process: Callable[[str], Start], tmp_path: Path, telegram_api: FakeTelegramAPI) -> None:
    # SQLite only: the database work is the webhook's (same TelegramChannel.process), which
    # runs on both engines above and in test_webhook.py; this checks the command and Ctrl-C.
    telegram_api.webhook = {"url": f"{PUBLIC_URL}/webhooks/telegram"}  # set by an earlier serve
    telegram_api.queue_updates(text_update(41, "/start"), press(42, "lang:ro"))
    proc, log = process(f"sqlite:///{tmp_path / 'poll.sqlite3'}")("telegram-poll")
    telegram_api.wait_for(3, chat_id=USER, timeout=180)  # the first start may train the NLU
    sent = telegram_api.sent(USER)
    assert buttons(sent[0])[0] == "lang:ro" and buttons(sent[2])[0] == "topics"
    methods = [c.method for c in telegram_api.calls()]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 0
    last = telegram_api.calls("getUpdates")[-1].params
    assert last["offset"] == "43"  # the answered updates are confirmed before exiting
    assert_clean(log)


def test_telegram_poll_without_a_token_says_so(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", TELEGRAM_TOKEN="")
    assert telegram_poll(argparse.Namespace(settings=settings)) == 1
    assert "TELEGRAM_TOKEN is not set" in capsys.readouterr().err
