"""Client profiles: language, interpreter need and contact details (kept only here)."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal
from services.applications.service.context import CaseContext
from services.applications.service.runtime import Runtime
from services.applications.service.views import case_view
from services.applications.store import profiles
from values.personal_number import normalise_personal_number


def _profile_out(row: dict[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    return {k: row.get(k) for k in ("preferred_language", "interpreter_needed", "interpreter_language", "phone",
                                    "email", "address")} | {"preferred_language": row.get("preferred_language", "sv"),
                                                            "interpreter_needed": bool(row.get("interpreter_needed"))}


async def preferred_language(session: AsyncSession, principal: Principal) -> str | None:
    """The language a client saved (None for a caller who is not a client or saved none)."""
    if not principal.personal_number:
        return None
    row = await profiles.get_profile(session, normalise_personal_number(principal.personal_number))
    return (row or {}).get("preferred_language")


async def my_profile(session: AsyncSession, principal: Principal) -> dict[str, Any]:
    me = normalise_personal_number(principal.personal_number or "")
    return _profile_out(await profiles.get_profile(session, me))


async def set_my_profile(session: AsyncSession, rt: Runtime, principal: Principal,
                         values: dict[str, Any]) -> dict[str, Any]:
    """The client sets their own profile (``values``: the fields given)."""
    me = normalise_personal_number(principal.personal_number or "")
    await profiles.upsert_profile(session, me, values, rt.now())
    out = _profile_out(await profiles.get_profile(session, me))
    await session.commit()
    return out


async def set_client_profile(session: AsyncSession, ctx: CaseContext, values: dict[str, Any]) -> dict[str, Any]:
    """A caseworker records the applicant's language and interpreter need (e.g. for a paper client)."""
    await profiles.upsert_profile(session, ctx.case.applicant_pnr, values, ctx.runtime.now())
    ctx.audit_change(session, "update", "client_profile", fields=sorted(values))
    out = await case_view(session, ctx)
    await session.commit()
    return out
