"""What a caller sees of many threads: a client's own, a unit's (mine, the unit inbox, all), unread counts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.messaging.domain import access
from services.messaging.domain.access import Party, Side
from services.messaging.service.runtime import Runtime
from services.messaging.store import inbox as inbox_store
from services.messaging.store.threads import ThreadRecord


async def threads_of(session: AsyncSession, rt: Runtime, p: Party, *, view: str, case_id: uuid.UUID | None,
                     limit: int) -> tuple[list[ThreadRecord], Side]:
    """A client's threads, or the unit's (``view``: mine, unit, all), with the side the caller sees them from."""
    if p.is_client:
        threads = await inbox_store.client_threads(session, rt.keyring, personal_number=p.personal_number or "",
                                                   reader=access.reader_key(p, Side.CLIENT), limit=limit)
        if case_id is not None:
            threads = [t for t in threads if t.case_id == case_id]
        return threads, Side.CLIENT
    threads = await inbox_store.staff_threads(
        session, rt.keyring, sub=p.sub, units=sorted(p.units), protected_access=p.protected_access, view=view,
        reader=access.reader_key(p, Side.STAFF), now=rt.now(), case_id=case_id, limit=limit,
        work_only=p.work_only)
    return threads, Side.STAFF


async def unread(session: AsyncSession, rt: Runtime, p: Party) -> dict[str, Any]:
    """Unread counts: per thread (client), or mine and each unit inbox (staff)."""
    if p.is_client:
        threads = await inbox_store.client_threads(session, rt.keyring, personal_number=p.personal_number or "",
                                                   reader=access.reader_key(p, Side.CLIENT), limit=500)
        per = {str(t.id): t.unread for t in threads if t.unread}
        return {"total": sum(per.values()), "threads": per}
    mine, units = await inbox_store.staff_unread(session, sub=p.sub, units=sorted(p.units),
                                                 protected_access=p.protected_access,
                                                 reader=access.reader_key(p, Side.STAFF), now=rt.now(),
                                                 work_only=p.work_only)
    return {"total": mine + sum(units.values()), "mine": mine, "unit_inbox": units}
