"""Wall-clock breakdown of a `safemig serve` process, for `benchmarks/load.py --trace`.

Runs the real command (``bot.cli.main(["serve", ...])``) after wrapping a few
coroutines with timers: the webhook's turn and its parts, the outbox's claim and
delivery, the Bot API's HTTP calls. Also counts new database connections (pool
"connect" events) and samples the event loop's lag. Written as JSON to
$SAFEMIG_LOAD_TRACE when the app shuts down. Measuring only: nothing is changed.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path, and its nlu.py would hide the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "benchmarks"]
sys.path.insert(0, str(REPO))

_times: dict[str, list[float]] = defaultdict(list)
_counts: dict[str, int] = defaultdict(int)


def _timed(owner: Any, name: str, label: str) -> None:
    original: Callable[..., Awaitable[Any]] = getattr(owner, name)

    @functools.wraps(original)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            _times[label].append(time.perf_counter() - started)

    setattr(owner, name, wrapper)


async def _loop_lag(period: float = 0.01) -> None:
    while True:
        started = time.perf_counter()
        await asyncio.sleep(period)
        _times["event loop lag (10 ms sleep overshoot)"].append(
            time.perf_counter() - started - period)


def _summary() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, values in _times.items():
        ordered = sorted(values)
        n = len(ordered)
        out[label] = {"n": n, "total_s": round(sum(ordered), 2),
                      "mean_ms": round(1000 * sum(ordered) / n, 1),
                      "p50_ms": round(1000 * ordered[n // 2], 1),
                      "p99_ms": round(1000 * ordered[min(n - 1, int(0.99 * n))], 1)}
    out["counts"] = dict(_counts)
    return out


def install() -> None:
    """Wrap the measured coroutines and register the report."""
    from sqlalchemy import event
    from sqlalchemy.pool import Pool
    from telegram.request import HTTPXRequest

    from bot.channels.telegram.channel import TelegramChannel
    from bot.channels.telegram.sender import TelegramSender
    from bot.core.dialogue import Dialogue
    from bot.outbox import OutboxWorker

    for owner, name, label in (
        (TelegramChannel, "process", "webhook: TelegramChannel.process"),
        (TelegramChannel, "_answer", "webhook: answerCallbackQuery"),
        (Dialogue, "_parse", "webhook: NLU parse (with its language lookup)"),
        (Dialogue, "_language_of", "webhook: language lookup (a read session)"),
        (Dialogue, "_turn", "webhook: the turn's transaction"),
        (OutboxWorker, "drain", "outbox: drain (one pass)"),
        (OutboxWorker, "_claim", "outbox: claim (transaction)"),
        (OutboxWorker, "_deliver", "outbox: deliver one (send + record)"),
        (TelegramSender, "send", "outbox: TelegramSender.send (pacers + HTTP)"),
        (HTTPXRequest, "do_request", "Bot API: HTTP request"),
    ):
        _timed(owner, name, label)

    from aiolimiter import AsyncLimiter

    acquire = AsyncLimiter.acquire

    @functools.wraps(acquire)
    async def traced_acquire(self: Any, amount: float = 1) -> None:
        started = time.perf_counter()
        try:
            await acquire(self, amount)
        finally:
            _times[f"pacing: wait of AsyncLimiter({self.max_rate:g} per "
                   f"{self.time_period:g} s)"].append(time.perf_counter() - started)

    AsyncLimiter.acquire = traced_acquire  # type: ignore[method-assign]

    claim = OutboxWorker._claim

    @functools.wraps(claim)
    async def traced_claim(self: Any, *args: Any, **kwargs: Any) -> Any:
        claimed = await claim(self, *args, **kwargs)
        for item in claimed:
            _times["outbox: reply's wait from commit to claim"].append(item.created_at_age)
        _times["outbox: items per claim"].append(len(claimed) / 1000)  # shown as "ms"
        return claimed

    OutboxWorker._claim = traced_claim  # type: ignore[method-assign]

    @event.listens_for(Pool, "connect")
    def _connected(*_args: Any) -> None:
        _counts["new database connections"] += 1

    def report() -> None:
        path = os.environ.get("SAFEMIG_LOAD_TRACE")
        if path:
            with open(path, "w", encoding="utf-8") as fh:
                json.dump(_summary(), fh, indent=1)

    # The lag probe starts with the app: wrap create_app's lifespan.
    import bot.web

    create_app = bot.web.create_app

    def traced_create_app(service: Any) -> Any:
        app = create_app(service)
        inner = app.router.lifespan_context

        from contextlib import asynccontextmanager

        @asynccontextmanager
        async def lifespan(the_app: Any) -> Any:
            probe = asyncio.create_task(_loop_lag())
            try:
                async with inner(the_app) as state:
                    yield state
            finally:
                probe.cancel()
                report()  # uvicorn re-raises SIGTERM after shutdown: no atexit

        app.router.lifespan_context = lifespan
        return app

    bot.web.create_app = traced_create_app


def main() -> int:
    """`python benchmarks/load_trace.py serve --port P`: the real command, traced."""
    install()
    from bot.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
