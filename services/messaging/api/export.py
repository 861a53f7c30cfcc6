"""A case's messages for the record (journal): the unit's caseworkers and team leads, audited.

Retracted messages appear as a marker (who, when, that it was retracted) without their text or files, for
everyone: the sender took them back within the window. Employment officers get no export: they see only the
threads they are a party to, never the case's other (money) threads."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal, authenticate
from kit.db import session as db_session
from services.messaging.api import deps
from services.messaging.api.schemas import AttachmentOut
from services.messaging.domain.access import Party
from services.messaging.service import export
from services.messaging.service.runtime import Runtime

router = APIRouter(tags=["export"])


def _document(found: export.CaseExport) -> dict[str, Any]:
    return {"case_id": str(found.case_id), "exported_at": found.exported_at.isoformat(),
            "exported_by": found.exported_by, "threads": [{
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
            } for thread, messages in found.threads]}


@router.get("/cases/{case_id}/export", summary="Staff: every thread and message of a case, for the record")
async def export_case(case_id: uuid.UUID, session: AsyncSession = Depends(db_session),
                      principal: Principal = Depends(authenticate),
                      p: Party = Depends(deps.case_exporter),
                      rt: Runtime = Depends(deps.current_runtime)) -> dict[str, Any]:
    return _document(await export.export_case(session, rt, p, principal, case_id))
