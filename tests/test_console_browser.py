"""The operator console in real headless Chromium, against a real `safemig serve` process.

Users talk through the web chat (`/chat`) in their own browser contexts; operators use
`/console` in theirs. Every test ends by checking that no page broke the Content-Security-
Policy, threw an uncaught error or opened a dialog.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import env_for
from tests.test_browser import CHROMIUM, LAUNCH_ARGS, pytestmark  # noqa: F401 - marks this module

PASSWORD = "password123456"
WAIT = 10_000  # ms: the bound on every expectation
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
BOTH = pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
XSS = "<img src=x onerror=alert(1)>"
# The console also polls every 30 s as a safety net. Switched off in these tests, so that
# whatever shows up without a reload can only have come through the event stream.
NO_POLL = """
const realSetInterval = window.setInterval.bind(window);
window.setInterval = (fn, ms, ...rest) => (ms >= 30000 ? 0 : realSetInterval(fn, ms, ...rest));
"""
# The one-word cells (under ``selector``) that the layout broke over more than one line.
SPLIT_WORDS = """selector => [...document.querySelectorAll(selector)].flatMap(cell => {
  const split = [];
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const word = node.textContent.trim();
    if (!word || /\\s/.test(word)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    if (lines.size > 1) split.push(word);
  }
  return split;
})"""


def add_operators(tmp_path: Path, db_url: str, accounts: dict[str, str]) -> Callable[[], None]:
    """Accounts made the way an administrator makes them, with the CLI, all at once.

    Returns the wait for them: they are made while the server starts (same database).
    """
    procs = [subprocess.Popen([sys.executable, "-m", "bot", "operator", "add", name,
                               "--role", role, "--password-stdin"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=env_for(tmp_path, db_url))
             for name, role in accounts.items()]

    def wait() -> None:
        for proc in procs:
            _, err = proc.communicate(f"{PASSWORD}\n".encode(), timeout=120)
            assert proc.returncode == 0, err.decode()

    return wait


class Web:
    """One browser against one server; every page it opens is watched for trouble."""

    def __init__(self, browser: Any, base: str) -> None:
        self.browser = browser
        self.base = base
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []

    def page(self, path: str, *, phone: bool = False) -> Any:
        """A fresh context (own cookies and storage) with one page at ``path``."""
        if phone:
            context = self.browser.new_context(viewport={"width": 390, "height": 844},
                                               locale="en-GB", is_mobile=True, has_touch=True)
        else:
            context = self.browser.new_context(viewport={"width": 1280, "height": 900},
                                               locale="en-GB")
        context.set_default_timeout(WAIT)
        if path == "/console":
            context.add_init_script(NO_POLL)
        page = context.new_page()
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("dialog", self._on_dialog)
        page.goto(self.base + path)
        return page

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def console(self, name: str, *, phone: bool = False) -> Any:
        """The console, signed in as ``name``, with its live stream connected."""
        page = self.page("/console", phone=phone)
        login(page, name)
        return page

    def user(self, *, typed: bool = False) -> Any:
        """A person in the web chat who chose English and asked for a person.

        With the "Talk to a person" button, or by typing ``/human`` when ``typed``.
        """
        from playwright.sync_api import expect

        page = self.page("/chat")
        page.get_by_role("button", name="English").click()
        human = page.locator(".buttons:not(.used) button[data-id='human']")
        expect(human).to_be_visible()
        if typed:
            send(page, "/human")
        else:
            human.click()
        expect(page.locator(".msg.bot").last).to_contain_text("Your place in the queue")
        return page

    def assert_clean(self) -> None:
        """No CSP violation, no uncaught error and no dialog on any page."""
        csp = [m for m in self.console_errors if "Content Security Policy" in m]
        assert csp == [], csp
        assert self.page_errors == []
        assert self.dialogs == []


def login(page: Any, name: str, password: str = PASSWORD) -> None:
    from playwright.sync_api import expect

    page.locator("#username").fill(name)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    expect(page.locator("#logout")).to_be_visible()
    expect(page.locator("#live")).to_have_attribute("data-state", "live")


def send(user: Any, text: str) -> None:
    """The person types and sends a message in the web chat."""
    user.locator("#text").fill(text)
    user.locator("#send").click()


@pytest.fixture
def web(server_factory: Any, tmp_path: Path, db_url: str) -> Iterator[Callable[..., Web]]:
    """``web(ana="operator", ...)`` makes those accounts, starts the server and a browser."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT)
    with sync_playwright() as pw:
        browsers: list[Any] = []

        def start(**accounts: str) -> Web:
            accounts_made = add_operators(tmp_path, db_url, accounts)
            base = server_factory()
            accounts_made()
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            browsers.append(browser)
            return Web(browser, base)

        yield start
        for browser in browsers:
            browser.close()
    expect.set_options(timeout=None)  # back to Playwright's default for other modules


