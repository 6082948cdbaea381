"""The operator console: its JSON API, sessions, accounts and the static pages."""

from bot.console.pages import register_console

__all__ = ["register_console"]
