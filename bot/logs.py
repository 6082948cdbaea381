"""Structured logs on stderr: an event name and ids, never message text or numbers."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event and the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type only: tracebacks can quote message text held in locals' reprs.
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str = "INFO") -> None:
    """Send every log record to stderr as JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    wanted = logging.getLevelName(level.upper())
    wanted = wanted if isinstance(wanted, int) else logging.INFO
    # DEBUG is for our own code only: libraries log what they handle at DEBUG (the
    # database drivers log statement parameters, that is, message text).
    root.setLevel(max(wanted, logging.INFO))
    for ours in ("bot", "nlu"):
        logging.getLogger(ours).setLevel(wanted)
    # Libraries that log data even above DEBUG: httpx logs request URLs, and a Telegram
    # URL carries the bot token; the database layers log statements and parameters.
    for noisy in ("httpx", "httpcore", "alembic", "sqlalchemy", "aiosqlite", "asyncpg",
                  "telegram", "viberbot", "websockets"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
