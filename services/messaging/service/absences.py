"""A caseworker's absence: their threads go to the substitute (or the unit inbox) until they are back."""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.auth import Principal
from kit.problems import not_found
from services.messaging.domain import inbox
from services.messaging.domain.access import Party
from services.messaging.store import absences as absences_store
from services.messaging.store.absences import AbsenceRecord


async def get(session: AsyncSession, p: Party) -> AbsenceRecord:
    found = await absences_store.get_absence(session, p.sub)
    if found is None:
        raise not_found("absence")
    return found


async def put(session: AsyncSession, p: Party, principal: Principal, *, starts_at: dt.datetime,
              ends_at: dt.datetime, substitute: str | None) -> None:
    inbox.check_absence(inbox.Absence(starts_at, ends_at, substitute), p.sub)
    await absences_store.put_absence(session, p.sub, starts_at, ends_at, substitute)
    audit.record(session, principal, "update", "absence", p.sub, purpose="messaging",
                 details={"substitute": substitute})
    await session.commit()


async def delete(session: AsyncSession, p: Party) -> None:
    await absences_store.delete_absence(session, p.sub)
    await session.commit()
