"""The case from draft to submit: start (client, monthly, staff-registered), save, submit, withdraw, read; and the
one way any lifecycle step is checked and recorded (``check_step`` / ``record_step``)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import APPLICATION_SUBMITTED
from kit import audit
from kit.auth import Principal
from kit.i18n import N_
from kit.idempotency import Idempotency, StoredAnswer
from kit.problems import Problem, not_found
from services.applications.domain import access, lifecycle, months
from services.applications.domain.access import PROTECTED_PERMISSION, AccessPrincipal, Section
from services.applications.domain.completeness import check_complete
from services.applications.domain.content import Applicant, DraftContent, Household
from services.applications.domain.lifecycle import ActorRole, CaseState, CaseStatus, Event, RoleNotAllowed
from services.applications.domain.prefill import prefill_monthly
from services.applications.service import events, protection
from services.applications.service.context import CaseContext, load_case, on_behalf
from services.applications.service.households import co_applicant_status, household_for_new_case
from services.applications.service.runtime import Runtime
from services.applications.service.views import case_view, local
from services.applications.store import cases, households, profiles, signatures
from values.personal_number import normalise_personal_number

# --- lifecycle steps: the state table judges, the store records -------------------------------------------------


def check_step(ctx: CaseContext, event: Event) -> CaseState:
    """The state the step leads to, as the domain's table says (409 impossible / 403 not your role)."""
    if ctx.role is None:  # who, before what: a caller who may not act learns nothing about the case
        raise RoleNotAllowed(f"'{event}' may not be done by you.", event=event.value)
    return lifecycle.transition(ctx.case.state, event, ctx.role)


async def record_step(session: AsyncSession, ctx: CaseContext, event: Event, new: CaseState, now: dt.datetime, *,
                      reason: str | None = None, details: dict[str, Any] | None = None, **columns: Any) -> None:
    """Record a checked step: the new state, the history row, the given columns."""
    assert ctx.role is not None
    await cases.set_state(session, ctx.case, new, actor=ctx.principal.sub, actor_role=ctx.role.value,
                          event=event.value, now=now, reason=reason, details=ctx.history_details(details), **columns)
    if ctx.represented:  # a representative's every step is in the audit log, as theirs on the client's behalf
        audit.record(session, ctx.principal, event.value, "case", str(ctx.case.id), subject=ctx.subject,
                     purpose=event.value, details={"case_id": str(ctx.case.id)})
    # The row is locked until commit, so the in-memory copy is what the database now holds.
    case = ctx.case
    case.status, case.outcome, case.version, case.updated_at = new.status, new.outcome, case.version + 1, now
    for name, value in columns.items():
        setattr(case, name, value)


async def take_step(session: AsyncSession, ctx: CaseContext, event: Event, now: dt.datetime, *,
                    reason: str | None = None, details: dict[str, Any] | None = None, **columns: Any) -> CaseState:
    """One lifecycle step: checked by the domain's table, then recorded."""
    new = check_step(ctx, event)
    await record_step(session, ctx, event, new, now, reason=reason, details=details, **columns)
    return new


def require_draft(ctx: CaseContext) -> None:
    if ctx.case.status is not lifecycle.CaseStatus.DRAFT:
        raise Problem(409, "application-not-draft", "The application is no longer a draft",
                      "Only a draft can be changed or signed.", state=ctx.case.status.value)


async def reload(session: AsyncSession, ctx: CaseContext) -> CaseContext:
    case = await cases.get_case(session, ctx.case.id)
    assert case is not None
    ctx.case = case
    return ctx


# --- starting an application ----------------------------------------------------------------------------------

def _with_applicant(content: DraftContent, pnr: str) -> DraftContent:
    """The draft with the applicant filled in from the caller when the client has not given one yet."""
    household = content.household or Household()
    if household.applicant is None:
        household = household.model_copy(update={"applicant": Applicant(personal_number=pnr)})
    return content.model_copy(update={"household": household})


