"""The web chat in real headless Chromium on a phone-sized screen."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed"),
]
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def page(server_factory: Any) -> Any:
    from playwright.sync_api import sync_playwright

    base = server_factory()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ro-MD",
                                      is_mobile=True, has_touch=True)
        tab = context.new_page()
        tab.goto(base + "/chat")
        yield tab
        browser.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_person_on_a_phone_reaches_an_answer_and_comes_back(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Română").click()
    expect(page.get_by_role("button", name="Safe migration topics").or_(
        page.get_by_role("button", name="Teme despre migrația sigură"))).to_be_visible()
    page.locator(".buttons:not(.used) button[data-id='topics']").click()
    page.locator(".buttons:not(.used) button[data-id='cat:help']").click()
    page.locator(".buttons:not(.used) button[data-id='topic:hotline_contacts']").click()
    expect(page.locator(".msg.bot").last).to_contain_text("0 800 77777")
    page.locator(".buttons:not(.used) button[data-id='menu']").click()
    expect(page.locator(".buttons:not(.used) button[data-id='offer']")).to_be_visible()
    # Nothing spills sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_what_a_person_types_is_shown_as_text(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="English").click()
    page.locator("#text").fill("<img src=x onerror=alert(1)>")
    page.locator("#send").click()
    expect(page.locator(".msg.me").last).to_have_text("<img src=x onerror=alert(1)>")
    assert page.locator(".msg img").count() == 0
