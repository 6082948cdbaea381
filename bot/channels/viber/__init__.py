"""Viber: the webhook at /webhooks/viber and the outbox's sender, on when VIBER_TOKEN is set."""

from bot.channels.viber.webhook import register_viber

__all__ = ["register_viber"]