def _parties(content: DraftContent) -> tuple[str, str | None]:
    assert content.household is not None and content.household.applicant is not None
    partner = content.household.partner
    return content.household.applicant.personal_number.value, partner.personal_number.value if partner else None


def _check_period(rt: Runtime, period: str, field: str) -> None:
    months.check_period(period, rt.today(), field, rt.settings.months_ahead)


async def _create(session: AsyncSession, rt: Runtime, principal: Principal, content: DraftContent, *,
                  unit: str, source: str) -> dict[str, Any]:
    """A new draft; its protection is the population register's answer about its parties (503 without one)."""
    now = rt.now()
    applicant, partner = _parties(content)
    household_id, household_unit = await household_for_new_case(session, applicant, unit, now)
    status = await co_applicant_status(session, household_id, partner)
    protected = await protection.any_protected(rt, protection.parties(applicant, partner, status))
    case_id = await cases.insert_case(session, household_id=household_id, content=content, unit=household_unit,
                                      source=source, applicant_pnr=applicant, co_applicant_pnr=partner,
                                      co_applicant_status=status, protected_identity=protected,
                                      created_by=principal.sub, now=now)
    if case_id is None:
        raise await _exists(session, principal, household_id, content.period)
    role = ActorRole.CLIENT.value if source == "digital" else ActorRole.CASEWORKER.value
    await cases.add_history(session, case_id, actor=principal.sub, actor_role=role, event="create",
                            from_status=None, to_status=CaseStatus.DRAFT.value, now=now,
                            details=on_behalf(principal, role, {"source": source, "kind": content.kind.value}))
    if source != "digital" or principal.acting is not None:
        audit.record(session, principal, "create", "application", str(case_id),
                     subject=",".join(p for p in (applicant, partner) if p),
                     purpose=f"registered from {source}" if source != "digital" else "made by a representative")
    ctx = await load_case(session, rt, principal, case_id, lock=False)
    return await case_view(session, ctx)


async def _exists(session: AsyncSession, principal: Principal, household_id: uuid.UUID, period: str) -> Problem:
    """409: the household already has this month's application. Its id only for a caller who may read it (a
    household member who is not a party to it learns that it exists, which their household knows anyway)."""
    existing_id = await cases.case_for_month(session, household_id, period)
    existing = await cases.get_case(session, existing_id) if existing_id else None
    readable = existing is not None and access.can_read_case(AccessPrincipal.from_principal(principal),
                                                             existing.access())
    return Problem(409, "application-exists", "There is already an application for this month",
                   "Continue the existing application instead.",
                   **({"application_id": str(existing_id)} if readable else {}))


async def start_application(session: AsyncSession, rt: Runtime, principal: Principal, body: DraftContent,
                            idem: Idempotency) -> dict[str, Any] | StoredAnswer:
    """A client starts an application for a month (a draft, 201), or the first answer to a retry."""
    if (answer := await idem.claim(session, f"{principal.sub}:applications", body.model_dump(mode="json"))) is not None:
        return answer
    _check_period(rt, body.period, "body.period")
    me = normalise_personal_number(principal.personal_number or "")
    content = _with_applicant(body, me)
    if _parties(content)[0] != me:
        # Decided on the body alone, before any look-up: the same answer whoever the named person is.
        raise Problem(422, "applicant-not-you", N_("You can only apply as the applicant"),
                      "household.applicant must be you. Name your partner as partner: they are invited and join "
                      "with their own login.")
    out = await _create(session, rt, principal, content, unit=rt.settings.default_unit, source="digital")
    await idem.complete(session, 201, out)
    await session.commit()
    return out


async def start_monthly(session: AsyncSession, rt: Runtime, principal: Principal, month: str,
                        idem: Idempotency) -> dict[str, Any] | StoredAnswer:
    """This month's re-application, prefilled from the household's last one."""
    if (answer := await idem.claim(session, f"{principal.sub}:monthly", {"month": month})) is not None:
        return answer
    _check_period(rt, month, "body.month")
    me = normalise_personal_number(principal.personal_number or "")
    found = await households.household_of(session, me)
    previous = await cases.latest_case_of_household(session, found[0], month) if found else None
    if previous is None:
        raise Problem(409, "no-previous-application", "There is no earlier application to continue",
                      "Make a first application instead.")
    content = prefill_monthly(previous.draft(), month)
    # The household's own application for the next month: made by a member (who joined it with their own login).
    out = await _create(session, rt, principal, content, unit=previous.unit, source="digital")
    await idem.complete(session, 201, out)
    await session.commit()
    return out


