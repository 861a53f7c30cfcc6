"""Drafts, the monthly re-application, signing, submit, withdraw, history; staff registering paper applications."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from kit import audit
from kit.auth import Principal
from kit.db import session as db_session
from kit.problems import Problem, not_found
from services.applications import events, store
from services.applications.api import common, deps, schemas
from services.applications.api.deps import CaseContext
from services.applications.domain import access, signing
from services.applications.domain.access import PROTECTED_PERMISSION, AccessPrincipal, Section
from services.applications.domain.completeness import ensure_complete
from services.applications.domain.content import Applicant, DraftContent, Household
from services.applications.domain.lifecycle import ActorRole, CaseStatus, Event, RoleNotAllowed, transition
from services.applications.domain.prefill import prefill_monthly
from values.personal_number import normalise_personal_number

router = APIRouter(tags=["applications"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key",
                                              description="Retry safely: the first answer is returned again.")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description="The ETag of the version you edited.")]


def _with_applicant(content: DraftContent, pnr: str) -> DraftContent:
    """The draft with the applicant filled in from the caller when the client has not given one yet."""
    household = content.household or Household()
    if household.applicant is None:
        household = household.model_copy(update={"applicant": Applicant(personal_number=pnr)})
    return content.model_copy(update={"household": household})


def _claimed(principal: Principal, me: str) -> str | None:
    return me if principal.claims.get("protected_identity") is True else None


def _parties(content: DraftContent) -> tuple[str, str | None]:
    assert content.household is not None and content.household.applicant is not None
    partner = content.household.partner
    return content.household.applicant.personal_number.value, partner.personal_number.value if partner else None


async def _household(session: AsyncSession, applicant: str, unit: str,
                     now: dt.datetime) -> tuple[uuid.UUID, str]:
    """The applicant's household and its unit (made on their first application), its membership row locked
    until commit. Only the applicant's: a named partner is invited and joins when they accept (_join), so a
    draft never lands in someone else's household nor occupies their month."""
    found = await store.household_of(session, applicant, lock=True)
    if found is None:
        await store.create_household(session, unit, [applicant], now)
        found = await store.household_of(session, applicant, lock=True)  # the winner, if another request raced
    assert found is not None
    return found


async def _join(session: AsyncSession, ctx: CaseContext, person: str, now: dt.datetime) -> None:
    """The named co-applicant joins the case and its household: by accepting or signing with their own login, or
    by staff recording their signed paper form. Only they are told if they belong to another household."""
    if person != ctx.case.co_applicant_pnr or ctx.case.co_applicant_joined:
        return
    if not await store.join_household(session, ctx.case.household_id, person, now):
        raise Problem(409, "co-applicant-in-other-household", "You apply in another household",
                      "You belong to another household with applications. Withdraw your own applications that are "
                      "not yet submitted, or contact your unit to change households.")
    await store.set_co_applicant_status(session, ctx.case.id, "joined", now)
    if not ctx.case.protected_identity and await store.any_protected(session, [person]):
        await store.set_protected(session, ctx.case.id)  # a protected co-applicant protects the whole case
        ctx.case.protected_identity = True
    ctx.case.co_applicant_status = "joined"


async def _co_applicant_status(session: AsyncSession, household_id: uuid.UUID, partner: str | None) -> str | None:
    """A partner already in the applicant's household (they joined before) is a party; anyone else is invited."""
    if partner is None:
        return None
    return "joined" if await store.is_member(session, household_id, partner) else "invited"


