"""Telegram: a webhook inside ``safemig serve``, long polling, and the sender.

Modules: handler (update → core action, pure), keyboard (buttons → inline
keyboard), sender (reply → Bot API calls, typed errors), channel (the library's
Application and lifecycle), webhook (the route), poll (getUpdates). The library
is imported only when the channel is used, so other commands start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from fastapi import FastAPI

    from bot.service import Service
    from bot.settings import Settings

__all__ = ["register_telegram", "telegram_poll"]


def register_telegram(app: FastAPI, service: Service) -> None:
    """Add the webhook, the sender and their start/stop when TELEGRAM_TOKEN is set."""
    if not service.settings.telegram_token.get_secret_value():
        return
    from bot.channels.telegram.webhook import register

    register(app, service)


def telegram_poll(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """``safemig telegram-poll``: long polling, with the outbox in the same process."""
    from bot.channels.telegram.poll import main

    # bot/cli.py hands the settings over on ``args`` (or, formerly, as a second argument).
    return main(settings if settings is not None else args.settings)
