"""The household a case belongs to, and a named co-applicant joining it."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.problems import Problem
from services.applications.service import protection
from services.applications.service.context import CaseContext
from services.applications.store import cases, households


async def household_for_new_case(session: AsyncSession, applicant: str, unit: str,
                                 now: dt.datetime) -> tuple[uuid.UUID, str]:
    """The applicant's household and its unit (made on their first application), its membership row locked
    until commit. Only the applicant's: a named partner is invited and joins when they accept (join_case), so a
    draft never lands in someone else's household nor occupies their month."""
    found = await households.household_of(session, applicant, lock=True)
    if found is None:
        await households.create_household(session, unit, [applicant], now)
        found = await households.household_of(session, applicant, lock=True)  # the winner, if another request raced
    assert found is not None
    return found


async def co_applicant_status(session: AsyncSession, household_id: uuid.UUID, partner: str | None) -> str | None:
    """A partner already in the applicant's household (they joined before) is a party; anyone else is invited."""
    if partner is None:
        return None
    return "joined" if await households.is_member(session, household_id, partner) else "invited"


async def join_case(session: AsyncSession, ctx: CaseContext, person: str, now: dt.datetime) -> None:
    """The named co-applicant joins the case and its household: by accepting or signing with their own login, or
    by staff recording their signed paper form. Only they are told if they belong to another household."""
    if person != ctx.case.co_applicant_pnr or ctx.case.co_applicant_joined:
        return
    # Asked first, so that the register being unavailable changes nothing (503).
    parties = protection.parties(ctx.case.applicant_pnr, person, "joined")
    protected = await protection.any_protected(ctx.runtime, parties)
    if not await households.join_household(session, ctx.case.household_id, person, now):
        raise Problem(409, "co-applicant-in-other-household", "You apply in another household",
                      "You belong to another household with applications. Withdraw your own applications that are "
                      "not yet submitted, or contact your unit to change households.")
    await cases.set_co_applicant_status(session, ctx.case.id, "joined", now)
    if protected is not ctx.case.protected_identity:  # a protected co-applicant protects the whole case
        await cases.set_protected(session, ctx.case.id, protected)
        ctx.case.protected_identity = protected
    ctx.case.co_applicant_status = "joined"
