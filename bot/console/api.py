"""The operator API (``/api/...``, see docs/operator-api.md): the console is its first client.

Every call runs in one transaction; verbs live in ``bot.handoff.service``, and
this module only checks who is asking, translates to JSON and publishes the
events after the commit.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException

from bot.console import schemas
from bot.console.accounts import authenticate
from bot.console.auth import (
    COOKIE,
    SESSION_LIFETIME,
    AuthError,
    LoggedIn,
    Sessions,
    Throttle,
    client_address,
)
from bot.console.canned import CannedReply
from bot.handoff import Event, HandoffError, Handoffs
from bot.handoff.service import median_wait
from bot.offers import OfferData
from bot.service import Service
from bot.storage import AuditEntry, Handoff, OfferCheck, Operator
from bot.storage.models import utcnow

T = TypeVar("T")
PING_EVERY = 15.0
# Ids are INTEGER columns: a larger number finds nothing, and the database driver would
# raise instead of answering 404 (asyncpg: out of int32 range; SQLite: OverflowError).
HandoffId = Annotated[int, Path(ge=-(2**31), le=2**31 - 1)]
# FastAPI answers 400 for a body it cannot decode (not UTF-8), 422 for one that does not fit.
BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"description": "the body cannot be read (not JSON in UTF-8)"}}


class ApiError(HTTPException):
    """An HTTP error with a JSON ``detail`` (and Retry-After for a 429)."""


def build_router(service: Service, canned: dict[str, tuple[CannedReply, ...]],
                 offers: OfferData | None) -> APIRouter:
    """The ``/api`` routes around one service."""
    router = APIRouter(prefix="/api", tags=["operators"])
    sessions = Sessions(service.keyring)
    throttle = Throttle(service.keyring)
    handoffs: Handoffs = service.handoffs

    async def run(request: Request, work: Callable[[AsyncSession, LoggedIn], Awaitable[T]],
                  *, csrf: bool, role: str | None = None) -> T:
        """Authenticate and run ``work`` in one transaction, mapping refusals to HTTP."""
        try:
            async with service.db.transaction() as session:
                who = await sessions.require(session, request, csrf=csrf)
                if role is not None and who.operator.role != role:
                    raise AuthError(403, f"only a {role} may do this")
                return await work(session, who)
        except AuthError as exc:
            raise ApiError(exc.status, exc.detail) from None
        except HandoffError as exc:
            raise ApiError(exc.status, exc.detail) from None

    # --- sessions ---------------------------------------------------------------------

    @router.post("/auth/login", response_model=schemas.Me,
                 responses={**BAD_BODY, 401: {"description": "wrong name or password"},
                            429: {"description": "too many failed logins"}})
    async def login(body: schemas.Login, request: Request) -> JSONResponse:
        """Log in: sets an HttpOnly session cookie and answers the CSRF token."""
        address = client_address(request)
        try:
            async with service.db.transaction() as session:
                await throttle.check(session, body.username, address)
                operator = await authenticate(session, body.username, body.password)
                if operator is None:
                    await throttle.failed(session, body.username, address)
                else:
                    await throttle.succeeded(session, body.username)
                    token, csrf = await sessions.start(session, operator)
                    session.add(AuditEntry(operator_id=operator.id, action="login"))
        except AuthError as exc:
            headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
            return JSONResponse({"detail": exc.detail}, exc.status, headers=headers)
        if operator is None:
            return JSONResponse({"detail": "wrong name or password"}, 401)
        answer = JSONResponse({"username": operator.username, "role": operator.role,
                               "csrf_token": csrf})
        answer.set_cookie(COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()),
                          httponly=True, samesite="strict", path="/",
                          secure=_secure(request, service))
        return answer

    @router.post("/auth/logout")
    async def logout(request: Request) -> JSONResponse:
        """End the session in every worker."""
        async def work(session: AsyncSession, who: LoggedIn) -> None:
            await sessions.end(session, request.cookies.get(COOKIE, ""))
            session.add(AuditEntry(operator_id=who.operator.id, action="logout"))

        await run(request, work, csrf=True)
        answer = JSONResponse({})
        answer.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return answer

    @router.get("/auth/me", response_model=schemas.Me)
    async def me(request: Request) -> schemas.Me:
        """The logged-in operator, so that a reloaded console carries on."""
        async def work(session: AsyncSession, who: LoggedIn) -> schemas.Me:
            return schemas.Me(username=who.operator.username, role=who.operator.role,
                              csrf_token=who.csrf_token)

        return await run(request, work, csrf=False)

    # --- handoffs -----------------------------------------------------------------------

    @router.get("/handoffs", response_model=list[schemas.HandoffSummary])
    async def list_handoffs(request: Request, status: schemas.Queue = "waiting",
                            ) -> list[schemas.HandoffSummary]:
        """Handoffs in queue order: urgent first, then oldest first (closed: newest first)."""
        async def work(session: AsyncSession, who: LoggedIn) -> list[schemas.HandoffSummary]:
            query = select(Handoff, Operator.username).outerjoin(
                Operator, Operator.id == Handoff.assignee_id)
            if status == "closed":
                query = query.where(Handoff.status == "closed").order_by(
                    Handoff.closed_at.desc(), Handoff.id.desc()).limit(200)
            else:
                query = query.where(Handoff.status == ("waiting" if status == "waiting"
                                                       else "active"))
                if status == "mine":
                    query = query.where(Handoff.assignee_id == who.operator.id)
                query = query.order_by(Handoff.urgent.desc(), Handoff.opened_at, Handoff.id)
            rows = (await session.execute(query)).all()
            now = utcnow()
            return [summary(h, name, now, i + 1 if h.status == "waiting" else None)
                    for i, (h, name) in enumerate(rows)]

        return await run(request, work, csrf=False)

    @router.get("/handoffs/{handoff_id}", response_model=schemas.HandoffDetail,
                responses={404: {"description": "no such handoff"}})
    async def get_handoff(handoff_id: HandoffId, request: Request) -> schemas.HandoffDetail:
        """One handoff with its transcript, notes and offer checks (the read is audited)."""
        async def work(session: AsyncSession, who: LoggedIn) -> schemas.HandoffDetail:
            handoff = await handoffs.get(session, handoff_id)
            return await detail(session, handoff, who.operator)

        return await run(request, work, csrf=False)

    async def detail(session: AsyncSession, handoff: Handoff,
                     operator: Operator) -> schemas.HandoffDetail:
        assignee = (await session.get(Operator, handoff.assignee_id)
                    if handoff.assignee_id else None)
        position = None
        if handoff.status == "waiting":
            position = (await handoffs.queue_info(session, handoff)).position
        base = summary(handoff, assignee.username if assignee else None, utcnow(), position)
        extra = await handoffs.read(session, handoff, operator)
        return schemas.HandoffDetail(
            **base.model_dump(),
            messages=[schemas.TranscriptMessage(**m) for m in extra["messages"]],
            notes=[schemas.Note(**n) for n in extra["notes"]],
            offer_checks=[check_view(c, offers) for c in extra["offer_checks"]])

    def verb(name: str, *, body: bool = True) -> Callable[..., Any]:
        return router.post(f"/handoffs/{{handoff_id}}/{name}",
                           responses={**(BAD_BODY if body else {}),
                                      404: {"description": "no such handoff"},
                                      409: {"description": "not in a state that allows this"}})

    async def change(request: Request,
                     work: Callable[[AsyncSession, LoggedIn], Awaitable[tuple[T, list[Event]]]],
                     ) -> T:
        """Run a state-changing verb (CSRF checked); publish its events after the commit."""
        answer, events = await run(request, work, csrf=True)
        service.outbox.wake()
        await service.events.publish(events)
        return answer

    @verb("claim", body=False)
    async def claim(handoff_id: HandoffId, request: Request) -> schemas.HandoffDetail:
        """Take a waiting handoff: 200 to the one operator who wins, 409 to the others."""
        async def work(session: AsyncSession,
                       who: LoggedIn) -> tuple[schemas.HandoffDetail, list[Event]]:
            handoff, events = await handoffs.claim(session, handoff_id, who.operator)
            return await detail(session, handoff, who.operator), events

        return await change(request, work)

    @verb("messages")
    async def reply(handoff_id: HandoffId, body: schemas.Text,
                    request: Request) -> schemas.TranscriptMessage:
        """Reply to the user; delivered through the outbox, in order, exactly once."""
        async def work(session: AsyncSession,
                       who: LoggedIn) -> tuple[schemas.TranscriptMessage, list[Event]]:
            message, events = await handoffs.reply(session, handoff_id, who.operator, body.text)
            return schemas.TranscriptMessage(id=message.id, sender="operator", kind="text",
                                             text=message.text, at=message.created_at,
                                             operator=who.operator.username), events

        return await change(request, work)

    @verb("notes")
    async def add_note(handoff_id: HandoffId, body: schemas.Text, request: Request) -> schemas.Note:
        """An internal note, never sent to the user."""
        async def work(session: AsyncSession, who: LoggedIn) -> tuple[schemas.Note, list[Event]]:
            note, events = await handoffs.note(session, handoff_id, who.operator, body.text)
            return schemas.Note(id=note.id, author=who.operator.username, text=note.text,
                                at=note.created_at), events

        return await change(request, work)

    @verb("transfer")
    async def transfer(handoff_id: HandoffId, body: schemas.Transfer,
                       request: Request) -> schemas.HandoffDetail:
        """Hand the chat to another operator."""
        async def work(session: AsyncSession,
                       who: LoggedIn) -> tuple[schemas.HandoffDetail, list[Event]]:
            handoff, events = await handoffs.transfer(session, handoff_id, who.operator,
                                                      body.operator)
            return await detail(session, handoff, who.operator), events

        return await change(request, work)

    @verb("close")
    async def close(handoff_id: HandoffId, body: schemas.Close,
                    request: Request) -> schemas.HandoffDetail:
        """Close with an outcome; the bot takes the chat back."""
        async def work(session: AsyncSession,
                       who: LoggedIn) -> tuple[schemas.HandoffDetail, list[Event]]:
            handoff, events = await handoffs.close(session, handoff_id, who.operator,
                                                   body.outcome)
            return await detail(session, handoff, who.operator), events

        return await change(request, work)

    @router.get("/events", response_class=StreamingResponse,
                responses={200: {"content": {"text/event-stream": {}}}})
    async def events(request: Request) -> Response:
        """Server-Sent Events: hints (no text) that a handoff or its transcript changed."""
        async def work(session: AsyncSession, who: LoggedIn) -> None:
            return None

        await run(request, work, csrf=False)
        return StreamingResponse(stream(request), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store",
                                          "X-Accel-Buffering": "no"})

    async def stream(request: Request) -> AsyncIterator[str]:
        async with service.events.subscribe() as queue:
            yield "retry: 3000\n\n"
            while not await request.is_disconnected():
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=PING_EVERY)
                except TimeoutError:
                    yield ": ping\n\n"
                    continue
                yield f"data: {event.to_json()}\n\n"

    # --- reference data -----------------------------------------------------------------

    @router.get("/operators", response_model=list[schemas.OperatorView])
    async def operators(request: Request) -> list[schemas.OperatorView]:
        """Active accounts and how many chats each holds (transfer targets)."""
        async def work(session: AsyncSession, who: LoggedIn) -> list[schemas.OperatorView]:
            load = await _active_load(session)
            rows = await session.scalars(select(Operator).where(Operator.active.is_(True))
                                         .order_by(Operator.username))
            return [schemas.OperatorView(username=o.username, role=o.role,
                                         active_handoffs=load.get(o.id, 0)) for o in rows]

        return await run(request, work, csrf=False)

    @router.get("/canned", response_model=list[schemas.Canned])
    async def canned_replies(request: Request,
                             language: str = Query("ro", max_length=8)) -> list[schemas.Canned]:
        """Canned replies in one language (English when there are none in it)."""
        async def work(session: AsyncSession, who: LoggedIn) -> list[schemas.Canned]:
            replies = canned.get(language) or canned.get("en", ())
            return [schemas.Canned(id=r.id, title=r.title, text=r.text) for r in replies]

        return await run(request, work, csrf=False)

    @router.get("/supervisor/overview", response_model=schemas.Overview,
                responses={403: {"description": "supervisors only"}})
    async def overview(request: Request) -> schemas.Overview:
        """Every operator's load, waiting times and outcomes."""
        async def work(session: AsyncSession, who: LoggedIn) -> schemas.Overview:
            return await _overview(session)

        return await run(request, work, csrf=False, role="supervisor")

    @router.get("/audit", response_model=list[schemas.AuditView],
                responses={403: {"description": "supervisors only"}})
    async def audit(request: Request,
                    limit: int = Query(100, ge=1, le=1000)) -> list[schemas.AuditView]:
        """Who read, claimed, replied, transferred and closed what; newest first."""
        async def work(session: AsyncSession, who: LoggedIn) -> list[schemas.AuditView]:
            rows = await session.execute(
                select(AuditEntry, Operator.username)
                .outerjoin(Operator, Operator.id == AuditEntry.operator_id)
                .order_by(AuditEntry.id.desc()).limit(limit))
            return [schemas.AuditView(at=a.at, operator=name, action=a.action,
                                      handoff_id=a.handoff_id, detail=dict(a.detail))
                    for a, name in rows.all()]

        return await run(request, work, csrf=False, role="supervisor")

    return router