async def register_for_client(session: AsyncSession, rt: Runtime, principal: Principal, idem: Idempotency,
                              payload: dict[str, Any], *, personal_number: str, source: str, content: DraftContent,
                              protected_identity: bool,
                              profile: dict[str, Any] | None) -> dict[str, Any] | StoredAnswer:
    """A caseworker registers a paper, phone or visit application. ``payload``: the request body, for the
    Idempotency-Key's check that a retry is the same request."""
    if (answer := await idem.claim(session, f"{principal.sub}:staff-applications", payload)) is not None:
        return answer
    _check_period(rt, content.period, "body.content.period")
    pnr = personal_number
    content = _with_applicant(content, pnr)
    if _parties(content)[0] != pnr:
        raise Problem(422, "applicant-mismatch", "The applicant differs from personal_number",
                      "content.household.applicant must be the client the application is registered for.")
    units = sorted(principal.units)
    if not units:
        raise Problem(403, "forbidden", "Forbidden", "You belong to no unit.")
    if protected_identity:
        raise Problem(422, "protected-identity-not-set-here", "Protected identity is not set here",
                      "Protected identity comes from the population register, not from this form.",
                      errors=[{"field": "body.protected_identity", "message": "must be false or left out",
                               "code": "protected_identity_from_register"}])
    found = await households.household_of(session, pnr)
    # Another unit's client, or a protected client for a caseworker without clearance: one answer for both, so
    # it tells only "not yours to register" (needed to refer the person), never which, nor where.
    cleared = principal.can(PROTECTED_PERMISSION)
    if (found is not None and found[1] not in principal.units) or (
            not cleared and await protection.any_protected(rt, [pnr])):
        raise not_found("client")
    if profile is not None:
        await profiles.upsert_profile(session, pnr, profile, rt.now())
    out = await _create(session, rt, principal, content, unit=found[1] if found else units[0], source=source)
    await idem.complete(session, 201, out)
    await session.commit()
    return out


# --- the draft ------------------------------------------------------------------------------------------------

async def read_case(session: AsyncSession, ctx: CaseContext) -> dict[str, Any]:
    """The application as the caller may see it (a staff read is audited)."""
    body = await case_view(session, ctx)
    ctx.audit_read(session, "application", "case handling")
    await session.commit()
    return body


async def save_draft(session: AsyncSession, ctx: CaseContext, body: DraftContent,
                     if_match: str | None) -> dict[str, Any]:
    """Save the draft as edited from version ``if_match`` (the ETag the editor had)."""
    case = ctx.case
    paper = case.source != "digital" and ctx.role is ActorRole.CASEWORKER
    if not (ctx.is_party or paper):
        raise Problem(403, "case-role-not-allowed", "You may not change this application",
                      "Drafts are changed by the applicants (or by staff for paper applications).")
    require_draft(ctx)
    if if_match is None:
        raise Problem(428, "if-match-required", "If-Match required",
                      "Send the ETag of the version you edited in If-Match.")
    if if_match.strip().removeprefix("W/") != case.etag:
        raise Problem(412, "version-mismatch", N_("The application was changed meanwhile"),
                      N_("Load it again and redo your change."), current_version=case.version)
    if (body.kind.value, body.period) != (case.kind, case.period):
        raise Problem(422, "application-kind-period-fixed", N_("Kind and month cannot change"),
                      N_("Start a new application for another month."))
    content = _with_applicant(body, case.applicant_pnr)
    applicant, partner = _parties(content)
    if applicant != case.applicant_pnr:
        raise Problem(422, "applicant-fixed", N_("The applicant cannot change"),
                      N_("Start a new application if someone else applies."))
    now = ctx.runtime.now()
    # The same partner keeps their answer; someone newly named is invited (unless already in the household).
    status = (case.co_applicant_status if partner == case.co_applicant_pnr
              else await co_applicant_status(session, case.household_id, partner))
    protected = case.protected_identity
    if (partner, status) != (case.co_applicant_pnr, case.co_applicant_status):
        # Other parties: the case's copy is taken again from the register (asked before anything is written).
        protected = await protection.any_protected(ctx.runtime, protection.parties(applicant, partner, status))
    version = await cases.update_content(session, case.id, content, expected_version=case.version,
                                         co_applicant_pnr=partner, co_applicant_status=status, now=now)
    if protected is not case.protected_identity:  # a protected co-applicant protects the whole case
        await cases.set_protected(session, case.id, protected)
    if version is None:  # cannot happen under the row lock; kept as the database-level guard
        raise Problem(412, "version-mismatch", N_("The application was changed meanwhile"), N_("Load it again."))
    ctx.audit_change(session, "update")
    ctx = await reload(session, ctx)
    out = await case_view(session, ctx)
    await session.commit()
    return out


