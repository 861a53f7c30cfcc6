"""Protected identity (skyddade personuppgifter): applications owns the fact until the registers service takes it
over. Only a registrar sets or lifts it (audited with the reason); services that show people ask who has it."""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.auth import Principal
from services.applications.service.runtime import Runtime
from services.applications.store import protection

log = logging.getLogger("applications.internal")


async def set_protection(session: AsyncSession, rt: Runtime, principal: Principal, personal_number: str,
                         protected: bool, reason: str) -> tuple[bool, int]:
    """Set or lift a person's protected identity; their cases follow. (changed, number of cases updated)."""
    changed, cases = await protection.set_person_protection(session, personal_number, protected, rt.now())
    audit.record(session, principal, "protect" if protected else "unprotect", "protected_identity",
                 None, subject=personal_number, purpose=reason,
                 details={"protected_identity": protected, "changed": changed, "cases_updated": cases})
    await session.commit()
    return changed, cases


async def protected_among(session: AsyncSession, principal: Principal, personal_numbers: list[str]) -> list[str]:
    """The owner's answer to a service that shows people: which of them have protected identity."""
    asked = sorted(set(personal_numbers))
    protected = await protection.protected_among(session, asked)
    log.info("protection asked", extra={"client_id": principal.client_id, "asked": len(asked),
                                        "protected": len(protected)})
    return protected