def summary(handoff: Handoff, assignee: str | None, now: datetime,
            position: int | None) -> schemas.HandoffSummary:
    """The list form of a handoff."""
    until = handoff.claimed_at or (handoff.closed_at if handoff.status == "closed" else now)
    return schemas.HandoffSummary(
        id=handoff.id, pseudonym=handoff.pseudonym, language=handoff.language,
        channel=handoff.channel, reason=handoff.reason, urgent=handoff.urgent,
        risk=handoff.risk, status=handoff.status, opened_at=handoff.opened_at,
        claimed_at=handoff.claimed_at, closed_at=handoff.closed_at,
        waiting_seconds=max(0, int(((until or now) - handoff.opened_at).total_seconds())),
        last_activity_at=handoff.last_activity_at, assignee=assignee,
        outcome=handoff.outcome, after_hours=handoff.after_hours, position=position)


def check_view(check: OfferCheck, offers: OfferData | None) -> schemas.OfferCheckView:
    """A stored offer check with English titles and explanations."""
    report = check.report or {}

    def flags(key: str) -> list[schemas.Flag]:
        out = []
        for finding in report.get(key, []):
            fid = str(finding.get("id", ""))
            rule = offers.catalogue.by_id.get(fid) if offers else None
            text = rule.text.get("en", {}) if rule else {}
            out.append(schemas.Flag(
                id=fid, title=fid.replace("_", " ").capitalize(),
                explanation=str(text.get("explanation", "")),
                evidence=[str(e.get("quote", "")) for e in finding.get("evidence", [])
                          if e.get("quote")]))
        return out

    return schemas.OfferCheckView(id=check.id, at=check.created_at, source=check.source,
                                  risk=check.risk, score=check.score, flags=flags("flags"),
                                  protective=flags("protective"))


