"""The operator API against its own /api/openapi.json: schemathesis, in process, logged in.

Every operation is called with generated (and deliberately invalid) parameters and
bodies by an operator with a session cookie and its X-CSRF-Token; the answer must
never be a 5xx and must match the document. Users waiting for a person give the
paths with ids something to hit. SQLite only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from argon2 import PasswordHasher
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from bot.console import accounts
from bot.console.accounts import add_operator
from bot.console.auth import COOKIE, CSRF_HEADER, Sessions
from bot.service import Service
from bot.storage import Database, Handoff, Operator
from bot.web import create_app
from tests.conftest import Chat, RecordingSender, make_settings, migrated_database

pytestmark = pytest.mark.fuzz

PASSWORD = "correct horse battery"
OFFER = ("Angajam urgent fete 18-25 ani pentru bar in Cipru, salariu 3000 euro pe luna, "
         "fara experienta. Taxa de inregistrare 200 euro. Scrieti pe Telegram la "
         "+373 69 123 456.")
HANDOFF_IDS = [1, 2, 3, 4]  # the fresh database's four waiting users (checked by ``console``)
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance, negative_data_rejection]


@dataclass
class Console:
    """The app, its database, and the operator logged in through /api/auth/login."""

    app: FastAPI
    service: Service
    cookie: str
    csrf: str

    def fresh_session(self) -> tuple[str, str]:
        """Another session of the same operator (for logout, which would end the main one)."""
        async def start() -> tuple[str, str]:
            # Its own engine: the app's belongs to the event loop that serves the requests.
            db = Database(self.service.settings.database)
            try:
                async with db.transaction() as session:
                    ana = await session.scalar(select(Operator).where(Operator.username == "ana"))
                    assert ana is not None
                    return await Sessions(self.service.keyring).start(session, ana)
            finally:
                await db.dispose()

        return asyncio.run(start())


async def _prepare(tmp: Path) -> tuple[Service, list[int]]:
    async with migrated_database("sqlite", tmp) as url:
        pass
    service = Service.build(make_settings(tmp, url), {"test": RecordingSender()},
                            with_nlu=False)
    await add_operator(service.db, "ana", PASSWORD, "supervisor")
    await add_operator(service.db, "bea", PASSWORD)
    sender = service.senders["test"]
    assert isinstance(sender, RecordingSender)
    for n in range(4):
        chat = Chat(service, sender, f"waiting-{n}")
        await chat.press("lang:en")
        if n == 0:  # a handoff with an offer check, so its detail has one to show
            await chat.press("offer")
            await chat.say(OFFER)
        await chat.say("/human")
    async with service.db.sessions() as session:
        ids = list(await session.scalars(select(Handoff.id).where(Handoff.status == "waiting")
                                         .order_by(Handoff.id)))
    # The requests run in schemathesis's own event loop: connections must not outlive this one.
    await service.db.dispose()
    return service, ids


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A supervisor (an operator who may also read the overview and the audit) logged in."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        # The lowest argon2 cost: the fuzzer tries the login form many times.
        patch.setattr(accounts, "_hasher", cheap)
        patch.setattr(accounts, "_DUMMY", cheap.hash("not a real password"))
        service, ids = asyncio.run(_prepare(tmp_path_factory.mktemp("api")))
        app = create_app(service)
        client = asgi.ASGIClient(app)
        answer = client.post("/api/auth/login", json={"username": "ana", "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        assert ids == HANDOFF_IDS
        yield Console(app, service, answer.cookies[COOKIE], answer.json()["csrf_token"])
        asyncio.run(service.db.dispose())


def _load_schema() -> Any:
    """The document the app serves at /api/openapi.json.

    Read at import, as ``@schema.parametrize`` needs it to make one test per operation
    (``schemathesis.pytest.from_fixture`` fails on pytest 9). The app is built only to
    serve its document: its database is never opened; the requests go to ``console``'s.
    """
    settings = make_settings(Path("unused"), "sqlite:///:memory:")
    app = create_app(Service.build(settings, {}, with_nlu=False))
    answer = asgi.ASGIClient(app).get("/api/openapi.json")
    assert answer.status_code == 200
    return schemathesis.openapi.from_dict(answer.json())


schema = _load_schema()


@schema.hook
def before_generate_path_parameters(context: Any, strategy: Any) -> Any:
    """Random ids rarely exist: half the time, one of the handoffs that do."""
    if "{handoff_id}" not in context.operation.path:
        return strategy
    return strategy | st.sampled_from(HANDOFF_IDS).map(lambda i: {"handoff_id": i})


@schema.hook
def before_generate_body(context: Any, strategy: Any) -> Any:
    """Random names are nobody: half the time, hand the chat to the other operator."""
    if not context.operation.path.endswith("/transfer"):
        return strategy
    return strategy | st.just({"operator": "bea"})


@schema.parametrize()
@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_every_operation_answers_as_documented(case: Any, console: Console) -> None:
    cookie, csrf = console.cookie, console.csrf
    if case.path == "/api/auth/logout":
        cookie, csrf = console.fresh_session()
    # A client of its own for each call: it does not start the app's lifespan (the API needs
    # none of its workers), and no cookie a response sets reaches the next call.
    # The event stream never ends by itself: what it sent within the timeout is checked.
    case.call_and_validate(session=asgi.ASGIClient(console.app), app=console.app,
                           headers={CSRF_HEADER: csrf}, cookies={COOKIE: cookie},
                           checks=CHECKS, timeout=3)
