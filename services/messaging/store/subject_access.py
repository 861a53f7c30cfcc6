"""What messaging keeps about one person beyond their threads: the notifications and letters sent to them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession


async def notifications_of(session: AsyncSession, personal_number: str) -> list[dict[str, Any]]:
    """Notifications made for the person (by the reference their contact row keeps), oldest first."""
    rows = (await session.execute(text(
        "SELECT n.channel, n.kind, n.status, n.created_at, n.sent_at FROM notifications n "
        "JOIN contacts c ON c.person_ref = n.person_ref WHERE c.personal_number = :p "
        "ORDER BY n.created_at, n.id"), {"p": personal_number})).mappings()
    return [dict(r) for r in rows]


async def letters_of(session: AsyncSession, personal_number: str) -> list[dict[str, Any]]:
    """Letters made for the person (by their contact's reference), oldest first: what and when, never the PDF."""
    rows = (await session.execute(text(
        "SELECT l.kind, l.status, l.created_at, l.batch_day, l.pages, l.language FROM letters l "
        "JOIN contacts c ON c.person_ref = l.person_ref WHERE c.personal_number = :p "
        "ORDER BY l.created_at, l.id"), {"p": personal_number})).mappings()
    return [dict(r) for r in rows]
