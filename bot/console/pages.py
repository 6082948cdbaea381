"""Serves the console page and mounts the API, with strict security headers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from bot.console.api import ApiError, build_router
from bot.console.canned import load_canned
from bot.service import Service

STATIC = Path(__file__).resolve().parent / "static"
# The console runs only its own script and style: user text can never become code.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; media-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'self'")


class SecurityHeaders(BaseHTTPMiddleware):
    """Headers for the console and the API: no framing, no sniffing, no caching of data."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        path = request.url.path
        if path.startswith(("/console", "/api")):
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "no-referrer")
            response.headers.setdefault("X-Frame-Options", "DENY")
        if path.startswith("/console"):
            response.headers.setdefault("Content-Security-Policy", CSP)
        if path.startswith("/api") and path != "/api/openapi.json":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_console(app: FastAPI, service: Service) -> None:
    """Add ``/console`` and ``/api`` to the application."""
    canned = load_canned(service.settings.content_dir, service.content)
    app.include_router(build_router(service, canned, service.dialogue.offers))
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)

    @app.get("/console", include_in_schema=False)
    async def console() -> FileResponse:
        return FileResponse(STATIC / "console.html", media_type="text/html")

    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
