"""Settings from the environment or a `.env` file (names in docs/CONTRACTS.md).

Secrets are wrapped in `SecretStr` so that a settings object never prints them.
"""

from __future__ import annotations

import logging
import os
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ro", "ru", "uk", "en", "rom")


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    var_dir: Path = Field(default=Path("var"), alias="VAR_DIR")
    database_url: str = Field(default="", alias="DATABASE_URL")
    secret_key: SecretStr = Field(default=SecretStr(""), alias="SECRET_KEY")
    # Older secrets, comma-separated, while a rotation is under way (docs/deploy.md).
    secret_key_previous: SecretStr = Field(default=SecretStr(""), alias="SECRET_KEY_PREVIOUS")
    public_url: str = Field(default="", alias="PUBLIC_URL")
    telegram_token: SecretStr = Field(default=SecretStr(""), alias="TELEGRAM_TOKEN")
    telegram_webhook_secret: SecretStr = Field(
        default=SecretStr(""), alias="TELEGRAM_WEBHOOK_SECRET"
    )
    telegram_api_url: str = Field(default="", alias="TELEGRAM_API_URL")
    # Telegram's overall limit (about 30 messages/s per bot) is shared by every process
    # of a deployment: `serve --workers N` gives each worker 1/N of this; separate
    # processes need it divided by hand (docs/deploy.md).
    telegram_max_rate: float = Field(default=30.0, alias="TELEGRAM_MAX_RATE", gt=0, le=30)
    viber_token: SecretStr = Field(default=SecretStr(""), alias="VIBER_TOKEN")
    viber_bot_name: str = Field(default="safemig", alias="VIBER_BOT_NAME")
    viber_bot_avatar: str = Field(default="", alias="VIBER_BOT_AVATAR")
    viber_api_url: str = Field(default="", alias="VIBER_API_URL")
    nlu_backend: str = Field(default="embedded", alias="NLU_BACKEND")
    rasa_url: str = Field(default="", alias="RASA_URL")
    content_dir: Path = Field(default=REPO_ROOT / "content", alias="CONTENT_DIR")
    locales_dir: Path = Field(default=REPO_ROOT / "locales", alias="LOCALES_DIR")
    operator_hours: str = Field(default="Mon-Fri 08:00-20:00", alias="OPERATOR_HOURS")
    timezone: str = Field(default="Europe/Chisinau", alias="TIMEZONE")
    retention_days: int = Field(default=90, alias="RETENTION_DAYS", ge=1)
    claim_minutes: float = Field(default=10, alias="HANDOFF_CLAIM_MINUTES", gt=0)
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    nlu_cache: Path | None = Field(default=None, alias="NLU_CACHE_DIR")

    @field_validator("nlu_backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value not in ("embedded", "rasa"):
            raise ValueError("NLU_BACKEND must be 'embedded' or 'rasa'")
        return value

    @cached_property
    def database(self) -> str:
        """The SQLAlchemy async URL: the configured one, or SQLite under var/."""
        url = self.database_url or f"sqlite:///{self.var_dir / 'safemig.sqlite3'}"
        return async_url(url)

    @cached_property
    def secret(self) -> bytes:
        """The master secret; generated into var/ on first run when not configured."""
        configured = self.secret_key.get_secret_value()
        if configured:
            return configured.encode()
        return _generated_secret(self.var_dir / "secret_key")

    @property
    def previous_secrets(self) -> tuple[bytes, ...]:
        """Secrets used before the current one; they still decrypt, never encrypt."""
        raw = self.secret_key_previous.get_secret_value()
        return tuple(part.strip().encode() for part in raw.split(",") if part.strip())

    @property
    def nlu_cache_dir(self) -> Path:
        """Where the embedded NLU keeps its trained model."""
        return self.nlu_cache or self.var_dir / "nlu-cache"


def async_url(url: str) -> str:
    """Give a plain database URL the async driver this service uses."""
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url.removeprefix("sqlite:")
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


def _generated_secret(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48).encode()
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(value)
    log.warning("secret_key_generated", extra={"path": str(path)})
    return value


def load_settings() -> Settings:
    """Read the settings once; the var directory is created on the way."""
    settings = Settings()
    if settings.database.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    return settings