async def _active_load(session: AsyncSession) -> dict[int, int]:
    rows = await session.execute(
        select(Handoff.assignee_id, func.count()).where(Handoff.status == "active")
        .group_by(Handoff.assignee_id))
    return {int(op): int(n) for op, n in rows.all() if op is not None}


async def _overview(session: AsyncSession) -> schemas.Overview:
    now = utcnow()
    count, urgent, oldest = (await session.execute(
        select(func.count(), func.count().filter(Handoff.urgent.is_(True)),
               func.min(Handoff.opened_at)).where(Handoff.status == "waiting"))).one()
    load = await _active_load(session)
    week = now - timedelta(days=7)
    closed = await session.execute(
        select(Handoff.assignee_id, Handoff.claimed_at, Handoff.first_reply_at)
        .where(Handoff.status == "closed", Handoff.closed_at >= week))
    closed_by: dict[int, int] = {}
    replies_by: dict[int, list[float]] = {}
    for op, claimed, first in closed.all():
        if op is None:
            continue
        closed_by[op] = closed_by.get(op, 0) + 1
        if claimed and first:
            replies_by.setdefault(op, []).append((first - claimed).total_seconds())
    operators = []
    for o in await session.scalars(select(Operator).where(Operator.active.is_(True))
                                   .order_by(Operator.username)):
        waits = replies_by.get(o.id)
        operators.append(schemas.OperatorLoad(
            username=o.username, role=o.role, active_handoffs=load.get(o.id, 0),
            closed_7d=closed_by.get(o.id, 0),
            median_first_reply_seconds_7d=int(statistics.median(waits)) if waits else None))
    month = now - timedelta(days=30)
    outcomes = await session.execute(
        select(Handoff.outcome, func.count()).where(Handoff.closed_at >= month,
                                                    Handoff.outcome.is_not(None))
        .group_by(Handoff.outcome))
    reasons = await session.execute(
        select(Handoff.reason, func.count()).where(Handoff.opened_at >= month)
        .group_by(Handoff.reason))
    typical = await median_wait(session, now, days=7)
    return schemas.Overview(
        waiting=schemas.WaitingStats(
            count=int(count), urgent=int(urgent),
            oldest_seconds=int((now - oldest).total_seconds()) if oldest else None),
        operators=operators,
        median_wait_seconds_7d=int(typical.total_seconds()) if typical else None,
        outcomes_30d={str(k): int(v) for k, v in outcomes.all()},
        reasons_30d={str(k): int(v) for k, v in reasons.all()})


def _secure(request: Request, service: Service) -> bool:
    """Secure cookies behind HTTPS (directly or via a proxy uvicorn trusts)."""
    return request.url.scheme == "https" or service.settings.public_url.startswith("https://")