@SQLITE
def test_sign_in_survives_a_reload_and_sign_out_ends_it(web: Callable[..., Web]) -> None:
    from playwright.sync_api import expect

    w = web(ana="operator")
    page = w.page("/console")
    # The page runs under the strict policy whose violations every test looks for.
    answer = page.request.get(w.base + "/console")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    expect(page.locator("#login-form")).to_be_visible()
    # ...and a violation would be seen: an injected inline script is refused and reported.
    page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.injected = true'; document.head.append(s); }""")
    for _ in range(50):  # the console message comes a moment later
        refused = [m for m in w.console_errors if "Content Security Policy" in m]
        if refused:
            break
        page.wait_for_timeout(100)
    assert len(refused) == 1, w.console_errors
    assert page.evaluate("window.injected") is None
    w.console_errors.remove(refused[0])

    page.locator("#username").fill("ana")
    page.locator("#password").fill("not-the-password")
    page.locator("#login-submit").click()
    expect(page.locator("#login-error")).to_be_visible()
    expect(page.locator("#login-error")).to_have_text("Wrong name or password.")
    expect(page.locator("#app-view")).to_be_hidden()
    expect(page.locator("#password")).to_have_value("")

    login(page, "ana")
    expect(page.locator("#login-form")).to_be_hidden()
    expect(page.locator("#login-error")).to_be_hidden()
    expect(page.locator("[data-tab='waiting']")).to_have_attribute("aria-current", "page")
    expect(page.locator("#queue-empty")).to_have_text("No one is waiting.")
    expect(page.locator("#whoami")).to_contain_text("ana")
    # The language toggle changes every label, and the choice outlives a reload.
    page.locator("#lang").click()
    expect(page.locator("[data-tab='waiting']")).to_contain_text("În așteptare")
    expect(page.locator("#queue-empty")).to_have_text("Nu așteaptă nimeni.")
    expect(page.locator("#lang")).to_have_text("English")

    page.reload()
    expect(page.locator("[data-tab='waiting']")).to_be_visible()
    expect(page.locator("#login-form")).to_be_hidden()
    expect(page.locator("#whoami")).to_contain_text("ana")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    expect(page.locator("[data-tab='waiting']")).to_contain_text("În așteptare")
    page.locator("#lang").click()
    expect(page.locator("[data-tab='waiting']")).to_contain_text("Waiting")

    page.locator("#logout").click()
    expect(page.locator("#login-form")).to_be_visible()
    expect(page.locator("#app-view")).to_be_hidden()
    expect(page.locator("#queue")).to_be_empty()
    # The server ended the session too: a reload does not bring it back.
    page.reload()
    expect(page.locator("#login-form")).to_be_visible()
    expect(page.locator("#app-view")).to_be_hidden()
    w.assert_clean()


