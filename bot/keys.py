"""``safemig keys rotate``: move stored conversations from old secrets to SECRET_KEY.

Conversations are found by ``user_key``, an HMAC of the messenger id under
the secret. The messenger id is not stored, but the reply address is, and on
every channel of a private chat the address is that same id. So each
conversation's address is decrypted with whichever key fits, its user key
is recomputed under the new secret (only when the old key confirms that
address and user key belong together), and the address is encrypted again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from bot.crypto import Keyring
from bot.storage import Conversation, Database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rotated:
    """What a rotation did."""

    rekeyed: int  # moved to the new secret
    current: int  # already under the new secret
    unreadable: int  # no key fits: left as they are (the retention purge removes them)


async def rotate(db: Database, keyring: Keyring, *, batch: int = 500) -> Rotated:
    """Re-key and re-encrypt every conversation; safe to run again after an interruption."""
    rekeyed = current = unreadable = 0
    last_id = 0
    while True:
        async with db.transaction() as session:
            rows = (await session.scalars(select(Conversation).where(Conversation.id > last_id)
                                          .order_by(Conversation.id).limit(batch))).all()
            if not rows:
                break
            for conv in rows:
                last_id = conv.id
                try:
                    address = keyring.decrypt(conv.address_enc)
                except ValueError:
                    unreadable += 1
                    continue
                new_key = keyring.user_key(conv.channel, address)
                if conv.user_key == new_key:
                    current += 1
                elif any(old.user_key(conv.channel, address) == conv.user_key
                         for old in keyring.previous):
                    conv.user_key = new_key
                    rekeyed += 1
                else:
                    unreadable += 1  # address and key do not belong together: leave it
                    continue
                conv.address_enc = keyring.reencrypt(conv.address_enc)
    log.info("keys_rotated", extra={"rekeyed": rekeyed, "current": current,
                                    "unreadable": unreadable})
    return Rotated(rekeyed, current, unreadable)
