"""Settings, secrets and pseudonyms."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.crypto import Keyring, display_pseudonym
from bot.settings import Settings, async_url


def test_a_secret_key_is_generated_once_and_kept(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    first = Settings(_env_file=None, VAR_DIR=tmp_path)  # type: ignore[call-arg]
    secret = first.secret
    assert len(secret) >= 48
    assert "secret_key_generated" in caplog.text
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = Settings(_env_file=None, VAR_DIR=tmp_path)  # type: ignore[call-arg]
    assert again.secret == secret


def test_a_configured_secret_wins_and_is_never_printed(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, VAR_DIR=tmp_path, SECRET_KEY="s3cr3t-value")  # type: ignore[call-arg]
    assert settings.secret == b"s3cr3t-value"
    assert "s3cr3t-value" not in repr(settings)
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("postgresql://u@127.0.0.1/db", "postgresql+asyncpg://u@127.0.0.1/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_database_urls_get_the_async_driver(given: str, used: str) -> None:
    assert async_url(given) == used


def test_an_unknown_nlu_backend_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NLU_BACKEND"):
        Settings(_env_file=None, VAR_DIR=tmp_path, NLU_BACKEND="gpt")  # type: ignore[call-arg]


def test_pseudonyms_are_keyed_stable_and_unlinkable() -> None:
    one, other = Keyring(b"key-one"), Keyring(b"key-two")
    assert one.user_key("telegram", "412345678") == one.user_key("telegram", "412345678")
    assert one.user_key("telegram", "412345678") != one.user_key("viber", "412345678")
    assert one.user_key("telegram", "412345678") != other.user_key("telegram", "412345678")
    assert "412345678" not in one.user_key("telegram", "412345678")
    shown = display_pseudonym(one.user_key("telegram", "412345678"))
    assert len(shown) == 5 and shown.startswith("#") and not set(shown) & set("01IO")


def test_addresses_encrypt_and_fail_cleanly_under_another_key() -> None:
    one, other = Keyring(b"key-one"), Keyring(b"key-two")
    token = one.encrypt("412345678")
    assert "412345678" not in token and one.decrypt(token) == "412345678"
    with pytest.raises(ValueError, match="SECRET_KEY"):
        other.decrypt(token)
