"""The case after submit: assign, request and answer information, the due date passing, payment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import APPLICATION_ASSIGNED, APPLICATION_INFO_REQUESTED
from kit.problems import Problem, validation_errors
from services.applications.domain.assignment import may_be_assigned
from services.applications.domain.attachments import DocumentRequest, DocumentType
from services.applications.domain.lifecycle import ActorRole, CaseStatus, Event, check_due_date, is_overdue
from services.applications.service import events
from services.applications.service.cases import take_step
from services.applications.service.context import CaseContext
from services.applications.service.runtime import STOCKHOLM
from services.applications.service.views import case_view
from services.applications.store import assignments, cases, documents, staff


async def _answer(session: AsyncSession, ctx: CaseContext) -> dict[str, Any]:
    out = await case_view(session, ctx)
    await session.commit()
    return out


async def _check_assignee(session: AsyncSession, ctx: CaseContext, target: str, role: str, now: dt.datetime) -> None:
    """Someone else: a real staff member of the case's unit in that role (cleared for a protected case). Taking a
    case oneself was already decided by the access rules that let the caller act on it."""
    if target == ctx.principal.sub or may_be_assigned(await staff.get_staff(session, target), role,
                                                      ctx.case.access(), now):
        return
    raise Problem(422, "assignee-not-eligible", "That person cannot be given this case",
                  "Give it to a staff member of the case's unit in that role (an employment officer for the plan), "
                  "cleared for protected identity when the case is protected, who has signed in lately.",
                  errors=[{"field": "body.sub", "message": "not a staff member who may be given this case",
                           "code": "assignee_not_eligible"}])


async def assign(session: AsyncSession, ctx: CaseContext, sub: str | None, role: str) -> dict[str, Any]:
    """Take the case (``sub`` None) or, as team lead, give it to someone; or add an employment officer.
    The caller is staff of the case (the dependency checked)."""
    assert ctx.role is not None
    now = ctx.runtime.now()
    target = sub or ctx.principal.sub
    if role == "employment_officer":
        # The second responsible person (Mölndal's model): no step in the case, just who works on the plan.
        if sub is None:
            raise Problem(422, "assignee-required", "Say who", "Give the employment officer's sub.")
        await _check_assignee(session, ctx, target, role, now)
        await assignments.assign(session, ctx.case.id, "employment_officer", target, by=ctx.principal.sub, now=now)
        await _note_in_history(session, ctx, "assign_employment_officer", now, {"sub": target})
        ctx.case.assigned["employment_officer"] = target
    else:
        if target != ctx.principal.sub and ctx.role is not ActorRole.TEAM_LEAD:
            raise Problem(403, "case-role-not-allowed", "Only a team lead distributes cases",
                          "Take the case yourself (no body) instead.")
        await _check_assignee(session, ctx, target, role, now)
        event = Event.ASSIGN if ctx.case.status is CaseStatus.SUBMITTED else Event.REASSIGN
        await take_step(session, ctx, event, now, details={"sub": target})
        await assignments.assign(session, ctx.case.id, "caseworker", target, by=ctx.principal.sub, now=now)
        ctx.case.assigned["caseworker"] = target
        events.enqueue(session, APPLICATION_ASSIGNED, ctx.case, caseworker_sub=target)
    ctx.audit_change(session, "assign", role=role, sub=target)
    out = await _answer(session, ctx)
    ctx.runtime.relay.wake()
    return out


async def _note_in_history(session: AsyncSession, ctx: CaseContext, event: str, now: dt.datetime,
                        details: dict[str, Any]) -> None:
    """A history row for something done on the case that is not a lifecycle step (the status stays)."""
    assert ctx.role is not None
    await cases.add_history(session, ctx.case.id, actor=ctx.principal.sub, actor_role=ctx.role.value, event=event,
                            from_status=ctx.case.status.value, to_status=ctx.case.status.value, now=now,
                            details=details)


async def request_info(session: AsyncSession, ctx: CaseContext, due_date: dt.date,
                       asked: Sequence[tuple[DocumentType, str | None]], message: str | None) -> dict[str, Any]:
    """Ask the client for more, with a due date and the documents needed (``asked``: type and text of each)."""
    now = ctx.runtime.now()
    due = check_due_date(due_date, now.astimezone(STOCKHOLM).date())
    try:
        asks = [DocumentRequest(type=kind, text=text) for kind, text in asked]
    except ValidationError as exc:
        raise Problem(422, "validation-error", "Invalid request", "A requested document is invalid.",
                      errors=validation_errors(exc.errors())) from None
    await take_step(session, ctx, Event.REQUEST_INFO, now, reason=message, info_due=due)
    for ask in asks:
        await documents.add_document_request(session, ctx.case.id, ask, requested_by=ctx.principal.sub,
                                             due_date=due, now=now)
    events.enqueue(session, APPLICATION_INFO_REQUESTED, ctx.case)
    ctx.audit_change(session, "request-info")
    out = await _answer(session, ctx)
    ctx.runtime.relay.wake()
    return out


async def answer_info(session: AsyncSession, ctx: CaseContext, message: str | None) -> dict[str, Any]:
    """The information is sent (by the client, or registered by the caseworker); handling goes on."""
    await take_step(session, ctx, Event.ANSWER_INFO, ctx.runtime.now(), reason=message)
    ctx.audit_change(session, "answer-info")
    return await _answer(session, ctx)


async def info_deadline_passed(session: AsyncSession, ctx: CaseContext) -> dict[str, Any]:
    """The due date passed without an answer; handling goes on with what there is."""
    today = ctx.runtime.now().astimezone(STOCKHOLM).date()
    if ctx.case.status is CaseStatus.INFO_REQUESTED and ctx.case.info_due and not is_overdue(ctx.case.info_due, today):
        raise Problem(409, "info-not-overdue", "The due date has not passed",
                      f"The client has until {ctx.case.info_due.isoformat()}.")
    await take_step(session, ctx, Event.INFO_DEADLINE_PASSED, ctx.runtime.now())
    ctx.audit_change(session, "info-deadline-passed")
    return await _answer(session, ctx)


async def mark_paid(session: AsyncSession, ctx: CaseContext, reference: str | None) -> dict[str, Any]:
    """The decision is paid (by a caseworker, or the payment system)."""
    await take_step(session, ctx, Event.PAY, ctx.runtime.now(),
                    details={"reference": reference} if reference else None)
    ctx.audit_change(session, "pay")
    return await _answer(session, ctx)