@BOTH
def test_a_request_arrives_live_and_the_conversation_flows_both_ways(
        web: Callable[..., Web]) -> None:
    from playwright.sync_api import expect

    w = web(ana="operator")
    console = w.console("ana")
    expect(console.locator("#queue-empty")).to_have_text("No one is waiting.")
    console.evaluate("window.notReloaded = true")

    # 2. The request shows up without a reload, pushed by the event stream.
    user = w.user()
    row = console.locator(".handoff-row")
    expect(row).to_have_count(1)
    expect(console.locator("[data-tab='waiting']")).to_have_attribute("aria-current", "page")
    expect(row).to_contain_text("Web chat")
    expect(row).to_contain_text("Asked for a person")
    expect(row).not_to_have_class(re.compile(r"\burgent\b"))
    expect(console.locator("#count-waiting")).to_have_text("1")
    assert console.evaluate("window.notReloaded") is True

    # 3. Claim: the person hears that someone joined.
    row.click()
    expect(console.locator("#claim")).to_be_visible()
    console.locator("#claim").click()
    expect(user.locator(".msg.bot").last).to_contain_text("has joined the chat")
    expect(console.locator("#claim")).to_be_hidden()
    expect(console.locator("#reply-form")).to_be_visible()

    console.locator("#reply-text").fill("Hello, I am Ana from the hotline. How can I help?")
    console.locator("#reply-send").click()
    expect(user.locator(".msg.bot").last).to_contain_text(
        "Hello, I am Ana from the hotline. How can I help?")
    expect(console.locator("#transcript .msg.operator").last).to_contain_text(
        "Hello, I am Ana from the hotline.")
    expect(console.locator("#reply-text")).to_have_value("")

    send(user, "I was offered a job in a warehouse in Poland")
    expect(console.locator("#transcript .msg.user .text").last).to_have_text(
        "I was offered a job in a warehouse in Poland")

    # 4. What the person writes is text, never markup.
    send(user, XSS)
    expect(console.locator("#transcript .msg.user .text").last).to_have_text(XSS)
    assert console.locator("#detail img").count() == 0

    # 7. A note stays with the operators.
    note = "Internal: sounds like the agency from last week"
    console.locator("#note-text").fill(note)
    console.locator("#note-add").click()
    expect(console.locator("#transcript .note").last).to_contain_text(note)
    expect(console.locator("#note-text")).to_have_value("")
    # A reply sent after the note is a barrier: once it has arrived, the note would have too.
    console.locator("#reply-text").fill("Can you send me the advert?")
    console.locator("#reply-send").click()
    expect(user.locator(".msg.bot").last).to_contain_text("Can you send me the advert?")
    expect(user.locator("#log")).not_to_contain_text("sounds like the agency")
    assert console.evaluate("window.notReloaded") is True
    w.assert_clean()


@SQLITE
def test_transfer_hands_the_chat_over_and_close_gives_it_back_to_the_bot(
        web: Callable[..., Web]) -> None:
    from playwright.sync_api import expect

    w = web(ana="operator", ion="operator")
    ana = w.console("ana")
    ion = w.console("ion")
    ion.locator("[data-tab='mine']").click()
    expect(ion.locator("#queue-empty")).to_have_text("You are not holding any chat.")

    user = w.user()
    row = ana.locator(".handoff-row")
    expect(row).to_have_count(1)
    handoff_id = row.get_attribute("data-id")
    row.click()
    ana.locator("#claim").click()
    expect(user.locator(".msg.bot").last).to_contain_text("has joined the chat")

    # 5. Transfer: it lands in Ion's "Mine" live; Ana can no longer write.
    expect(ana.locator("#transfer-to option[value='ion']")).to_be_attached()
    ana.locator("#transfer-to").select_option("ion")
    ana.locator("#transfer").click()
    expect(ana.locator("#reply-form")).to_be_hidden()
    expect(ana.locator("#reply-text")).to_be_hidden()
    expect(ana.locator("#held-by")).to_have_text("ion is handling this chat.")
    expect(ana.locator("#transfer-form")).to_be_hidden()
    expect(ana.locator("#close-form")).to_be_hidden()
    mine = ion.locator(f".handoff-row[data-id='{handoff_id}']")
    expect(mine).to_be_visible()
    expect(mine).to_contain_text("ion (you)")
    expect(ion.locator("#count-mine")).to_have_text("1")

    mine.click()
    expect(ion.locator("#reply-form")).to_be_visible()
    ion.locator("#reply-text").fill("Ion here, I am taking over.")
    ion.locator("#reply-send").click()
    expect(user.locator(".msg.bot").last).to_contain_text("Ion here, I am taking over.")

    # 6. Close takes two clicks; then the bot speaks again, with its menu.
    ion.locator("#outcome").select_option("information_given")
    ion.locator("#close").click()
    expect(ion.locator("#close")).to_have_text("Confirm close")
    expect(ion.locator("#close-ask")).to_be_visible()
    expect(user.locator("#log")).not_to_contain_text("talking to the bot again")
    ion.locator("#close").click()
    expect(user.locator(".msg.bot").last).to_contain_text("You are talking to the bot again")
    expect(user.locator(".buttons:not(.used) button[data-id='human']")).to_be_visible()
    expect(user.locator(".buttons:not(.used) button[data-id='topics']")).to_be_visible()
    expect(ion.locator("#close-form")).to_be_hidden()
    expect(ion.locator("#reply-form")).to_be_hidden()

    ion.locator("[data-tab='closed']").click()
    closed = ion.locator(f".handoff-row[data-id='{handoff_id}']")
    expect(closed).to_be_visible()
    expect(closed).to_contain_text("Information given")
    ana.locator("[data-tab='closed']").click()
    expect(ana.locator(f".handoff-row[data-id='{handoff_id}']")).to_be_visible()
    w.assert_clean()


