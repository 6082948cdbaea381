"""The sender: the real library against the fake Bot API on 127.0.0.1.

The OUTGOING table: a reply and the API's canned answers → the HTTP requests the
fake received, and the outcome the outbox sees.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from telegram.error import Conflict, NetworkError, TimedOut

from bot.channels.telegram.channel import build_application
from bot.channels.telegram.keyboard import fits
from bot.channels.telegram.sender import TelegramSender, TokenRejected, send_error
from bot.content import load_content
from bot.core import menus
from bot.core.messages import Button, Outgoing
from bot.i18n import Catalogs
from bot.outbox import PermanentSendError, RecipientBlocked, SendError, Throttled
from bot.render import to_telegram_html
from bot.settings import LANGUAGES, REPO_ROOT
from tests.conftest import FIXTURES, make_settings
from tests.fakes.telegram_api import HANG, PASS, TOKEN, Canned, FakeTelegramAPI, error

CHAT = 412345678


@pytest.fixture
async def sender(telegram_api: FakeTelegramAPI, tmp_path: Path) -> AsyncIterator[TelegramSender]:
    """A sender on an initialized Application (getMe answered by the fake)."""
    telegram_api.reset()
    settings = make_settings(tmp_path, "sqlite:///unused.sqlite3", TELEGRAM_TOKEN=TOKEN,
                             TELEGRAM_API_URL=telegram_api.url)  # no database is opened
    application = build_application(settings, timeout=1.0)
    await application.initialize()
    telegram_api.reset()
    try:
        yield TelegramSender(application.bot)
    finally:
        await application.shutdown()


def req(text: str, markup: dict[str, Any] | None = None, chat: int = CHAT) -> dict[str, Any]:
    """The sendMessage parameters expected (None: the parameter is absent)."""
    return {"chat_id": str(chat), "text": text, "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True}, "reply_markup": markup}


def keyboard(*rows: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """An inline keyboard of (label, callback_data) rows."""
    return {"inline_keyboard": [[{"text": t, "callback_data": d} for t, d in row]
                                for row in rows]}


HELLO = Outgoing("Hello **there**. Call **0 800 77777**.")
HELLO_HTML = "Hello <b>there</b>. Call <b>0 800 77777</b>."
LANGS = tuple((Button(f"lang:{c}", n) for c, n in (("ro", "Română"), ("ru", "Русский"))))


@dataclass(frozen=True)
class Out:
    """One outgoing case."""

    label: str
    message: Outgoing
    answers: tuple[Canned | str, ...] = ()  # canned answers to the next sendMessage calls
    requests: tuple[dict[str, Any], ...] = ()  # sendMessage parameters the fake received
    error: SendError | None = None  # what the outbox sees; None: delivered
    address: str = str(CHAT)


OUTGOING = [
    Out("Send text", HELLO, requests=(req(HELLO_HTML),)),
    Out("Send text with buttons", Outgoing("Choose:", (LANGS, (Button("menu", "Menu"),))),
        requests=(req("Choose:", keyboard((("Română", "lang:ro"), ("Русский", "lang:ru")),
                                           (("Menu", "menu"),))),)),
    Out("Send HTML special characters", Outgoing('Pay < 500 & get > 100 <b>now</b> "ok"'),
        requests=(req('Pay &lt; 500 &amp; get &gt; 100 &lt;b&gt;now&lt;/b&gt; "ok"'),)),
    Out("Send a link", Outgoing("See [La Strada](https://lastrada.md/?a=1&b=2)."),
        requests=(req('See <a href="https://lastrada.md/?a=1&amp;b=2">La Strada</a>.'),)),
    Out("Send a list", Outgoing("Signs:\n- no contract\n- a **fee** first"),
        requests=(req("Signs:\n• no contract\n• a <b>fee</b> first"),)),
    Out("Send button labels as plain text", Outgoing("Hi", ((Button("about", "Q&A <ok>"),),)),
        requests=(req("Hi", keyboard((("Q&A <ok>", "about"),))),)),
    Out("Send a button id over 64 bytes (left out)",
        Outgoing("Hi", ((Button("topic:" + "x" * 60, "Long"), Button("menu", "Menu")),)),
        requests=(req("Hi", keyboard((("Menu", "menu"),))),)),
    Out("Send buttons with no text", Outgoing("", ((Button("menu", "Menu"),),)),
        requests=(req("…", keyboard((("Menu", "menu"),))),)),
    Out("Throttled", HELLO, ("throttled",), (req(HELLO_HTML),), Throttled(7)),
    Out("Blocked by the user", HELLO, ("blocked",), (req(HELLO_HTML),), RecipientBlocked()),
    Out("User deactivated", HELLO, ("deactivated",), (req(HELLO_HTML),), RecipientBlocked()),
    Out("Chat not found", HELLO, ("chat_not_found",), (req(HELLO_HTML),), RecipientBlocked()),
    Out("Bad request", HELLO, ("bad_entities",), (req(HELLO_HTML),), PermanentSendError()),
    Out("Message too long", HELLO, ("too_long",), (req(HELLO_HTML),), PermanentSendError()),
    Out("Group migrated", HELLO, (error(400, "Bad Request: group chat was upgraded to a "
                                            "supergroup chat", migrate_to_chat_id=-100123),),
        (req(HELLO_HTML),), PermanentSendError()),
    Out("Token rejected", HELLO, ("unauthorized",), (req(HELLO_HTML),), TokenRejected()),
    Out("Server error", HELLO, ("server_error",), (req(HELLO_HTML),), SendError()),
    Out("Bad gateway", HELLO, ("bad_gateway",), (req(HELLO_HTML),), SendError()),
    Out("API does not answer", HELLO, (HANG,), (req(HELLO_HTML),), SendError()),
    Out("Address is not a chat id", HELLO, address="web-session-abc", error=PermanentSendError()),
]


@pytest.mark.parametrize("case", OUTGOING, ids=[c.label for c in OUTGOING])
async def test_outgoing(sender: TelegramSender, telegram_api: FakeTelegramAPI,
                        case: Out) -> None:
    telegram_api.fail("sendMessage", *case.answers)
    raised: SendError | None = None
    try:
        await sender.send(case.address, case.message)
    except SendError as exc:
        raised = exc
    if case.error is None:
        assert raised is None, case.label
    else:
        assert type(raised) is type(case.error), case.label
        if isinstance(case.error, Throttled):
            assert isinstance(raised, Throttled) and raised.retry_after == case.error.retry_after
    got = [c.params for c in telegram_api.calls("sendMessage")]
    assert [{k: p.get(k) for k in want} for p, want in zip(got, case.requests, strict=False)] \
        == list(case.requests), case.label
    assert len(got) == len(case.requests), case.label


@pytest.mark.parametrize(("exc", "expected"), [
    (Conflict("Conflict: terminated by other getUpdates request"), SendError),
    (TimedOut(), SendError),
    (NetworkError("httpx.ConnectError: All connection attempts failed"), SendError),
])
def test_errors_without_an_http_answer_are_retried(exc: Exception, expected: type) -> None:
    assert type(send_error(exc)) is expected  # type: ignore[arg-type]


async def test_a_rejected_token_is_logged_loudly_without_the_token(
        sender: TelegramSender, telegram_api: FakeTelegramAPI,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    telegram_api.fail("sendMessage", "unauthorized")
    with pytest.raises(TokenRejected):
        await sender.send(str(CHAT), HELLO)
    ours = [(r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith("bot.")]
    assert ours == [("ERROR", "telegram_token_rejected")]
    assert TOKEN.split(":")[1] not in caplog.text


# --- long answers ---------------------------------------------------------------------------


class Visible(HTMLParser):
    """The text a Telegram user sees; fails on unbalanced or unsupported tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ("b", "a") and not self.open, f"<{tag}> inside {self.open}"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, f"</{tag}> does not close"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible(html: str) -> str:
    parser = Visible()
    parser.feed(html)
    parser.close()
    assert not parser.open, "an HTML tag was cut"
    return "".join(parser.text)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


