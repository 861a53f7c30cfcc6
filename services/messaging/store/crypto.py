"""Encryption at rest: AES-256-GCM envelopes under a key ring that can rotate (kit.sealing), for messaging's rows.

Every encrypted row records the id of the key it was sealed with (``key_id``); each field is
``nonce (12 bytes) || ciphertext || tag``. The associated data binds a ciphertext to its table, field
and row, so a database writer cannot move a body from one message to another unnoticed.
A database dump alone reveals nothing; the keys live in settings (MESSAGING_ENCRYPTION_KEYS). The same key
ring seals the kit's rows of this service (idempotency answers, outbox payloads).
"""

from __future__ import annotations

from kit.sealing import (
    DEV_KEY_ID,
    KEY_BYTES,
    NONCE_BYTES,
    Key,
    Keyring,
    KeyringError,
    KeyUnavailable,
    Tampered,
    development_keys,
    new_key,
)

# For development and tests only: derived from a public string, so it protects nothing. The kid says so; the
# service logs a warning at start-up when it is the current key, and refuses to start with it in production.
DEV_KEYS = development_keys("bistand messaging development key - not for production")


def aad(table: str, field_name: str, row_id: object) -> bytes:
    """What a ciphertext is bound to: this field of this row of this table."""
    return f"bistand/messaging/{table}/{field_name}/{row_id}".encode()


__all__ = ["DEV_KEYS", "DEV_KEY_ID", "KEY_BYTES", "NONCE_BYTES", "Key", "KeyUnavailable", "Keyring", "KeyringError",
           "Tampered", "aad", "new_key"]