@SQLITE
def test_only_a_supervisor_sees_the_overview(web: Callable[..., Web]) -> None:
    from playwright.sync_api import expect

    w = web(ana="operator", sef="supervisor")
    ana = w.console("ana")
    sef = w.console("sef")
    w.user()
    expect(sef.locator(".handoff-row")).to_have_count(1)

    tab = sef.locator("[data-tab='supervisor']")
    expect(tab).to_be_visible()
    tab.click()
    overview = sef.locator("#supervisor")
    expect(overview).to_be_visible()
    waiting = overview.locator(".stat").filter(has=sef.locator("dt", has_text="Waiting")).first
    expect(waiting.locator("dd")).to_have_text("1")
    operators = overview.locator("table").filter(has=sef.locator("caption", has_text="Operators"))
    expect(operators.locator("tbody tr")).to_have_count(2)
    expect(operators.locator("tbody tr", has_text="ana")).to_contain_text("operator")
    expect(operators.locator("tbody tr", has_text="sef")).to_contain_text("supervisor")

    expect(ana.locator("[data-tab='waiting']")).to_be_visible()
    expect(ana.locator("[data-tab='supervisor']")).to_be_hidden()
    expect(ana.locator("#supervisor")).to_be_hidden()
    assert ana.request.get(w.base + "/api/supervisor/overview").status == 403

    # The overview's tables fit a phone too: wide content scrolls inside its box.
    phone = w.console("sef", phone=True)
    phone.locator("[data-tab='supervisor']").click()
    expect(phone.locator("#supervisor table").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.evaluate(SPLIT_WORDS, "#supervisor th, #supervisor td") == []
    w.assert_clean()


@SQLITE
def test_on_a_phone_the_list_and_the_chat_take_turns_without_sideways_scroll(
        web: Callable[..., Web]) -> None:
    from playwright.sync_api import expect

    def no_sideways_scroll() -> None:
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    w = web(ana="operator")
    phone = w.page("/console", phone=True)
    expect(phone.locator("#login-form")).to_be_visible()
    no_sideways_scroll()
    login(phone, "ana")
    user = w.user(typed=True)
    row = phone.locator(".handoff-row")
    expect(row).to_have_count(1)
    no_sideways_scroll()

    row.click()
    expect(phone.locator("#detail")).to_be_visible()
    expect(phone.locator("#queue-pane")).to_be_hidden()
    phone.locator("#claim").click()
    expect(phone.locator("#reply-form")).to_be_visible()
    # A long word without spaces must wrap, not push the page sideways.
    send(user, "x" * 300)
    expect(phone.locator("#transcript .msg.user .text").last).to_have_text("x" * 300)
    no_sideways_scroll()

    expect(phone.locator("#back")).to_be_visible()
    phone.locator("#back").click()
    expect(phone.locator("#queue-pane")).to_be_visible()
    expect(phone.locator("#detail")).to_be_hidden()
    expect(phone.locator("#back")).to_be_hidden()
    no_sideways_scroll()
    w.assert_clean()