# --- submit and withdraw ----------------------------------------------------------------------------------------

async def submit(session: AsyncSession, ctx: CaseContext, idem: Idempotency) -> dict[str, Any] | StoredAnswer:
    """Submit: the state first (409 when already submitted), then completeness with every adult applicant's
    signature (422 lists what is missing); the step, its event and audit entry commit together."""
    if (answer := await idem.claim(session, f"{ctx.principal.sub}:submit", {"case_id": str(ctx.case.id)})) is not None:
        return answer
    new = check_step(ctx, Event.SUBMIT)
    sigs = ctx.case.signatures if ctx.case.signatures is not None else await signatures.signatures(session, ctx.case.id)
    check_complete(ctx.case.draft(), sigs, ctx.case.required_signers())  # (the complete form is not needed here)
    # The case reaches staff now: its copy of the parties' protection is taken again (a marking the register made
    # while it was a draft counts from the first staff view, and its events say so). The answer may be one reused
    # from the last minute (settings.protection_cache_seconds; integration/registers.py says why that is safe).
    case = ctx.case
    protected = await protection.any_protected(
        ctx.runtime, protection.parties(case.applicant_pnr, case.co_applicant_pnr, case.co_applicant_status))
    if protected is not case.protected_identity:
        await cases.set_protected(session, case.id, protected)
        case.protected_identity = protected
    now = ctx.runtime.now()
    await record_step(session, ctx, Event.SUBMIT, new, now, submitted_at=now)
    events.enqueue(session, APPLICATION_SUBMITTED, ctx.case)
    events.enqueue_proposal(session, ctx.case)  # the decision proposal, made by the service's own job
    ctx.audit_change(session, "submit")
    out = await case_view(session, ctx, sigs if ctx.can(Section.SIGNATURES) else [])
    await idem.complete(session, 200, out)
    await session.commit()
    ctx.runtime.wake()
    return out


async def withdraw(session: AsyncSession, ctx: CaseContext, reason: str | None) -> dict[str, Any]:
    await take_step(session, ctx, Event.WITHDRAW, ctx.runtime.now(), reason=reason)
    out = await case_view(session, ctx)
    await session.commit()
    return out


async def case_history(session: AsyncSession, ctx: CaseContext) -> list[dict[str, Any]]:
    """Every step of the case: who, when, from, to, why."""
    rows = await cases.history(session, ctx.case.id)
    ctx.audit_read(session, "history", "case handling")
    await session.commit()
    # A representative's step names the representation it was taken under (its id, kind, and for whom: the
    # applicant or the co-applicant): done by them, on the client's behalf.
    return [{**{k: v for k, v in r.items() if k != "acting"}, "at": local(r["at"]),
             **({"on_behalf": r["acting"]} if r["acting"] else {})} for r in rows]
