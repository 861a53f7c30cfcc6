"""Re-sealing rows that an older key sealed under the current key."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.messaging.store.crypto import Keyring, aad

# (table, the column that names a row in its associated data, the sealed columns)
SEALED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("threads", "id", ("subject",)),
    ("messages", "id", ("body",)),
    ("attachments", "id", ("filename", "content")),
    ("contacts", "personal_number", ("details",)),
    ("letters", "id", ("recipient", "document")),  # document: none until the letter is fetched
)


async def rekey_batch(session: AsyncSession, keyring: Keyring, limit: int = 200) -> int:
    """Re-seal up to ``limit`` rows per table that an older key sealed under the current key. Run it after adding
    a new first key; when it returns 0, the old key can be removed from the settings."""
    done = 0
    current = keyring.current_kid
    for table, row_id, fields in SEALED:
        # Names from SEALED above only, never from input.
        select = text(f"SELECT {row_id} AS row_id, key_id, {', '.join(fields)} FROM {table} "  # noqa: S608
                      "WHERE key_id <> :k LIMIT :n FOR UPDATE SKIP LOCKED")
        update = text(f"UPDATE {table} SET key_id = :k, "  # noqa: S608
                      f"{', '.join(f'{f} = :{f}' for f in fields)} WHERE {row_id} = :row_id")
        for row in (await session.execute(select, {"k": current, "n": limit})).all():
            sealed = {f: None if getattr(row, f) is None else
                      keyring.seal(keyring.open(row.key_id, getattr(row, f), aad(table, f, row.row_id)),
                                   aad(table, f, row.row_id)) for f in fields}
            await session.execute(update, {"k": current, "row_id": row.row_id, **sealed})
            done += 1
    return done
