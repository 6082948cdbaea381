"""Pseudonyms and encrypted reply addresses, both keyed with SECRET_KEY.

The raw messenger id never reaches the database: conversations are keyed by
an HMAC of it, and the address needed to reply is stored encrypted.

Rotation: a Keyring built with ``previous`` secrets encrypts with the current
one and decrypts with any; ``safemig keys rotate`` (``bot/keys.py``) then
re-keys and re-encrypts the stored conversations (docs/deploy.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["Keyring", "display_pseudonym"]

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud by operators


class Keyring:
    """Derives independent keys for each purpose from one master secret."""

    def __init__(self, secret: bytes, previous: Sequence[bytes] = ()) -> None:
        self._secret = secret
        self._pseudonym_key = self._derive(b"safemig pseudonym v1")
        self.previous = tuple(Keyring(old) for old in previous)
        self._fernet = MultiFernet([_address_fernet(self),
                                    *(_address_fernet(k) for k in self.previous)])

    def derive(self, purpose: str) -> bytes:
        """A key for one purpose (for example the offer fingerprints)."""
        return self._derive(f"safemig {purpose} v1".encode())

    def _derive(self, info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
            self._secret
        )

    def user_key(self, channel: str, raw_id: str) -> str:
        """The stable pseudonymous key of a messenger user on one channel."""
        digest = hmac.new(
            self._pseudonym_key, f"{channel}:{raw_id}".encode(), hashlib.sha256
        ).hexdigest()
        return digest[:40]

    def keyed_hash(self, purpose: str, value: str) -> str:
        """A keyed hash for matching values (phone numbers, e-mails) without storing them."""
        key = self._derive(f"safemig hash {purpose} v1".encode())
        return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, plain: str) -> str:
        """Encrypt a reply address for storage."""
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Decrypt a stored reply address; raises ValueError when no key fits."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("reply address cannot be decrypted with this SECRET_KEY") from exc

    def reencrypt(self, token: str) -> str:
        """The same address encrypted with the current key; raises ValueError when no key fits."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("reply address cannot be decrypted with these keys") from exc


def _address_fernet(keyring: Keyring) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(keyring._derive(b"safemig address v1")))


def display_pseudonym(user_key: str) -> str:
    """What an operator sees instead of a name, e.g. ``#K7Q2``."""
    number = int(user_key[:10], 16)
    chars = []
    for _ in range(4):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    return "#" + "".join(chars)
