"""A case's messages for the record (journal): the unit's caseworkers and team leads, audited.

Retracted messages appear as a marker (who, when, that it was retracted) without their text or files, for
everyone: the sender took them back within the window. Employment officers get no export: they see only the
threads they are a party to, never the case's other (money) threads."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.auth import Principal, authenticate
from kit.db import session as db_session
from kit.problems import Problem, not_found
from services.messaging import store
from services.messaging.api import deps
from services.messaging.api.schemas import AttachmentOut
from services.messaging.domain.access import Party, Side, reader_key

router = APIRouter(tags=["export"])


@router.get("/cases/{case_id}/export", summary="Staff: every thread and message of a case, for the record")
async def export_case(case_id: uuid.UUID, request: Request, session: AsyncSession = Depends(db_session),
                      principal: Principal = Depends(authenticate),
                      p: Party = Depends(deps.staff)) -> dict[str, Any]:
    if p.work_only:
        # A role rule, the same answer for every case: nothing to learn about the case from it.
        raise Problem(403, "forbidden", "Forbidden", "Employment officers see their own threads, not case exports.")
    keyring = deps.keyring_of(request)
    now = deps.clock(request)
    threads = await store.staff_threads(session, keyring, sub=p.sub, units=sorted(p.units),
                                        protected_access=p.protected_access, view="all",
                                        reader=reader_key(p, Side.STAFF), now=now, case_id=case_id, limit=500)
    if not threads:
        raise not_found("case")
    out = []
    members: set[str] = set()
    for thread in threads:
        full = await store.get_thread(session, keyring, thread.id, now)
        assert full is not None
        members |= full.members
        messages = await store.list_messages(session, keyring, thread.id, limit=100_000)
        out.append({
            "thread_id": str(thread.id), "unit": thread.unit, "subject": thread.subject,
            "created_at": thread.created_at.isoformat(), "created_by": thread.created_by,
            "messages": [{
                "seq": m.seq, "id": str(m.id), "side": m.sender_side.value, "sender": m.sender_sub,
                "sender_name": m.sender_name, "created_at": m.created_at.isoformat(), "body": m.body,
                "format": "text/plain", "retracted": m.retracted_at is not None,
                "retracted_at": m.retracted_at.isoformat() if m.retracted_at else None,
                "read_by_other_side_at": m.read_at.isoformat() if m.read_at else None,
                "attachments": [AttachmentOut.of(a).model_dump(mode="json", exclude={"sent"})
                                for a in m.attachments],
            } for m in messages],
        })
    audit.record(session, principal, "export", "case", str(case_id), subject=",".join(sorted(members)),
                 purpose="record", details={"threads": len(out)})
    await session.commit()
    return {"case_id": str(case_id), "exported_at": now.isoformat(), "exported_by": p.sub,
            "threads": out}
