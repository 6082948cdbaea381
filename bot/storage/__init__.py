"""Storage: SQLAlchemy 2 models, the async database handle and Alembic migrations."""

from bot.storage.db import Database
from bot.storage.models import (
    Base,
    Conversation,
    Message,
    OfferCheck,
    OutboxItem,
    ProcessedUpdate,
)

__all__ = [
    "Base",
    "Conversation",
    "Database",
    "Message",
    "OfferCheck",
    "OutboxItem",
    "ProcessedUpdate",
]
