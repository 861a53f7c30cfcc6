"""Read state per reader and per side, and the receipts the other side sees."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.messaging.domain.access import Side

_SIDE_READ = {
    Side.STAFF: text("UPDATE threads SET staff_read_seq = GREATEST(staff_read_seq, :s) WHERE id = :t"),
    Side.CLIENT: text("UPDATE threads SET client_read_seq = GREATEST(client_read_seq, :s) WHERE id = :t"),
}


async def mark_read(session: AsyncSession, *, thread_id: uuid.UUID, reader: str, reader_sub: str, side: Side,
                    up_to_seq: int, now: dt.datetime) -> list[uuid.UUID]:
    """Read up to ``up_to_seq``: per reader, per side (for the unit inbox) and, the first time the other side's
    messages are read, a receipt ("read by the caseworker at ..."). Returns the messages newly receipted."""
    await session.execute(text(
        "INSERT INTO read_state (thread_id, reader, last_read_seq, read_at) VALUES (:t, :r, :s, :now) "
        "ON CONFLICT (thread_id, reader) DO UPDATE SET "
        "read_at = CASE WHEN EXCLUDED.last_read_seq > read_state.last_read_seq THEN EXCLUDED.read_at "
        "ELSE read_state.read_at END, last_read_seq = GREATEST(read_state.last_read_seq, EXCLUDED.last_read_seq)"),
        {"t": thread_id, "r": reader, "s": up_to_seq, "now": now})
    await session.execute(_SIDE_READ[side], {"t": thread_id, "s": up_to_seq})
    rows = (await session.execute(text(
        "INSERT INTO message_receipts (message_id, read_by_side, reader_sub, read_at) "
        "SELECT id, CAST(:side AS text), CAST(:sub AS text), CAST(:now AS timestamptz) FROM messages "
        "WHERE thread_id = :t AND seq <= :s AND sender_side <> :side "
        "ON CONFLICT DO NOTHING RETURNING message_id"),
        {"t": thread_id, "s": up_to_seq, "side": side.value, "sub": reader_sub, "now": now})).scalars().all()
    return list(rows)