async def _create(session: AsyncSession, request: Request, principal: Principal, content: DraftContent, *,
                  unit: str, source: str, claimed_protected: str | None = None) -> JSONResponse:
    """``claimed_protected``: the caller's own personnummer when their token says they have protected identity
    (a claim may tighten, never loosen, and only about the caller)."""
    now = deps.clock(request)
    applicant, partner = _parties(content)
    household_id, household_unit = await _household(session, applicant, unit, now)
    status = await _co_applicant_status(session, household_id, partner)
    if claimed_protected:
        await store.mark_protected(session, [claimed_protected], now)
    # Protection follows the parties: the applicant, and the partner once joined (an invitee's status is not
    # looked up, so naming someone tells nothing about them).
    parties = [applicant, *([partner] if partner and status == "joined" else [])]
    protected = await store.any_protected(session, parties)
    case_id = await store.insert_case(session, household_id=household_id, content=content, unit=household_unit,
                                      source=source, applicant_pnr=applicant, co_applicant_pnr=partner,
                                      co_applicant_status=status, protected_identity=protected,
                                      created_by=principal.sub, now=now)
    if case_id is None:
        raise await _exists(session, principal, household_id, content.period)
    role = ActorRole.CLIENT.value if source == "digital" else ActorRole.CASEWORKER.value
    await store.add_history(session, case_id, actor=principal.sub, actor_role=role, event="create",
                            from_status=None, to_status=CaseStatus.DRAFT.value, now=now,
                            details={"source": source, "kind": content.kind.value})
    if source != "digital":
        audit.record(session, principal, "create", "application", str(case_id),
                     subject=",".join(p for p in (applicant, partner) if p), purpose=f"registered from {source}")
    ctx = await deps.readable_case(case_id, request, session, principal)
    return common.case_response(await common.view(session, ctx), 201, Location=f"/applications/{case_id}")


async def _exists(session: AsyncSession, principal: Principal, household_id: uuid.UUID, period: str) -> Problem:
    """409: the household already has this month's application. Its id only for a caller who may read it (a
    household member who is not a party to it learns that it exists, which their household knows anyway)."""
    existing_id = await store.case_for_month(session, household_id, period)
    existing = await store.get_case(session, existing_id) if existing_id else None
    readable = existing is not None and access.can_read_case(AccessPrincipal.from_principal(principal),
                                                             existing.access())
    return Problem(409, "application-exists", "There is already an application for this month",
                   "Continue the existing application instead.",
                   **({"application_id": str(existing_id)} if readable else {}))


@router.post("/applications", status_code=201, response_model=schemas.CaseOut,
             summary="Client: start an application (a draft; save it as you go)")
async def create_application(body: DraftContent, request: Request, idempotency_key: IdempotencyKey = None,
                             session: AsyncSession = Depends(db_session),
                             principal: Principal = Depends(deps.client_principal)) -> JSONResponse:
    scope = f"{principal.sub}:applications"
    if (answer := await common.claim(session, scope, idempotency_key, body.model_dump(mode="json"))) is not None:
        return answer
    deps.check_period(request, body.period, "body.period")
    me = normalise_personal_number(principal.personal_number or "")
    content = _with_applicant(body, me)
    if _parties(content)[0] != me:
        # Decided on the body alone, before any look-up: the same answer whoever the named person is.
        raise Problem(422, "applicant-not-you", "You can only apply as the applicant",
                      "household.applicant must be you. Name your partner as partner: they are invited and join "
                      "with their own login.")
    response = await _create(session, request, principal, content, unit=deps.settings_of(request).default_unit,
                             source="digital", claimed_protected=_claimed(principal, me))
    await common.complete(session, scope, idempotency_key, 201, common.body_of(response))
    await session.commit()
    return response


@router.post("/applications/monthly", status_code=201, response_model=schemas.CaseOut,
             summary="Client: this month's re-application, prefilled from the household's last application")
async def create_monthly(body: schemas.MonthlyIn, request: Request, idempotency_key: IdempotencyKey = None,
                         session: AsyncSession = Depends(db_session),
                         principal: Principal = Depends(deps.client_principal)) -> JSONResponse:
    scope = f"{principal.sub}:monthly"
    if (answer := await common.claim(session, scope, idempotency_key, body.model_dump(mode="json"))) is not None:
        return answer
    deps.check_period(request, body.month, "body.month")
    me = normalise_personal_number(principal.personal_number or "")
    found = await store.household_of(session, me)
    previous = await store.latest_case_of_household(session, found[0], body.month) if found else None
    if previous is None:
        raise Problem(409, "no-previous-application", "There is no earlier application to continue",
                      "Make a first application instead.")
    content = prefill_monthly(previous.draft(), body.month)
    # The household's own application for the next month: made by a member (who joined it with their own login).
    response = await _create(session, request, principal, content, unit=previous.unit, source="digital",
                             claimed_protected=_claimed(principal, me))
    await common.complete(session, scope, idempotency_key, 201, common.body_of(response))
    await session.commit()
    return response


