"""Live events: NOTIFY inside the transaction, heard by every replica's hub when the work commits."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

NOTIFY_CHANNEL = "messaging_events"


async def publish(session: AsyncSession, event: dict[str, Any]) -> None:
    """NOTIFY is transactional: listeners on every replica hear it when (and only if) the work commits.
    The payload holds ids only, never content or personal data."""
    await session.execute(text("SELECT pg_notify(:c, :p)"),
                          {"c": NOTIFY_CHANNEL, "p": orjson.dumps(event, default=str).decode()})
