"""Storage: SQLAlchemy 2 models, the async database handle and Alembic migrations."""

from bot.storage.db import Database
from bot.storage.models import (
    AuditEntry,
    Base,
    Conversation,
    DailyCount,
    Handoff,
    HandoffNote,
    LoginFailure,
    Message,
    OfferCheck,
    Operator,
    OperatorSession,
    OutboxItem,
    ProcessedUpdate,
)

__all__ = [
    "AuditEntry",
    "Base",
    "Conversation",
    "DailyCount",
    "Database",
    "Handoff",
    "HandoffNote",
    "LoginFailure",
    "Message",
    "OfferCheck",
    "Operator",
    "OperatorSession",
    "OutboxItem",
    "ProcessedUpdate",
]
