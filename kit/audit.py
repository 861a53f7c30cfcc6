"""Append-only audit: who read or changed whose data, when and why."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.context import current_request_id
from kit.tables import AuditEntry


class Principal(Protocol):
    """The caller (kit.auth.Principal; kit.auth imports this module to record a representative's every request)."""

    @property
    def sub(self) -> str: ...
    @property
    def roles(self) -> frozenset[str]: ...
    @property
    def unit(self) -> str | None: ...
    @property
    def personal_number(self) -> str | None: ...
    @property
    def acting(self) -> Any: ...


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
    """Add an audit entry to the session: it commits (or not) with the work it describes.

    A representative acting for a client (``actor.acting``) is recorded as the actor (their own token subject),
    and the row says on whose behalf and under which representation (``details.on_behalf_of``: the client's
    personnummer; ``details.representation``: its id and kind), so the row reads "done by them for the client"."""
    if actor.acting is not None:
        details = {**(details or {}), "on_behalf_of": actor.personal_number,
                   "representation": {"id": actor.acting.representation_id, "kind": actor.acting.kind}}
    entry = AuditEntry(
        actor=actor.acting.representative_sub if actor.acting is not None else actor.sub,
        actor_roles="representative" if actor.acting is not None else ",".join(sorted(actor.roles)),
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


async def entries_about(session: AsyncSession, personal_number: str, *, case_ids: list[str] | None = None,
                        limit: int = 5000) -> list[dict[str, Any]]:
    """The audit rows about a person (for their register extract): those whose subject names them, and those of
    the given cases. What was done, when, by which role and unit, why — never who (the actor's subject) nor the
    other people a row names."""
    rows = (await session.execute(text(
        "SELECT at, actor_roles, actor_unit, action, resource_type, purpose FROM audit_log "
        "WHERE :p = ANY(string_to_array(subject, ',')) OR (details->>'case_id') = ANY(CAST(:cases AS text[])) "
        "ORDER BY at, id LIMIT :limit"), {"p": personal_number, "cases": case_ids or [], "limit": limit})).mappings()
    return [dict(r) for r in rows]