SENTENCE = ("Check the **licensed agency** at [ANOFM](https://www.anofm.md/?q=1&x=2) & never "
            "pay a fee < 100 € before you sign. ")
LONG_ANSWERS = [
    ("paragraphs", "\n\n".join([SENTENCE * 12] * 10)),
    ("one paragraph of sentences", SENTENCE * 120),
    ("a list", "Signs:\n" + "\n".join(f"- sign {i}: **{SENTENCE.strip()}**" for i in range(90))),
    ("emoji (two UTF-16 units each)", ("😀" * 50 + ". ") * 100),
]


@pytest.mark.parametrize(("label", "text"), LONG_ANSWERS, ids=[a[0] for a in LONG_ANSWERS])
async def test_a_long_answer_arrives_in_parts_with_the_buttons_on_the_last(
        sender: TelegramSender, telegram_api: FakeTelegramAPI, label: str, text: str) -> None:
    await sender.send(str(CHAT), Outgoing(text, (LANGS,)))
    sent = [c.params for c in telegram_api.calls("sendMessage")]
    assert len(sent) >= 2, label
    shown = [visible(p["text"]) for p in sent]
    assert all(utf16(s) <= 4096 for s in shown), [utf16(s) for s in shown]
    assert [p.get("reply_markup") is not None for p in sent] == [False] * (len(sent) - 1) + [True]
    assert words(" ".join(shown)) == words(visible(to_telegram_html(text)))  # nothing lost


