"""Re-sealing rows that an older key sealed under the current key."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.messaging.store.crypto import Keyring, aad


async def rekey_batch(session: AsyncSession, keyring: Keyring, limit: int = 200) -> int:
    """Re-seal up to ``limit`` rows per table that an older key sealed under the current key. Run it after adding
    a new first key; when it returns 0, the old key can be removed from the settings."""
    done = 0
    current = keyring.current_kid
    params = {"k": current, "n": limit}
    for row in (await session.execute(text(
            "SELECT id, key_id, subject FROM threads WHERE key_id <> :k LIMIT :n FOR UPDATE SKIP LOCKED"),
            params)).all():
        subject = keyring.open(row.key_id, row.subject, aad("threads", "subject", row.id))
        await session.execute(text("UPDATE threads SET key_id = :k, subject = :s WHERE id = :id"), {
            "k": current, "s": keyring.seal(subject, aad("threads", "subject", row.id)), "id": row.id})
        done += 1
    for row in (await session.execute(text(
            "SELECT id, key_id, body FROM messages WHERE key_id <> :k LIMIT :n FOR UPDATE SKIP LOCKED"),
            params)).all():
        body = keyring.open(row.key_id, row.body, aad("messages", "body", row.id))
        await session.execute(text("UPDATE messages SET key_id = :k, body = :b WHERE id = :id"), {
            "k": current, "b": keyring.seal(body, aad("messages", "body", row.id)), "id": row.id})
        done += 1
    for row in (await session.execute(text(
            "SELECT id, key_id, filename, content FROM attachments WHERE key_id <> :k LIMIT :n "
            "FOR UPDATE SKIP LOCKED"), params)).all():
        name = keyring.open(row.key_id, row.filename, aad("attachments", "filename", row.id))
        content = keyring.open(row.key_id, row.content, aad("attachments", "content", row.id))
        await session.execute(text("UPDATE attachments SET key_id = :k, filename = :f, content = :c WHERE id = :id"), {
            "k": current, "f": keyring.seal(name, aad("attachments", "filename", row.id)),
            "c": keyring.seal(content, aad("attachments", "content", row.id)), "id": row.id})
        done += 1
    for row in (await session.execute(text(
            "SELECT personal_number, key_id, details FROM contacts WHERE key_id <> :k LIMIT :n "
            "FOR UPDATE SKIP LOCKED"), params)).all():
        where = aad("contacts", "details", row.personal_number)
        details = keyring.open(row.key_id, row.details, where)
        await session.execute(text("UPDATE contacts SET key_id = :k, details = :d WHERE personal_number = :p"), {
            "k": current, "d": keyring.seal(details, where), "p": row.personal_number})
        done += 1
    return done
