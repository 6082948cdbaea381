"""The ASGI application: web chat, webhooks, the operator console, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.channels.telegram import register_telegram
from bot.channels.viber import register_viber
from bot.channels.web import WebSender
from bot.channels.web import router as web_router
from bot.console import register_console
from bot.housekeeping import housekeeping
from bot.service import Service


def app_from_environment() -> FastAPI:
    """The application as each process of ``safemig serve --workers N`` builds it."""
    from bot.logs import setup_logging
    from bot.settings import load_settings

    settings = load_settings()
    setup_logging(settings.log_level)
    return create_app(Service.build(settings, {}))


def create_app(service: Service) -> FastAPI:
    """The whole HTTP surface of one process, around an already built service."""
    web_sender = WebSender()
    service.add_sender(web_sender)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = [asyncio.create_task(service.outbox.run(stop), name="outbox"),
                 asyncio.create_task(service.events.run(stop), name="events"),
                 asyncio.create_task(housekeeping(service, stop), name="housekeeping")]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks)
            await service.db.dispose()

    app = FastAPI(title="safemig", version="0.1.0", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url="/api/openapi.json")
    app.state.service = service
    app.state.web_sender = web_sender
    app.include_router(web_router)
    # Messenger channels: each adds its webhook route and sender when its token is set.
    # (channel registrations go here, one line each)
    register_telegram(app, service)
    register_viber(app, service)
    register_console(app, service)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/chat")

    @app.get("/healthz", tags=["health"])
    async def healthz() -> JSONResponse:
        """Liveness and database reachability."""
        ok = await service.db.ping()
        return JSONResponse({"status": "ok" if ok else "degraded",
                             "database": "ok" if ok else "unreachable"},
                            status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
