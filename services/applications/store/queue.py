"""The work queue: cases waiting, oldest first."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.applications.store.cases import CASE_SELECT, CaseRecord, case_from_row


async def queue(session: AsyncSession, *, sub: str, units: list[str], protected_access: bool, view: str,
                statuses: list[str] | None, month: str | None, submitted_before: dt.datetime | None,
                flagged: bool | None, after: tuple[dt.datetime, uuid.UUID] | None, limit: int) -> list[CaseRecord]:
    """Oldest waiting first (fairness: first come, first served), keyset-paginated on (submitted_at, id)."""
    rows = (await session.execute(text(
        CASE_SELECT + "WHERE c.status <> 'draft' AND c.anonymised_at IS NULL "  # noqa: S608 - constant fragments, values are bound
        "AND (c.unit = ANY(CAST(:units AS text[])) OR EXISTS (SELECT 1 FROM assignments a WHERE a.case_id = c.id "
        "AND a.sub = :sub)) AND (NOT c.protected_identity OR :pa) "
        "AND (:view <> 'unassigned' OR NOT EXISTS (SELECT 1 FROM assignments a WHERE a.case_id = c.id "
        "AND a.role = 'caseworker')) "
        "AND (:view <> 'mine' OR EXISTS (SELECT 1 FROM assignments a WHERE a.case_id = c.id AND a.sub = :sub)) "
        "AND (CAST(:statuses AS text[]) IS NULL OR c.status = ANY(CAST(:statuses AS text[]))) "
        "AND (CAST(:month AS text) IS NULL OR c.period = :month) "
        "AND (CAST(:before AS timestamptz) IS NULL OR c.submitted_at <= :before) "
        "AND (CAST(:flagged AS boolean) IS NULL OR EXISTS (SELECT 1 FROM trust_checks t WHERE t.case_id = c.id) "
        "= :flagged) "
        "AND (CAST(:after_at AS timestamptz) IS NULL OR (c.submitted_at, c.id) > (:after_at, :after_id)) "
        "ORDER BY c.submitted_at, c.id LIMIT :limit"),
        {"units": units, "sub": sub, "pa": protected_access, "view": view, "statuses": statuses, "month": month,
         "before": submitted_before, "flagged": flagged, "after_at": after[0] if after else None,
         "after_id": after[1] if after else uuid.UUID(int=0), "limit": limit})).all()
    return [case_from_row(r) for r in rows]
