"""Append-only audit: who read or changed whose data, when and why."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal
from kit.context import current_request_id
from kit.tables import AuditEntry


def record(
    session: AsyncSession,
    actor: Principal,
    action: str,
    resource_type: str,
    resource_id: str | None = None,
    *,
    subject: str | None = None,
    purpose: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the session: it commits (or not) with the work it describes."""
    entry = AuditEntry(
        actor=actor.sub,
        actor_roles=",".join(sorted(actor.roles)),
        actor_unit=actor.unit,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        subject=subject,
        purpose=purpose,
        request_id=current_request_id(),
        details=details,
    )
    session.add(entry)
    return entry
