"""Helpers shared by the webhook routes of the messenger channels."""

from __future__ import annotations

from starlette.requests import Request


async def read_limited_body(request: Request, limit: int) -> bytes | None:
    """The raw body, or None once it passes ``limit`` bytes (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