async def test_a_retry_resumes_after_the_parts_already_sent(
        sender: TelegramSender, telegram_api: FakeTelegramAPI) -> None:
    reply = Outgoing("\n\n".join([SENTENCE * 12] * 10), (LANGS,))
    telegram_api.fail("sendMessage", PASS, "throttled")
    with pytest.raises(Throttled):
        await sender.send(str(CHAT), reply)
    first = [c.params["text"] for c in telegram_api.calls("sendMessage")]
    await sender.send(str(CHAT), reply)  # the outbox's retry
    texts = [c.params["text"] for c in telegram_api.calls("sendMessage")]
    # Part 1 once, part 2 refused then sent, then the rest: nobody reads part 1 twice.
    assert texts[:2] == first and texts[2] == first[1]
    assert texts.count(first[0]) == 1
    await sender.send(str(CHAT), reply)  # a later, separate send of the same text: all again
    assert telegram_api.calls("sendMessage")[len(texts)].params["text"] == first[0]


def test_every_button_id_the_core_makes_fits_in_callback_data() -> None:
    tr = Catalogs(REPO_ROOT / "locales").get("en")
    ids = [b.id for rows in (menus.language_rows(), menus.main_menu(tr), menus.categories(tr))
           for row in rows for b in row]
    ids += ["human", "human:high_risk_offer", "human:misunderstanding", "bot", "menu",
            "forget:yes", "forget:no", *(f"switch:{c}" for c in LANGUAGES)]
    for content_dir in (REPO_ROOT / "content", FIXTURES / "content"):
        content = load_content(content_dir, 90)
        ids += [f"{kind}:{tid}" for tid in content.topics for kind in ("topic", "more", "did")]
    too_long = [i for i in ids if not fits(i)]
    assert not too_long and len(ids) > 30


async def test_a_dropped_button_is_logged_without_its_text(
        sender: TelegramSender, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    await sender.send(str(CHAT), Outgoing("Hi", ((Button("x" * 65, "secret label"),),)))
    assert [r.getMessage() for r in caplog.records] == ["telegram_button_dropped"]
    assert "secret label" not in caplog.text


async def test_each_chat_is_paced_under_the_flood_limit() -> None:
    import time

    from bot.channels.telegram.sender import ChatPacer

    pacer = ChatPacer(burst=3, period=0.6)
    started = time.monotonic()
    stamps: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(5):
        for chat in (1, 2):
            async with pacer(chat):
                stamps[chat].append(time.monotonic() - started)
    for chat in (1, 2):
        assert stamps[chat][2] < 0.1  # a short burst goes at once
        assert stamps[chat][4] >= 0.3  # then about one per period / burst
    assert stamps[2][0] < 0.1  # one chat's pace never holds another's


async def test_the_overall_rate_is_the_deployments_share(
        telegram_api: FakeTelegramAPI, tmp_path: Path) -> None:
    # With `serve --workers 3` each worker gets 10 of Telegram's 30 messages a second;
    # here one process is given 4: eight chats' replies take at least (8 - 4) / 4 s.
    from bot.cli import worker_rate

    assert worker_rate(make_settings(tmp_path, "sqlite:///unused.sqlite3"), 3) == 10
    telegram_api.reset()
    settings = make_settings(tmp_path, "sqlite:///unused.sqlite3", TELEGRAM_TOKEN=TOKEN,
                             TELEGRAM_API_URL=telegram_api.url, TELEGRAM_MAX_RATE="4")
    application = build_application(settings, timeout=5.0)
    await application.initialize()
    telegram_api.reset()
    try:
        sender = TelegramSender(application.bot)
        chats = [CHAT + n for n in range(8)]
        await asyncio.gather(*(sender.send(str(chat), HELLO) for chat in chats))
    finally:
        await application.shutdown()
    calls = telegram_api.calls("sendMessage")
    assert sorted(int(c.params["chat_id"]) for c in calls) == chats  # each exactly once
    assert calls[-1].at - calls[0].at >= 0.9, [round(c.at - calls[0].at, 2) for c in calls]


@pytest.mark.parametrize("rate", ["0", "31", "fast"])
def test_a_rate_outside_telegrams_limit_is_refused(tmp_path: Path, rate: str) -> None:
    with pytest.raises(ValueError, match="TELEGRAM_MAX_RATE"):
        make_settings(tmp_path, "sqlite:///unused.sqlite3", TELEGRAM_MAX_RATE=rate)
