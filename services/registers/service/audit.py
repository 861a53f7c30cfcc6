"""Reading the look-up audit: a client their own look-ups, a team lead their units', an admin all."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.problems import not_found
from services.registers.domain.access import AuditScope
from services.registers.domain.audit import LookupRow, month_bounds
from services.registers.service.runtime import Runtime
from services.registers.store import lookups as store

STOCKHOLM = ZoneInfo("Europe/Stockholm")


async def about_me(session: AsyncSession, rt: Runtime, personal_number: str) -> list[LookupRow]:
    return await store.about(session, rt.sealer, personal_number, rt.settings.audit_page_max)


async def search(session: AsyncSession, rt: Runtime, scope: AuditScope, *, case_id: uuid.UUID | None,
                 month: str | None, limit: int) -> list[LookupRow]:
    since, until = month_bounds(month, STOCKHOLM) if month else (None, None)
    return await store.search(session, scope, case_id=case_id, since=since, until=until,
                              limit=min(limit, rt.settings.audit_page_max))


async def one(session: AsyncSession, scope: AuditScope, lookup_id: uuid.UUID) -> LookupRow:
    row = await store.get(session, lookup_id)
    if row is None or not scope.covers(row.unit):
        raise not_found("look-up")  # another unit's row is not told apart from a missing one
    return row