@router.post("/staff/applications", status_code=201, response_model=schemas.CaseOut,
             summary="Caseworker: register a paper, phone or visit application for a client without e-ID")
async def create_for_client(body: schemas.StaffApplicationIn, request: Request,
                            idempotency_key: IdempotencyKey = None, session: AsyncSession = Depends(db_session),
                            principal: Principal = Depends(deps.caseworker_principal)) -> JSONResponse:
    scope = f"{principal.sub}:staff-applications"
    if (answer := await common.claim(session, scope, idempotency_key, body.model_dump(mode="json"))) is not None:
        return answer
    deps.check_period(request, body.content.period, "body.content.period")
    pnr = body.personal_number.value
    content = _with_applicant(body.content, pnr)
    if _parties(content)[0] != pnr:
        raise Problem(422, "applicant-mismatch", "The applicant differs from personal_number",
                      "content.household.applicant must be the client the application is registered for.")
    units = sorted(principal.units)
    if not units:
        raise Problem(403, "forbidden", "Forbidden", "You belong to no unit.")
    if body.protected_identity:
        raise Problem(422, "protected-identity-not-set-here", "Protected identity is not set here",
                      "Only the protected-identity registrar sets it (PUT /staff/people/protection).",
                      errors=[{"field": "body.protected_identity", "message": "must be false or left out",
                               "code": "protected_identity_by_registrar"}])
    found = await store.household_of(session, pnr)
    # Another unit's client, or a protected client for a caseworker without clearance: one answer for both, so
    # it tells only "not yours to register" (needed to refer the person), never which, nor where.
    cleared = principal.can(PROTECTED_PERMISSION)
    if (found is not None and found[1] not in principal.units) or (
            not cleared and await store.any_protected(session, [pnr])):
        raise not_found("client")
    if body.profile is not None:
        await store.upsert_profile(session, pnr, body.profile.model_dump(exclude_unset=True), deps.clock(request))
    response = await _create(session, request, principal, content, unit=found[1] if found else units[0],
                             source=body.source)
    await common.complete(session, scope, idempotency_key, 201, common.body_of(response))
    await session.commit()
    return response


@router.get("/applications/{case_id}", response_model=schemas.CaseOut,
            summary="The application as you may see it (staff reads are audited)")
async def get_application(request: Request, ctx: CaseContext = Depends(deps.readable_case),
                          session: AsyncSession = Depends(db_session)) -> JSONResponse:
    body = await common.view(session, ctx)
    ctx.audit_read(session, "application", "case handling")
    await session.commit()
    return common.case_response(body)


@router.put("/applications/{case_id}", response_model=schemas.CaseOut,
            summary="Save the draft (If-Match: the ETag you edited)")
async def save_draft(body: DraftContent, request: Request, if_match: IfMatch = None,
                     ctx: CaseContext = Depends(deps.locked_case),
                     session: AsyncSession = Depends(db_session)) -> JSONResponse:
    case = ctx.case
    paper = case.source != "digital" and ctx.role is ActorRole.CASEWORKER
    if not (ctx.is_party or paper):
        raise Problem(403, "case-role-not-allowed", "You may not change this application",
                      "Drafts are changed by the applicants (or by staff for paper applications).")
    common.require_draft(ctx)
    if if_match is None:
        raise Problem(428, "if-match-required", "If-Match required",
                      "Send the ETag of the version you edited in If-Match.")
    if if_match.strip().removeprefix("W/") != case.etag:
        raise Problem(412, "version-mismatch", "The application was changed meanwhile",
                      "Load it again and redo your change.", current_version=case.version)
    if (body.kind.value, body.period) != (case.kind, case.period):
        raise Problem(422, "application-kind-period-fixed", "Kind and month cannot change",
                      "Start a new application for another month.")
    content = _with_applicant(body, case.applicant_pnr)
    applicant, partner = _parties(content)
    if applicant != case.applicant_pnr:
        raise Problem(422, "applicant-fixed", "The applicant cannot change",
                      "Start a new application if someone else applies.")
    now = deps.clock(request)
    # The same partner keeps their answer; someone newly named is invited (unless already in the household).
    status = (case.co_applicant_status if partner == case.co_applicant_pnr
              else await _co_applicant_status(session, case.household_id, partner))
    version = await store.update_content(session, case.id, content, expected_version=case.version,
                                         co_applicant_pnr=partner, co_applicant_status=status, now=now)
    if status == "joined" and not case.protected_identity and await store.any_protected(session, [partner or ""]):
        await store.set_protected(session, case.id)  # a protected co-applicant protects the whole case
    if version is None:  # cannot happen under the row lock; kept as the database-level guard
        raise Problem(412, "version-mismatch", "The application was changed meanwhile", "Load it again.")
    ctx.audit_change(session, "update")
    ctx = await common.fresh(session, ctx)
    out = await common.view(session, ctx)
    await session.commit()
    return common.case_response(out)


