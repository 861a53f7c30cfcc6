"""Mina sidor: the client's own cases in plain words in their language, and the invitations waiting for them."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal
from services.applications.domain.client_view import ClientCase, client_status_view
from services.applications.domain.completeness import missing_items
from services.applications.domain.content import ApplicationKind
from services.applications.domain.lifecycle import CaseStatus
from services.applications.domain.months import month_name
from services.applications.domain.need_reasons import need_reason_out
from services.applications.domain.texts import stored
from services.applications.service import appeals
from services.applications.service.context import CaseContext
from services.applications.service.proposals import lookups_for_client
from services.applications.service.views import document_out, local
from services.applications.store import cases, decisions, documents, signatures
from services.applications.store.cases import CaseRecord
from values.personal_number import normalise_personal_number


async def _summary(session: AsyncSession, case: CaseRecord, lang: str,
                   full: bool = False) -> dict[str, Any]:
    sigs = await signatures.signatures(session, case.id)
    docs = await documents.document_requests(session, case.id)
    decision = await decisions.get_decision(session, case.id) if case.status in (CaseStatus.DECIDED,
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
    out["documents"] = [{**document_out(d), "label": d.request.label(lang)} for d in docs]  # type: ignore[arg-type]
    if case.calculation is not None:
        # The calculation as soon as it is done (Mölndal): the lines in the client's language.
        calc = case.calculation
        out["calculation"] = {
            "entitlement": calc.get("entitlement"), "totals": calc.get("totals"), "norm_year": calc.get("norm_year"),
            "lines": [{"component": ln.get("component"), "member": ln.get("member"), "amount": ln.get("amount"),
                       "text": stored(ln.get("text"), lang), "legal_reference": stored(ln.get("legal_reference"), lang)}
                      for ln in calc.get("lines", [])]}
    # That register look-ups were made, when, why and from which sources (nothing of what they answered).
    out["register_lookups"] = await lookups_for_client(session, case.id, lang)
    if decision is not None:
        out["decision"] = {"outcome": decision["outcome"], "granted": decision["granted"],
                           "decided_at": decision["decided_at"], "reasons": decision.get(f"reasons_{lang}")
                           or decision.get("reasons_sv"),
                           # why they need support, in plain words: part of the assessment, and their data
                           "reason_for_need": need_reason_out(decision.get("reason_for_need"), lang),  # type: ignore[arg-type]
                           "appeal": stored(decision["appeal"], lang),
                           "automated": bool(decision.get("automated")),
                           "json": f"/applications/{case.id}/decision",
                           "pdf": f"/applications/{case.id}/decision.pdf?lang={lang}"}
        # Their appeals of it and where each is (and where to send a new one): överklagande, 43-45 §§ FL.
        out["decision"]["appeals"] = await appeals.client_appeals(session, case.id, lang)
        out["decision"]["appeal_form"] = f"/me/cases/{case.id}/appeals"
        if decision.get("automated"):
            # The right to have a person look at it (and whether it has been asked for).
            out["decision"]["review_request"] = f"/applications/{case.id}/review-request"
            out["decision"]["review_requested"] = case.review_requested_at is not None
    return out


async def my_cases(session: AsyncSession, principal: Principal, lang: str) -> list[dict[str, Any]]:
    """The household's applications the client is a party to, newest month first."""
    me = normalise_personal_number(principal.personal_number or "")
    return [await _summary(session, c, lang) for c in await cases.cases_of_person(session, me)]


async def my_case(session: AsyncSession, ctx: CaseContext, lang: str) -> dict[str, Any]:
    """Status in plain words, what is missing, requested documents, calculation, decision."""
    return await _summary(session, ctx.case, lang, full=True)


async def my_invitations(session: AsyncSession, principal: Principal, lang: str) -> list[dict[str, Any]]:
    """Applications that name the client as co-applicant and wait for their answer."""
    me = normalise_personal_number(principal.personal_number or "")
    items = []
    for case in await cases.invitations_of(session, me):
        applicant = (case.content.get("household") or {}).get("applicant") or {}
        items.append({"application_id": str(case.id), "period": case.period,
                      "month": month_name(case.period, lang), "kind": case.kind,  # type: ignore[arg-type]
                      "invited_by": applicant.get("name"), "created_at": local(case.created_at),
                      "accept": f"/applications/{case.id}/accept", "decline": f"/applications/{case.id}/decline"})
    return items
