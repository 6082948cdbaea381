"""Rotating SECRET_KEY: after `safemig keys rotate`, returning users keep their conversation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.crypto import Keyring
from bot.keys import rotate
from bot.service import Service
from bot.storage import Conversation
from tests.conftest import Chat, RecordingSender, env_for, make_settings

OLD, NEW = "the-old-secret-key-0123456789", "the-new-secret-key-9876543210"


def user(service: Service) -> Chat:
    """Maria, whose reply address is her messenger id, as in every real private chat."""
    chat = Chat(service, service.senders["test"], "maria")  # type: ignore[arg-type]
    chat.address = "maria"
    return chat


async def test_a_rotation_keeps_conversations_and_reply_addresses(tmp_path: Path,
                                                                  db_url: str) -> None:
    before = Service.build(make_settings(tmp_path, db_url, SECRET_KEY=OLD),
                           {"test": RecordingSender()}, with_nlu=False)
    await user(before).press("lang:ro")
    await before.db.dispose()

    after = Service.build(make_settings(tmp_path, db_url, SECRET_KEY=NEW,
                                        SECRET_KEY_PREVIOUS=f"unrelated-key,{OLD}"),
                          {"test": RecordingSender()}, with_nlu=False)
    try:
        done = await rotate(after.db, after.keyring)
        assert (done.rekeyed, done.current, done.unreadable) == (1, 0, 0)
        # Running it again changes nothing: safe after an interruption.
        assert (await rotate(after.db, after.keyring)).current == 1
        maria = user(after)
        replies = await maria.say("/start")
        assert replies[0].text == "Bine ați revenit!"  # "Hello again", in her Romanian
        async with after.db.sessions() as session:
            [conv] = (await session.scalars(select(Conversation))).all()
        # Only the new secret is needed from now on.
        assert Keyring(NEW.encode()).decrypt(conv.address_enc) == maria.address
    finally:
        await after.db.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_command_refuses_without_the_old_key(tmp_path: Path, db_url: str) -> None:
    run = subprocess.run([sys.executable, "-m", "bot", "keys", "rotate"],
                         env=env_for(tmp_path, db_url), capture_output=True, check=False)
    assert run.returncode == 2 and b"SECRET_KEY_PREVIOUS" in run.stderr