@router.put("/applications/{case_id}/client-profile", response_model=schemas.CaseOut,
            summary="Caseworker: record the applicant's language and interpreter need (e.g. for a paper client)")
async def set_client_profile(body: schemas.ProfileIn, request: Request, ctx: CaseContext = Depends(deps.locked_case),
                             session: AsyncSession = Depends(db_session)) -> JSONResponse:
    ctx.require(Section.HOUSEHOLD)
    ctx.require_role(ActorRole.CASEWORKER)
    values = body.model_dump(exclude_unset=True)
    await store.upsert_profile(session, ctx.case.applicant_pnr, values, deps.clock(request))
    ctx.audit_change(session, "update", "client_profile", fields=sorted(values))
    out = await common.view(session, ctx)
    await session.commit()
    return common.case_response(out)


@router.post("/applications/{case_id}/signatures", status_code=201, response_model=schemas.SignedOut,
             summary="Sign the application as it is now (each adult applicant with their own e-ID)")
async def sign(request: Request, body: schemas.SignIn | None = None, ctx: CaseContext = Depends(deps.locked_case),
               session: AsyncSession = Depends(db_session)) -> JSONResponse:
    body = body or schemas.SignIn()
    common.require_draft(ctx)
    draft = ctx.case.draft()
    if body.content_hash is not None and body.content_hash != signing.content_hash(draft):
        raise Problem(409, "content-changed", "The application changed since you read it",
                      "Read it again before you sign.")
    now = deps.clock(request)
    invitee = ctx.is_invitee
    if ctx.is_party or invitee:
        # Only the person's own token signs for them: the personnummer comes from the token, never the body.
        signature = signing.sign(draft, ctx.principal.personal_number or "", now, method="e_id")
    elif ctx.role is ActorRole.CASEWORKER and ctx.case.source != "digital":
        if body.personal_number is None:
            raise Problem(422, "signer-required", "Say who signed the paper form", "Give personal_number.")
        signature = signing.sign(draft, body.personal_number, now, method="paper")
    else:
        raise Problem(403, "signature-not-a-signer", "Only the applicants sign",
                      "Only the applicant and the co-applicant sign their application.")
    # An invitee signing with their own e-ID accepts (the strongest consent there is); so does their signed
    # paper form, recorded by staff.
    await _join(session, ctx, signature.personal_number.value, now)
    await store.add_signature(session, ctx.case.id, signature, ctx.principal.sub)
    role = ActorRole.CO_APPLICANT.value if invitee else ctx.role.value if ctx.role else "unknown"
    await store.add_history(session, ctx.case.id, actor=ctx.principal.sub, actor_role=role, event="sign",
                            from_status=ctx.case.status.value, to_status=ctx.case.status.value, now=now,
                            details={"role": signature.role.value, "method": signature.method})
    ctx.audit_change(session, "sign-paper")
    out = await common.view(session, ctx)
    await session.commit()
    return JSONResponse({"signature": schemas.signature_out(signature, draft), "missing": out.get("missing", [])},
                        status_code=201)


def _no_invitation() -> Problem:
    return Problem(409, "no-invitation", "There is no invitation for you",
                   "Only the co-applicant named in the application answers its invitation.")


@router.post("/applications/{case_id}/accept", response_model=schemas.CaseOut,
             summary="Invited co-applicant: join the application and the applicant's household (own login only)")
