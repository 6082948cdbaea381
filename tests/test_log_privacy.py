"""Logs never carry what people write: names, phone numbers, passport numbers.

The whole path runs at DEBUG with the production JSON formatter: free text
through the NLU, an emergency, a pasted offer, a handoff with the user's and
the operator's messages and an internal note. Every log line is then searched
for the private values.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.console.accounts import add_operator
from bot.logs import JsonFormatter, setup_logging
from bot.service import Service
from bot.settings import REPO_ROOT
from bot.web import create_app
from tests.conftest import Chat, RecordingSender, make_settings

NAME = "Zinaida Prodanciuc"
PHONE = "+373 69 123 456"
PASSPORT = "AB1234567"
PRIVATE = (NAME, "Prodanciuc", PHONE, "69123456", "69 123 456", PASSPORT)
ABOUT_ME = f"ma numesc {NAME}, telefonul {PHONE}, pasaportul {PASSPORT}"
OFFER = (f"Angajam femei pentru lucru in Germania, 3000 euro pe luna, fara contract. "
         f"Pasaportul il pastram noi. Platiti 500 euro pentru viza. Sunati {NAME} la {PHONE}.")


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything logged, as the service formats it in production, at DEBUG."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    setup_logging("DEBUG")
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    yield buffer
    root.handlers[:], root.level = saved


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_what_people_write_never_reaches_the_logs(
        tmp_path: Path, db_url: str, nlu_model: Any, log_lines: io.StringIO) -> None:
    settings = make_settings(tmp_path, db_url, CONTENT_DIR=REPO_ROOT / "content")
    service = Service.build(settings, {"test": RecordingSender()}, nlu=nlu_model)
    user = Chat(service, service.senders["test"])  # type: ignore[arg-type]
    try:
        await user.press("lang:ro")
        await user.say(ABOUT_ME)  # free text through the NLU
        await user.say(f"m-au inchis si mi-au luat pasaportul {PASSPORT}, {NAME}")  # emergency
        await user.press("offer")
        await user.say(OFFER)
        await user.say(ABOUT_ME)  # relayed to the operator: the chat is in the queue
        await add_operator(service.db, "ana", "correct horse battery")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)),
                                     base_url="http://testserver") as ana:
            csrf = (await ana.post("/api/auth/login", json={
                "username": "ana", "password": "correct horse battery"})).json()["csrf_token"]
            headers = {"X-CSRF-Token": csrf}
            [handoff] = (await ana.get("/api/handoffs")).json()
            base = f"/api/handoffs/{handoff['id']}"
            assert (await ana.post(base + "/claim", headers=headers)).status_code == 200
            await ana.get(base)
            for path in ("/messages", "/notes"):
                answer = await ana.post(base + path, headers=headers,
                                        json={"text": f"{NAME}, sunati la {PHONE}"})
                assert answer.status_code == 200
            await ana.post(base + "/close", headers=headers, json={"outcome": "possible_victim"})
        await service.outbox.drain()
    finally:
        await service.db.dispose()
    logged = log_lines.getvalue()
    for event in ("handoff_opened", "handoff_claim", "handoff_reply", "handoff_close", "turn"):
        assert f'"event": "{event}"' in logged, f"expected a {event} line"
    leaks = [value for value in PRIVATE if value in logged]
    bad = [line for line in logged.splitlines() if any(v in line for v in PRIVATE)]
    assert leaks == [], f"private values in the logs: {leaks} {bad[:5]}"
