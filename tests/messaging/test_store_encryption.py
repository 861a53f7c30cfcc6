"""Encryption at rest: a database dump alone reveals no message, subject, file or contact detail; keys rotate."""

from __future__ import annotations

import base64
import os

import pytest
from sqlalchemy import text

from kit.db import make_engine
from services.messaging.service.rekey import rekey_all
from services.messaging.store.crypto import DEV_KEY_ID, DEV_KEYS, KeyringError
from tests.messaging.conftest import PDF, make_app, settings_for
from tests.support import app_client, fresh_database

SUBJECT = "Skulder hos Kronofogden"
BODY = "Jag har fått ett brev om vräkning och vet inte vad jag ska göra."
FILENAME = "vräkningsbesked.pdf"
EMAIL = "hemlig.adress@example.se"
PHONE = "+46705550123"
PLAINTEXTS = [SUBJECT, BODY, FILENAME, EMAIL, PHONE, "Kronofogden", "vräkning"]


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("messaging") as url:
        yield url


async def write(db_url, issuer, as_persona) -> dict:
    async with app_client(make_app(db_url, issuer)) as client:
        anna = as_persona("anna")
        await client.put("/me/contact", headers=anna, json={"email": EMAIL, "phone": PHONE,
                                                            "channels": ["email", "sms"]})
        tid = (await client.post("/threads", headers=anna, json={"unit": "nord", "subject": SUBJECT})).json()["id"]
        pdf = PDF.replace(b"<<>>", b"<</Title (" + BODY[:20].encode() + b")>>", 1)
        up = (await client.post(f"/threads/{tid}/attachments", headers=anna, files={"file": (FILENAME, pdf)})).json()
        sent = await client.post(f"/threads/{tid}/messages", headers=anna,
                                 json={"body": BODY, "attachment_ids": [up["id"]]})
        assert sent.status_code == 201
        return {"thread_id": tid, "attachment": up["id"], "pdf": pdf}


@pytest.fixture(scope="module")
async def written(db_url, issuer, as_persona):
    return await write(db_url, issuer, as_persona)


async def dump(db_url: str) -> str:
    """Every row of every table, as text (bytea comes out as hex): what a database dump would show."""
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            tables = (await conn.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                "AND table_type = 'BASE TABLE'"))).scalars().all()
            rows = []
            for table in tables:
                rows += (await conn.execute(text(f'SELECT t::text FROM "{table}" t'))).scalars().all()  # noqa: S608
            return "\n".join(rows)
    finally:
        await engine.dispose()


async def test_a_raw_select_shows_no_plaintext(written, db_url):
    everything = await dump(db_url)
    assert len(everything) > 1000
    for secret in [*PLAINTEXTS, "%PDF"]:
        assert secret not in everything, secret
        assert secret.encode().hex() not in everything, secret  # not in a bytea column either
    # What is stored in the clear: ids, times, the media type, the size and the checksum (for integrity).
    assert "application/pdf" in everything


async def test_messages_record_the_key_that_sealed_them(written, db_url):
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            kids = (await conn.execute(text(
                "SELECT key_id FROM messages UNION SELECT key_id FROM attachments "
                "UNION SELECT key_id FROM threads UNION SELECT key_id FROM contacts"))).scalars().all()
    finally:
        await engine.dispose()
    assert kids == [DEV_KEY_ID]


@pytest.fixture
async def rotated_db(issuer, as_persona):
    async with fresh_database("messaging") as url:
        yield url, await write(url, issuer, as_persona)


async def test_keys_rotate_old_rows_stay_readable_and_are_rekeyed(rotated_db, issuer, as_persona):
    db_url, written = rotated_db
    rotated = f"k2:{new_key()},{DEV_KEYS}"
    anna = as_persona("anna")
    tid = written["thread_id"]
    async with app_client(make_app(db_url, issuer, encryption_keys=rotated)) as client:
        before = (await client.get(f"/threads/{tid}/messages", headers=anna)).json()
        assert before[0]["body"] == BODY
        await client.post(f"/threads/{tid}/messages", headers=anna, json={"body": "Under den nya nyckeln"})
    # The ops command, one row per table and batch: the thread, the older message, the file, the contact.
    assert await rekey_all(settings_for(db_url, encryption_keys=rotated), batch=1) == 4
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            left = (await conn.execute(text(
                "SELECT count(*) FROM (SELECT key_id FROM messages UNION ALL SELECT key_id FROM attachments "
                "UNION ALL SELECT key_id FROM threads UNION ALL SELECT key_id FROM contacts) k "
                "WHERE key_id <> 'k2'"))).scalar_one()
        assert left == 0
    finally:
        await engine.dispose()
    # The old key can go now: everything reads under the new key alone.
    only_new = rotated.split(",")[0]
    async with app_client(make_app(db_url, issuer, encryption_keys=only_new)) as client:
        messages = (await client.get(f"/threads/{tid}/messages", headers=anna)).json()
        assert [m["body"] for m in messages] == [BODY, "Under den nya nyckeln"]
        download = await client.get(f"/threads/{tid}/attachments/{written['attachment']}", headers=anna)
        assert download.content == written["pdf"]
        assert (await client.get("/me/contact", headers=anna)).json()["email"] == EMAIL
        assert (await client.get(f"/threads/{tid}", headers=anna)).json()["subject"] == SUBJECT
    assert "%PDF" not in await dump(db_url)


async def test_without_the_key_nothing_reads(written, db_url, issuer, as_persona):
    async with app_client(make_app(db_url, issuer, encryption_keys=f"other:{new_key()}")) as client:
        response = await client.get(f"/threads/{written['thread_id']}/messages", headers=as_persona("anna"))
        assert response.status_code == 500  # an operations error, and it says nothing
        assert BODY not in response.text and "key" not in response.json()["detail"].lower()


def test_bad_key_configuration_stops_the_start(db_url, issuer):
    for bad in ("", "nokey", "k1:not-base64!", f"k1:{base64.b64encode(b'short').decode()}",
                f"k1:{new_key()},k1:{new_key()}"):
        with pytest.raises(KeyringError):
            make_app(db_url, issuer, encryption_keys=bad)
