"""Who works on a case, per role (caseworker, employment officer)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession


async def assign(session: AsyncSession, case_id: uuid.UUID, role: str, sub: str, *, by: str,
                 now: dt.datetime) -> None:
    await session.execute(text(
        "INSERT INTO assignments (case_id, role, sub, assigned_by, assigned_at) VALUES (:c, :r, :s, :by, :now) "
        "ON CONFLICT (case_id, role) DO UPDATE SET sub = EXCLUDED.sub, assigned_by = EXCLUDED.assigned_by, "
        "assigned_at = EXCLUDED.assigned_at"), {"c": case_id, "r": role, "s": sub, "by": by, "now": now})
