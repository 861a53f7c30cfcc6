"""The municipality's automation policy (one row), and what automation needs to know of a case and a household."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession


async def get_policy(session: AsyncSession) -> dict[str, Any] | None:
    row = (await session.execute(text(
        "SELECT enabled, delegation, updated_by, updated_at FROM automation_policy WHERE id = 1"))).mappings().first()
    return None if row is None else dict(row)


async def set_policy(session: AsyncSession, *, enabled: bool, delegation: str | None, by: str,
                     now: dt.datetime) -> None:
    await session.execute(text(
        "INSERT INTO automation_policy (id, enabled, delegation, updated_by, updated_at) VALUES (1, :e, :d, :by, :now) "
        "ON CONFLICT (id) DO UPDATE SET enabled = :e, delegation = :d, updated_by = :by, updated_at = :now"),
        {"e": enabled, "d": delegation, "by": by, "now": now})


async def set_review_requested(session: AsyncSession, case_id: uuid.UUID, at: dt.datetime | None) -> None:
    await session.execute(text("UPDATE cases SET review_requested_at = :at WHERE id = :id"), {"at": at, "id": case_id})


async def automated_cases(session: AsyncSession, case_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not case_ids:
        return set()
    rows = (await session.execute(text(
        "SELECT case_id FROM decisions WHERE automated AND case_id = ANY(CAST(:ids AS uuid[]))"),
        {"ids": case_ids})).all()
    return {r.case_id for r in rows}