async def accept(request: Request, ctx: CaseContext = Depends(deps.locked_case),
                 session: AsyncSession = Depends(db_session)) -> JSONResponse:
    if not ctx.is_invitee:
        if ctx.role is ActorRole.CO_APPLICANT:  # already joined: accepting again changes nothing
            return common.case_response(await common.view(session, ctx))
        raise _no_invitation()
    common.require_draft(ctx)
    now = deps.clock(request)
    await _join(session, ctx, ctx.principal.personal_number or "", now)
    await store.add_history(session, ctx.case.id, actor=ctx.principal.sub, actor_role=ActorRole.CO_APPLICANT.value,
                            event="accept", from_status=ctx.case.status.value, to_status=ctx.case.status.value,
                            now=now)
    joined = await deps.readable_case(ctx.case.id, request, session, ctx.principal)  # now as a party
    out = await common.view(session, joined)
    await session.commit()
    return common.case_response(out)


@router.post("/applications/{case_id}/decline", status_code=204, response_class=Response,
             summary="Invited co-applicant: say no; the application is no longer shown to you")
async def decline(request: Request, ctx: CaseContext = Depends(deps.locked_case),
                  session: AsyncSession = Depends(db_session)) -> Response:
    if not ctx.is_invitee:
        raise _no_invitation()
    now = deps.clock(request)
    await store.set_co_applicant_status(session, ctx.case.id, "declined", now)
    await store.add_history(session, ctx.case.id, actor=ctx.principal.sub, actor_role=ActorRole.CO_APPLICANT.value,
                            event="decline", from_status=ctx.case.status.value, to_status=ctx.case.status.value,
                            now=now)
    await session.commit()
    return Response(status_code=204)


@router.post("/applications/{case_id}/submit", response_model=schemas.CaseOut,
             summary="Submit (Idempotency-Key): 422 lists what is missing, every adult applicant's signature included")
async def submit(request: Request, idempotency_key: IdempotencyKey = None,
                 ctx: CaseContext = Depends(deps.locked_case),
                 session: AsyncSession = Depends(db_session)) -> JSONResponse:
    scope = f"{ctx.principal.sub}:submit"
    if (answer := await common.claim(session, scope, idempotency_key, {"case_id": str(ctx.case.id)})) is not None:
        return answer
    if ctx.role is None:  # who, before what: a caller who may not submit learns nothing about the draft
        raise RoleNotAllowed("'submit' may not be done by you.", event=Event.SUBMIT.value)
    transition(ctx.case.state, Event.SUBMIT, ctx.role)  # the state first (409 when already submitted)
    sigs = await store.signatures(session, ctx.case.id)
    ensure_complete(ctx.case.draft(), sigs)
    now = deps.clock(request)
    await common.step(session, ctx, Event.SUBMIT, now, submitted_at=now)
    events.enqueue(session, events.SUBMITTED, ctx.case)
    ctx.audit_change(session, "submit")
    out = await common.view(session, ctx, sigs if ctx.can(Section.SIGNATURES) else [])
    await common.complete(session, scope, idempotency_key, 200, out)
    await session.commit()
    common.wake_relay(request)
    return common.case_response(out)


@router.post("/applications/{case_id}/withdraw", response_model=schemas.CaseOut,
             summary="Client: withdraw the application before the decision")
async def withdraw(request: Request, body: schemas.WithdrawIn | None = None,
                   ctx: CaseContext = Depends(deps.locked_case),
                   session: AsyncSession = Depends(db_session)) -> JSONResponse:
    await common.step(session, ctx, Event.WITHDRAW, deps.clock(request), reason=body.reason if body else None)
    out = await common.view(session, ctx)
    await session.commit()
    return common.case_response(out)


@router.get("/applications/{case_id}/history", response_model=schemas.HistoryOut,
            summary="Every step of the case: who, when, from, to, why")
async def case_history(ctx: CaseContext = Depends(deps.readable_case),
                       session: AsyncSession = Depends(db_session)) -> JSONResponse:
    ctx.require(Section.STATUS)
    rows = await store.history(session, ctx.case.id)
    ctx.audit_read(session, "history", "case handling")
    await session.commit()
    return JSONResponse({"items": [{**r, "at": schemas.local(r["at"])} for r in rows]})
