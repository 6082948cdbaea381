"""Live events for the operator console, across every process of the service.

An event is a hint with no text in it (``{"type", "handoff_id", "urgent",
"status"}``): a console that hears one fetches what changed. On PostgreSQL
events travel by LISTEN/NOTIFY, so a console connected to one process hears
what happened in another; on SQLite (one process) they stay in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.storage import Database

log = logging.getLogger(__name__)

CHANNEL = "safemig_events"
QUEUE_SIZE = 256  # a console that stops reading loses old hints, never blocks the service


@dataclass(frozen=True, slots=True)
class Event:
    """Something changed in a handoff."""

    type: str  # handoff_opened | handoff_changed | message | note
    handoff_id: int
    urgent: bool = False
    status: str = ""

    def to_json(self) -> str:
        """The event as one JSON line."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> Event:
        """Read an event; raises ValueError on anything else."""
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("event is not an object")
        return cls(str(data["type"]), int(data["handoff_id"]), bool(data.get("urgent")),
                   str(data.get("status", "")))


class EventBus:
    """Fan-out of events to this process's subscribers, fed locally or by PostgreSQL."""

    def __init__(self, db: Database, on_event: Callable[[Event], None] | None = None) -> None:
        self.db = db
        self.on_event = on_event
        self._subscribers: set[asyncio.Queue[Event]] = set()
        self._listener: Any = None

    @property
    def shared(self) -> bool:
        """Whether events reach other processes (PostgreSQL)."""
        return not self.db.is_sqlite

    async def publish(self, events: list[Event]) -> None:
        """Send events to every console; call after the change is committed."""
        if not events:
            return
        if not self.shared:
            for event in events:
                self._dispatch(event)
            return
        try:
            async with self.db.engine.connect() as conn:
                for event in events:
                    await conn.execute(text("SELECT pg_notify(:c, :p)"),
                                       {"c": CHANNEL, "p": event.to_json()})
                await conn.commit()
        except Exception as exc:  # consoles also refresh on a timer; a lost hint is tolerable
            log.warning("event_publish_failed", extra={"error": type(exc).__name__})
            for event in events:
                self._dispatch(event)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Event]]:
        """A queue that receives every event while the context is open."""
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    async def run(self, stop: asyncio.Event) -> None:
        """Listen to PostgreSQL until ``stop``; reconnects after an outage."""
        if not self.shared:
            return
        import asyncpg

        url = make_url(self.db.url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        delay = 0.5
        while not stop.is_set():
            lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(dsn, timeout=5)
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("event_listen_failed", extra={"error": type(exc).__name__})
            else:
                delay = 0.5
                try:
                    conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                    await conn.add_listener(CHANNEL, self._on_notify)
                    await _first(stop.wait(), lost.wait(), self._watch(conn, lost))
                finally:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), timeout=2)
            if not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                delay = min(delay * 2, 10.0)

    @staticmethod
    async def _watch(conn: Any, lost: asyncio.Event) -> None:
        # A half-open TCP connection does not end by itself: ask now and then.
        while not lost.is_set():
            await asyncio.sleep(10)
            try:
                await asyncio.wait_for(conn.execute("SELECT 1"), timeout=5)
            except Exception:
                lost.set()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            event = Event.from_json(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("event_unreadable")
            return
        self._dispatch(event)

    def _dispatch(self, event: Event) -> None:
        if self.on_event is not None:
            self.on_event(event)
        for queue in list(self._subscribers):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)


async def _first(*aws: Any) -> None:
    """Wait until the first of several awaitables finishes; cancel the rest."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
