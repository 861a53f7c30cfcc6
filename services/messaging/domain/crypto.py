"""Encryption at rest: AES-256-GCM envelopes under a key ring that can rotate.

Every encrypted row records the id of the key it was sealed with (``key_id``); each field is
``nonce (12 bytes) || ciphertext || tag``. The associated data binds a ciphertext to its table, field
and row, so a database writer cannot move a body from one message to another unnoticed.
A database dump alone reveals nothing; the keys live in settings (MESSAGING_ENCRYPTION_KEYS).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32  # AES-256

# For development and tests only: derived from a public string, so it protects nothing. The kid says so,
# and the service logs a warning at start-up when it is the current key.
DEV_KEY_ID = "dev-insecure"
DEV_KEYS = f"{DEV_KEY_ID}:" + base64.b64encode(
    hashlib.sha256(b"bistand messaging development key - not for production").digest()).decode()


class KeyringError(ValueError):
    """The key configuration is unusable (message never contains key material)."""


class KeyUnavailable(LookupError):
    """A row was sealed with a key id that is no longer configured."""


class Tampered(ValueError):
    """The ciphertext, its nonce or its associated data was changed."""


@dataclass(frozen=True)
class Key:
    kid: str
    secret: bytes = field(repr=False)


class Keyring:
    """The first key seals; every key opens (so old rows stay readable while they are re-keyed)."""

    def __init__(self, keys: list[Key]) -> None:
        if not keys:
            raise KeyringError("at least one encryption key is required")
        kids = [k.kid for k in keys]
        if len(set(kids)) != len(kids):
            raise KeyringError("key ids must be unique")
        for key in keys:
            if len(key.secret) != KEY_BYTES:
                raise KeyringError(f"key {key.kid!r} must be {KEY_BYTES} bytes (base64 of 32 random bytes)")
        self._keys = {k.kid: AESGCM(k.secret) for k in keys}
        self.current_kid = keys[0].kid
        self.kids = tuple(kids)

    @classmethod
    def parse(cls, spec: str) -> Keyring:
        """``"kid1:base64key,kid0:base64key"``; the first is current."""
        keys = []
        for item in (part.strip() for part in spec.split(",")):
            if not item:
                continue
            kid, sep, b64 = item.partition(":")
            if not sep or not kid.strip():
                raise KeyringError("each key is written kid:base64key")
            try:
                secret = base64.b64decode(b64.strip(), validate=True)
            except ValueError:
                raise KeyringError(f"key {kid.strip()!r} is not valid base64") from None
            keys.append(Key(kid.strip(), secret))
        return cls(keys)

    @property
    def is_development(self) -> bool:
        return self.current_kid == DEV_KEY_ID

    def seal(self, plaintext: bytes, aad: bytes, kid: str | None = None) -> bytes:
        cipher = self._cipher(kid or self.current_kid)
        nonce = os.urandom(NONCE_BYTES)  # random 96-bit nonces: safe far beyond our volumes per key
        return nonce + cipher.encrypt(nonce, plaintext, aad)

    def open(self, kid: str, blob: bytes, aad: bytes) -> bytes:
        cipher = self._cipher(kid)
        if len(blob) < NONCE_BYTES + 16:
            raise Tampered("ciphertext too short")
        try:
            return cipher.decrypt(bytes(blob[:NONCE_BYTES]), bytes(blob[NONCE_BYTES:]), aad)
        except InvalidTag:
            raise Tampered("ciphertext does not authenticate") from None

    def seal_text(self, text: str, aad: bytes, kid: str | None = None) -> bytes:
        return self.seal(text.encode("utf-8"), aad, kid)

    def open_text(self, kid: str, blob: bytes, aad: bytes) -> str:
        return self.open(kid, blob, aad).decode("utf-8")

    def needs_rekey(self, kid: str) -> bool:
        return kid != self.current_kid

    def _cipher(self, kid: str) -> AESGCM:
        try:
            return self._keys[kid]
        except KeyError:
            raise KeyUnavailable(f"no key with id {kid!r} is configured") from None


def aad(table: str, field_name: str, row_id: object) -> bytes:
    """What a ciphertext is bound to: this field of this row of this table."""
    return f"bistand/messaging/{table}/{field_name}/{row_id}".encode()


def new_key() -> str:
    """A fresh key as base64 (for ops: ``python -c 'from ...crypto import new_key; print(new_key())'``)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()
