"""Handing a conversation to a hotline operator: the queue, the verbs, hours and live events."""

from bot.handoff.events import Event, EventBus
from bot.handoff.hours import OperatorHours
from bot.handoff.service import (
    OUTCOMES,
    REASONS,
    Conflict,
    Escalation,
    Forbidden,
    HandoffError,
    Handoffs,
    NotFound,
)

__all__ = [
    "OUTCOMES",
    "REASONS",
    "Conflict",
    "Escalation",
    "Event",
    "EventBus",
    "Forbidden",
    "HandoffError",
    "Handoffs",
    "NotFound",
    "OperatorHours",
]
