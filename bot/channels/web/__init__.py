"""The web chat: a page at /chat talking to the core over a WebSocket."""

from bot.channels.web.routes import router
from bot.channels.web.sender import WebSender

__all__ = ["WebSender", "router"]
