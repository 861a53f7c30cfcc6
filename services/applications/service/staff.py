"""Who is staff, and keeping what a staff member's own token says about them (who may be assigned cases:
domain/assignment.py)."""

from __future__ import annotations

import datetime as dt

from kit.auth import Principal
from services.applications.domain import access
from services.applications.domain.access import Role
from services.applications.domain.assignment import StaffMember
from services.applications.service.runtime import Runtime
from services.applications.store import staff as staff_store

STAFF_ROLES = frozenset({Role.CASEWORKER, Role.TEAM_LEAD, Role.EMPLOYMENT_OFFICER})

_SEEN_EVERY = dt.timedelta(hours=1)  # a staff member's row is refreshed at most this often per replica


def is_staff(principal: Principal) -> bool:
    return bool(principal.roles & STAFF_ROLES)


async def note_staff(rt: Runtime, principal: Principal) -> None:
    """In a short transaction of its own, so it is kept whatever the request does; at most once an hour per person
    and replica unless their roles, units or clearance changed."""
    if not is_staff(principal) or principal.is_service:
        return
    now = rt.now()
    member = StaffMember(principal.sub, frozenset(principal.roles & STAFF_ROLES), frozenset(principal.units),
                         principal.can(access.PROTECTED_PERMISSION), now)
    seen = rt.staff_seen
    fingerprint = (member.roles, member.units, member.protected_access, principal.name)
    last = seen.get(principal.sub)
    if last is not None and last[0] == fingerprint and now - last[1] < _SEEN_EVERY:
        return
    async with rt.sessions() as session:
        await staff_store.record_staff(session, member, principal.name)
        await session.commit()
    if len(seen) > 10_000:
        seen.clear()
    seen[principal.sub] = (fingerprint, now)
