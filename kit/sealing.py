"""Sealing at rest: AES-256-GCM envelopes under a key ring that can rotate, for every service.

Every sealed value records the id of the key it was sealed with; each blob is ``nonce (12 bytes) ||
ciphertext || tag``, and its associated data binds it to where it lives (service, table, field, row), so a
database writer cannot move a value from one row to another unnoticed. A dump alone reveals nothing.

The kit seals its own rows with it: the answers kept for Idempotency-Key retries and the outbox payloads
(personnummer of recipients). Each service passes its key ring (messaging: its message keys; the others:
``<SERVICE>_SEALING_KEYS``); ``bind`` puts the service's ``Sealer`` on its sessions, where ``kit.idempotency``
and ``kit.outbox`` find it, so no caller has to pass it along.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

NONCE_BYTES = 12
KEY_BYTES = 32  # AES-256

# Development keys are derived from public strings and carry this key id: they protect nothing, and a
# service in production mode refuses to start with one (kit.settings).
DEV_KEY_ID = "dev-insecure"


def development_keys(label: str) -> str:
    """A development key ring spec (``kid:base64key``) derived from a public ``label``."""
    return f"{DEV_KEY_ID}:" + base64.b64encode(hashlib.sha256(label.encode()).digest()).decode()


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
        # A separate key per key for fingerprints (HMAC), derived so that the sealing key is never used twice.
        self._mac_keys = {k.kid: hmac.new(k.secret, b"bistand fingerprint key", hashlib.sha256).digest()
                          for k in keys}
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

    def fingerprint(self, data: bytes, kid: str | None = None) -> str:
        """A keyed hash (HMAC-SHA256): equal inputs match, yet nobody without the key can test guesses."""
        return hmac.new(self._mac_keys[kid or self.current_kid], data, hashlib.sha256).hexdigest()

    def _cipher(self, kid: str) -> AESGCM:
        try:
            return self._keys[kid]
        except KeyError:
            raise KeyUnavailable(f"no key with id {kid!r} is configured") from None


def new_key() -> str:
    """A fresh key as base64 (for ops: ``python -c 'from kit.sealing import new_key; print(new_key())'``)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


SEALED = "sealed"  # the marker of a sealed JSON value: {"sealed": base64, "kid": key id}


class Sealer:
    """Seals JSON values of one service's rows; ``where`` names the table, field and row (associated data)."""

    def __init__(self, keyring: Keyring, service: str) -> None:
        self.keyring = keyring
        self.service = service

    def _aad(self, where: str) -> bytes:
        return f"bistand/{self.service}/{where}".encode()

    def seal_json(self, value: Any, where: str) -> dict[str, str]:
        blob = self.keyring.seal(orjson.dumps(value), self._aad(where))
        return {SEALED: base64.b64encode(blob).decode(), "kid": self.keyring.current_kid}

    def open_json(self, stored: Any, where: str) -> Any:
        """The value; a row written before sealing existed comes back as it is (until it is purged)."""
        if not is_sealed(stored):
            return stored
        blob = base64.b64decode(stored[SEALED])
        return orjson.loads(self.keyring.open(stored["kid"], blob, self._aad(where)))

    def fingerprint(self, text: str, kid: str | None = None) -> str:
        kid = kid or self.keyring.current_kid
        return f"{kid}:{self.keyring.fingerprint(text.encode(), kid)}"

    def matches(self, fingerprint: str, text: str) -> bool:
        """Under the key it was made with (a retry across a key rotation still matches)."""
        kid, sep, _ = fingerprint.partition(":")
        if not sep or kid not in self.keyring.kids:
            return False
        expected = f"{kid}:{self.keyring.fingerprint(text.encode(), kid)}"
        return hmac.compare_digest(fingerprint, expected)


def is_sealed(stored: Any) -> bool:
    return isinstance(stored, dict) and set(stored) == {SEALED, "kid"}


_INFO_KEY = "kit.sealer"


def bind(sessions: async_sessionmaker[AsyncSession], sealer: Sealer) -> None:
    """Every session from ``sessions`` carries the service's sealer (for kit.idempotency and kit.outbox)."""
    sessions.configure(info={_INFO_KEY: sealer})


def sealer_of(session: AsyncSession) -> Sealer:
    sealer = session.info.get(_INFO_KEY)
    if sealer is None:
        # Fail closed: without a sealer nothing personal may be written to the kit's tables in the clear.
        raise RuntimeError("this session has no sealer: bind one to its sessionmaker (kit.sealing.bind)")
    return sealer  # type: ignore[no-any-return]
