"""Storage: SQLAlchemy 2 models, the async database handle and Alembic migrations."""

from bot.storage.db import Database
from bot.storage.models import Base, Conversation, Message, OutboxItem, ProcessedUpdate

__all__ = ["Base", "Conversation", "Database", "Message", "OutboxItem", "ProcessedUpdate"]
