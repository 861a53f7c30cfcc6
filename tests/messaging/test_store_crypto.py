"""AES-GCM envelopes: round trip, bound to their place, tamper-evident, keys rotate."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.messaging.store.crypto import (
    DEV_KEYS,
    NONCE_BYTES,
    Keyring,
    KeyringError,
    KeyUnavailable,
    Tampered,
    aad,
    new_key,
)

KEY_A = f"a:{new_key()}"
KEY_B = f"b:{new_key()}"


@given(st.binary(max_size=4096), st.text(max_size=50))
def test_round_trip(plaintext, field):
    ring = Keyring.parse(KEY_A)
    where = aad("messages", field, "id-1")
    assert ring.open("a", ring.seal(plaintext, where), where) == plaintext


def test_every_seal_is_different_and_hides_the_text():
    ring = Keyring.parse(KEY_A)
    where = aad("messages", "body", 1)
    one, two = ring.seal_text("hemligt", where), ring.seal_text("hemligt", where)
    assert one != two and b"hemligt" not in one
    assert len(one) == NONCE_BYTES + len("hemligt") + 16


def test_a_ciphertext_is_bound_to_its_row_and_field():
    ring = Keyring.parse(KEY_A)
    blob = ring.seal_text("Anna's message", aad("messages", "body", "m1"))
    for elsewhere in (aad("messages", "body", "m2"), aad("threads", "subject", "m1")):
        with pytest.raises(Tampered):
            ring.open("a", blob, elsewhere)


def test_tampering_is_detected():
    ring = Keyring.parse(KEY_A)
    where = aad("messages", "body", "m1")
    blob = bytearray(ring.seal_text("belopp: 4 000 kr", where))
    blob[-1] ^= 1
    with pytest.raises(Tampered):
        ring.open("a", bytes(blob), where)
    with pytest.raises(Tampered):
        ring.open("a", b"short", where)


def test_rotation_first_key_seals_all_keys_open():
    old = Keyring.parse(KEY_A)
    where = aad("contacts", "details", "p")
    sealed_before = old.seal(b"x", where)
    rotated = Keyring.parse(f"{KEY_B},{KEY_A}")
    assert rotated.current_kid == "b" and rotated.kids == ("b", "a")
    assert rotated.open("a", sealed_before, where) == b"x"
    assert rotated.needs_rekey("a") and not rotated.needs_rekey("b")
    with pytest.raises(KeyUnavailable):
        Keyring.parse(KEY_B).open("a", sealed_before, where)


SHORT = base64.b64encode(bytes(16)).decode()
FULL = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize("spec", ["", " , ", "no-colon", ":abc", "k:###", f"k:{SHORT}", f"k:{FULL},k:{FULL}"])
def test_bad_configuration(spec):
    with pytest.raises(KeyringError):
        Keyring.parse(spec)


def test_the_development_key_says_so():
    ring = Keyring.parse(DEV_KEYS)
    assert ring.is_development and ring.current_kid == "dev-insecure"
    assert not Keyring.parse(KEY_A).is_development


def test_key_material_never_in_repr_or_errors():
    secret = new_key()
    ring = Keyring.parse(f"k:{secret}")
    assert secret not in repr(ring) and secret not in repr(ring.__dict__)
    with pytest.raises(KeyringError) as bad:
        Keyring.parse(f"k:{secret[:-4]}")
    assert secret[:10] not in str(bad.value)
