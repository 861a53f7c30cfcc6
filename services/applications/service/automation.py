"""The automation policy (the municipality admin's switch, OFF by default), undoing an automated approval before
payment (a caseworker), and the client's request that a person review an automated decision."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.auth import Principal
from kit.problems import Problem
from services.applications.domain.automation import check_undo
from services.applications.domain.lifecycle import CaseStatus, Event
from services.applications.service.cases import take_step
from services.applications.service.context import CaseContext
from services.applications.service.runtime import STOCKHOLM, Runtime
from services.applications.service.views import case_view, local
from services.applications.store import assignments, cases, decisions
from services.applications.store import automation as automation_store


def _policy_out(row: dict[str, Any] | None) -> dict[str, Any]:
    if row is None:
        return {"enabled": False, "delegation": None, "updated_at": None}
    return {"enabled": row["enabled"], "delegation": row["delegation"], "updated_at": local(row["updated_at"])}


async def read_policy(session: AsyncSession) -> dict[str, Any]:
    return _policy_out(await automation_store.get_policy(session))


async def set_policy(session: AsyncSession, rt: Runtime, principal: Principal, *, enabled: bool,
                     delegation: str | None) -> dict[str, Any]:
    """Switch automated approval on (naming the delegation it decides under) or off; audited."""
    if enabled and not delegation:
        raise Problem(422, "delegation-required", "Name the delegation",
                      "Automated approval decides under a named delegation (delegationsordning); give it.",
                      errors=[{"field": "body.delegation", "message": "required when enabled",
                               "code": "delegation_required"}])
    before = await automation_store.get_policy(session)
    await automation_store.set_policy(session, enabled=enabled, delegation=delegation, by=principal.sub, now=rt.now())
    audit.record(session, principal, "update", "automation_policy", "municipality", purpose="automation policy",
                 details={"enabled": enabled, "delegation": delegation,
                          "was_enabled": bool(before and before["enabled"]),
                          "was_delegation": before["delegation"] if before else None})
    out = _policy_out(await automation_store.get_policy(session))
    await session.commit()
    return out


async def undo_automated(session: AsyncSession, ctx: CaseContext, reason: str) -> dict[str, Any]:
    """A person takes back an automated approval before it is paid: the decision is kept as undone, the case is in
    review again, with the person who undid it as its caseworker's to decide."""
    row = await decisions.decision_row(session, ctx.case.id)
    now = ctx.runtime.now()
    decided_at = row["decided_at"] if row else now
    check_undo(status=ctx.case.status, automated=bool(row and row["automated"]),
               decided_on=decided_at.astimezone(STOCKHOLM).date(), today=now.astimezone(STOCKHOLM).date(),
               payout_day=ctx.runtime.settings.payout_day)
    await take_step(session, ctx, Event.UNDO_AUTOMATED, now, reason=reason, decided_at=None,
                    details={"undone": "automated approval"})
    await decisions.undo_decision(session, ctx.case.id, by=ctx.principal.sub, reason=reason, now=now)
    await automation_store.set_review_requested(session, ctx.case.id, None)  # the review is what happens now
    ctx.case.review_requested_at = None
    if "caseworker" not in ctx.case.assigned:  # automation assigned no one: the person who took it back has it
        await assignments.assign(session, ctx.case.id, "caseworker", ctx.principal.sub, by=ctx.principal.sub, now=now)
        ctx.case.assigned["caseworker"] = ctx.principal.sub
    ctx.audit_change(session, "undo-automated-decision", reason=reason)
    out = await case_view(session, ctx)
    await session.commit()
    return out


async def request_review(session: AsyncSession, ctx: CaseContext, message: str | None) -> dict[str, Any]:
    """The client asks a person to review the automated decision: the case is flagged in the unit's queue. Asking
    again changes nothing."""
    row = await decisions.decision_row(session, ctx.case.id)
    if ctx.case.status not in (CaseStatus.DECIDED, CaseStatus.PAID) or row is None or not row["automated"]:
        raise Problem(409, "review-not-possible", "Only an automated decision is reviewed this way",
                      "A caseworker's decision can be appealed; the decision letter says how.")
    first = await _flag(session, ctx, message)
    return {"case_id": str(ctx.case.id), "review_requested": True, "new": first}


async def _flag(session: AsyncSession, ctx: CaseContext, message: str | None) -> bool:
    if ctx.case.review_requested_at is not None:
        await session.commit()
        return False
    now = ctx.runtime.now()
    await automation_store.set_review_requested(session, ctx.case.id, now)
    assert ctx.role is not None
    await cases.add_history(session, ctx.case.id, actor=ctx.principal.sub, actor_role=ctx.role.value,
                            event="review_requested", from_status=ctx.case.status.value,
                            to_status=ctx.case.status.value, now=now, reason=message)
    await session.commit()
    return True
