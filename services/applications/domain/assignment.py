"""Who may be given a case: a real staff member, in the right role, of the case's unit, cleared when it is protected.

"Real" means the service has seen them: their own token, signed by the identity provider, said who they are
(store: the staff table) within ``SEEN_WITHIN``. An arbitrary subject, someone who left, a client, or a caseworker
of another unit is refused, all with the same answer (nothing about other units' staff is revealed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.applications.domain.access import CaseAccess, Role

SEEN_WITHIN = dt.timedelta(days=90)  # a staff member not seen for a quarter is not given new cases


@dataclass(frozen=True)
class StaffMember:
    sub: str
    roles: frozenset[str]
    units: frozenset[str]
    protected_access: bool
    last_seen: dt.datetime


def may_be_assigned(member: StaffMember | None, role: str, case: CaseAccess, now: dt.datetime) -> bool:
    """``role``: "caseworker" (handles the case: a caseworker or team lead of the case's unit) or
    "employment_officer" (works on the plan: an employment officer, who sits in a unit of their own)."""
    if member is None or now - member.last_seen > SEEN_WITHIN:
        return False
    if case.protected_identity and not member.protected_access:
        return False
    if role == Role.CASEWORKER:
        return bool(member.roles & {Role.CASEWORKER, Role.TEAM_LEAD}) and case.unit in member.units
    if role == Role.EMPLOYMENT_OFFICER:
        return Role.EMPLOYMENT_OFFICER in member.roles
    return False
