"""Mina sidor: the client's own cases in plain Swedish (or English), and their own profile."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal
from kit.db import session as db_session
from kit.problems import not_found
from services.applications import store
from services.applications.api import deps, schemas
from services.applications.api.deps import CaseContext
from services.applications.domain.client_view import ClientCase, client_status_view
from services.applications.domain.completeness import missing_items
from services.applications.domain.content import ApplicationKind
from services.applications.domain.lifecycle import CaseStatus
from services.applications.domain.months import month_name
from values.personal_number import normalise_personal_number

router = APIRouter(tags=["mina sidor"])

Lang = Annotated[Literal["sv", "en"], Query(description="sv (default) or en")]


async def _summary(session: AsyncSession, case: store.CaseRecord, lang: str,
                   full: bool = False) -> dict[str, Any]:
    sigs = await store.signatures(session, case.id)
    docs = await store.document_requests(session, case.id)
    decision = await store.get_decision(session, case.id) if case.status in (CaseStatus.DECIDED,
                                                                            CaseStatus.PAID) else None
    missing = missing_items(case.draft(), sigs) if case.status is CaseStatus.DRAFT else []
    view = client_status_view(ClientCase(
        state=case.state, kind=ApplicationKind(case.kind), period=case.period, missing=missing,
        documents=[d.request for d in docs], info_due=case.info_due,
        granted=decision["granted"] if decision else None), lang)  # type: ignore[arg-type]
    out: dict[str, Any] = {"id": str(case.id), "period": case.period, "month": month_name(case.period, lang),  # type: ignore[arg-type]
                           "kind": case.kind, **view.model_dump(mode="json")}
    if not full:
        return out
    out["missing"] = [{"code": m.code, "text": m.text(lang), "member": m.member} for m in missing]  # type: ignore[arg-type]
    out["documents"] = [{**schemas.document_out(d), "label": d.request.label(lang)} for d in docs]  # type: ignore[arg-type]
    if case.calculation is not None:
        # The calculation as soon as it is done (Mölndal): the lines in the client's language.
        calc = case.calculation
        out["calculation"] = {
            "entitlement": calc.get("entitlement"), "totals": calc.get("totals"), "norm_year": calc.get("norm_year"),
            "lines": [{"component": ln.get("component"), "member": ln.get("member"), "amount": ln.get("amount"),
                       "text": (ln.get("text") or {}).get(lang), "legal_reference": (ln.get("legal_reference") or {})
                       .get(lang)} for ln in calc.get("lines", [])]}
    if decision is not None:
        out["decision"] = {"outcome": decision["outcome"], "granted": decision["granted"],
                           "decided_at": decision["decided_at"], "reasons": decision.get(f"reasons_{lang}")
                           or decision.get("reasons_sv"), "appeal": decision["appeal"][lang],
                           "json": f"/applications/{case.id}/decision",
                           "pdf": f"/applications/{case.id}/decision.pdf?lang={lang}"}
    return out


@router.get("/me/cases", response_model=schemas.MyCases,
            summary="Client: my household's applications, newest month first")
async def my_cases(lang: Lang = "sv", session: AsyncSession = Depends(db_session),
                   principal: Principal = Depends(deps.client_principal)) -> JSONResponse:
    me = normalise_personal_number(principal.personal_number or "")
    cases = await store.cases_of_person(session, me)
    return JSONResponse({"items": [await _summary(session, c, lang) for c in cases]})


@router.get("/me/cases/{case_id}", response_model=schemas.MyCaseOut,
            summary="Client: status in plain words, what is missing, requested documents, calculation, decision")
async def my_case(lang: Lang = "sv", ctx: CaseContext = Depends(deps.readable_case),
                  session: AsyncSession = Depends(db_session)) -> JSONResponse:
    if not ctx.is_party:
        raise not_found("application")  # this is the client's own page
    return JSONResponse(await _summary(session, ctx.case, lang, full=True))


@router.get("/me/invitations", response_model=schemas.Invitations,
            summary="Client: applications that name me as co-applicant and wait for my answer")
async def my_invitations(lang: Lang = "sv", session: AsyncSession = Depends(db_session),
                         principal: Principal = Depends(deps.client_principal)) -> JSONResponse:
    me = normalise_personal_number(principal.personal_number or "")
    items = []
    for case in await store.invitations_of(session, me):
        applicant = (case.content.get("household") or {}).get("applicant") or {}
        items.append({"application_id": str(case.id), "period": case.period,
                      "month": month_name(case.period, lang), "kind": case.kind,  # type: ignore[arg-type]
                      "invited_by": applicant.get("name"), "created_at": schemas.local(case.created_at),
                      "accept": f"/applications/{case.id}/accept", "decline": f"/applications/{case.id}/decline"})
    return JSONResponse({"items": items})


def _profile_out(row: dict[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    return {k: row.get(k) for k in ("preferred_language", "interpreter_needed", "interpreter_language", "phone",
                                    "email", "address")} | {"preferred_language": row.get("preferred_language", "sv"),
                                                            "interpreter_needed": bool(row.get("interpreter_needed"))}


@router.get("/me/profile", response_model=schemas.ProfileOut,
            summary="Client: my language, interpreter need and contact details (kept only here)")
async def my_profile(session: AsyncSession = Depends(db_session),
                     principal: Principal = Depends(deps.client_principal)) -> JSONResponse:
    me = normalise_personal_number(principal.personal_number or "")
    return JSONResponse(_profile_out(await store.get_profile(session, me)))


@router.put("/me/profile", response_model=schemas.ProfileOut,
            summary="Client: set my language, interpreter need and contact details")
async def set_profile(body: schemas.ProfileIn, request: Request, session: AsyncSession = Depends(db_session),
                      principal: Principal = Depends(deps.client_principal)) -> JSONResponse:
    me = normalise_personal_number(principal.personal_number or "")
    await store.upsert_profile(session, me, body.model_dump(exclude_unset=True), deps.clock(request))
    if principal.claims.get("protected_identity"):
        await store.mark_protected(session, [me], deps.clock(request))
    out = _profile_out(await store.get_profile(session, me))
    await session.commit()
    return JSONResponse(out)
