"""Staff as their own tokens describe them (who may be assigned cases)."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.applications.domain.assignment import StaffMember


async def record_staff(session: AsyncSession, member: StaffMember, name: str | None) -> None:
    await session.execute(text(
        "INSERT INTO staff (sub, name, roles, units, protected_access, first_seen, last_seen) "
        "VALUES (:sub, :name, :roles, :units, :pa, :now, :now) ON CONFLICT (sub) DO UPDATE SET name = EXCLUDED.name, "
        "roles = EXCLUDED.roles, units = EXCLUDED.units, protected_access = EXCLUDED.protected_access, "
        "last_seen = GREATEST(staff.last_seen, EXCLUDED.last_seen)"),
        {"sub": member.sub, "name": name, "roles": sorted(member.roles), "units": sorted(member.units),
         "pa": member.protected_access, "now": member.last_seen})


async def get_staff(session: AsyncSession, sub: str) -> StaffMember | None:
    row = (await session.execute(text(
        "SELECT sub, roles, units, protected_access, last_seen FROM staff WHERE sub = :s"), {"s": sub})).first()
    return None if row is None else StaffMember(row.sub, frozenset(row.roles), frozenset(row.units),
                                                row.protected_access, row.last_seen)
