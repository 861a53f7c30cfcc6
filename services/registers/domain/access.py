"""Who may read which audit rows: an admin all, a team lead their units' rows; a client only their own (/me)."""

from __future__ import annotations

from dataclasses import dataclass

from values.errors import DomainError

ADMIN = "admin"
TEAM_LEAD = "team_lead"


class NotForYou(DomainError):
    code = "forbidden"
    status = 403
    title = "Forbidden"

    def __init__(self) -> None:
        super().__init__("Your role may not read the look-up audit.")


@dataclass(frozen=True)
class AuditScope:
    """``units`` None: every unit (and rows without one); else only rows of these units."""

    units: frozenset[str] | None

    def covers(self, unit: str | None) -> bool:
        return self.units is None or (unit is not None and unit in self.units)


def audit_scope(roles: frozenset[str], units: frozenset[str]) -> AuditScope:
    if ADMIN in roles:
        return AuditScope(None)
    if TEAM_LEAD in roles and units:
        return AuditScope(units)
    raise NotForYou()
