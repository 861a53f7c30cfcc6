"""A case's messages for the record (journal): the unit's caseworkers and team leads, audited.

Retracted messages come as a marker (who, when, that it was retracted) without their text or files, for
everyone: the sender took them back within the window."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.auth import Principal
from kit.problems import not_found
from services.messaging.domain.access import Party, Side, reader_key
from services.messaging.service.runtime import Runtime
from services.messaging.store import inbox as inbox_store
from services.messaging.store import messages as messages_store
from services.messaging.store import threads as threads_store
from services.messaging.store.messages import MessageRecord
from services.messaging.store.threads import ThreadRecord


@dataclass
class CaseExport:
    case_id: uuid.UUID
    exported_at: dt.datetime
    exported_by: str
    threads: list[tuple[ThreadRecord, list[MessageRecord]]]


async def export_case(session: AsyncSession, rt: Runtime, p: Party, principal: Principal,
                      case_id: uuid.UUID) -> CaseExport:
    """Every thread of the case the caller may see, with all its messages; 404 when there is none."""
    now = rt.now()
    threads = await inbox_store.staff_threads(session, rt.keyring, sub=p.sub, units=sorted(p.units),
                                              protected_access=p.protected_access, view="all",
                                              reader=reader_key(p, Side.STAFF), now=now, case_id=case_id, limit=500)
    if not threads:
        raise not_found("case")
    out = []
    members: set[str] = set()
    for thread in threads:
        full = await threads_store.get_thread(session, rt.keyring, thread.id, now)
        assert full is not None
        members |= full.members
        out.append((thread, await messages_store.list_messages(session, rt.keyring, thread.id, limit=100_000)))
    audit.record(session, principal, "export", "case", str(case_id), subject=",".join(sorted(members)),
                 purpose="record", details={"threads": len(out)})
    await session.commit()
    return CaseExport(case_id, now, p.sub, out)
