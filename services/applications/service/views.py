"""The answers' bodies: the case as each caller may see it, signatures, files, requested documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.applications.domain import lifecycle
from services.applications.domain.access import Section
from services.applications.domain.completeness import missing_items
from services.applications.domain.content import DraftContent
from services.applications.domain.decision import Decision
from services.applications.domain.need_reasons import need_reason_out
from services.applications.domain.signing import RequiredSignatures, Signature, required_signers
from services.applications.service.context import CaseContext
from services.applications.service.runtime import STOCKHOLM
from services.applications.store import profiles
from services.applications.store import signatures as signature_store
from services.applications.store.attachments import AttachmentMeta
from services.applications.store.documents import DocumentRecord


def local(moment: dt.datetime | None) -> str | None:
    """Times leave the service tz-aware in Swedish time (the offset says it: +01:00 / +02:00)."""
    return moment.astimezone(STOCKHOLM).isoformat() if moment is not None else None


def signature_out(s: Signature, draft: DraftContent, required: RequiredSignatures | None = None) -> dict[str, Any]:
    # Role, not personnummer: who signed is clear from the role, and numbers stay out of responses.
    required = required or required_signers(draft)
    valid = s.content_hash == required.content_hash and any(
        r.personal_number == s.personal_number and r.role == s.role for r in required.signers)
    return {"role": s.role.value, "signed_at": local(s.signed_at), "method": s.method, "valid": valid}


def case_out(ctx: CaseContext, signatures: list[Signature] | None = None,
             profile: dict[str, Any] | None = None) -> dict[str, Any]:
    """The case as this caller may see it: all of it, or for employment officers the status and the plan."""
    c = ctx.case
    out: dict[str, Any] = {
        "id": str(c.id), "period": c.period, "kind": c.kind, "unit": c.unit, "status": c.status.value,
        "outcome": c.outcome.value if c.outcome else None, "source": c.source, "version": c.version,
        "created_at": local(c.created_at), "updated_at": local(c.updated_at), "submitted_at": local(c.submitted_at),
        "info_due": c.info_due.isoformat() if c.info_due else None,
        "assigned": c.assigned,
        "actions": [e.value for e in lifecycle.allowed_events(c.state, ctx.role)] if ctx.role else [],
    }
    if ctx.is_invitee:
        out["actions"] = ["accept", "decline", "sign"] if c.status is lifecycle.CaseStatus.DRAFT else ["decline"]
    if c.co_applicant_pnr is not None and ctx.can(Section.HOUSEHOLD):
        out["co_applicant"] = {"status": c.co_applicant_status}
    draft = c.draft()
    if ctx.can(Section.HOUSEHOLD):
        out["content"] = c.content
        required = c.required_signers()  # the content hashed once for all signatures (and the submit check)
        out["content_hash"] = required.content_hash
        sigs = signatures or []
        out["signatures"] = [signature_out(s, draft, required) for s in sigs]
        out["missing"] = ([m.model_dump() for m in missing_items(draft, sigs, required)]
                          if c.status.value == "draft" else [])
    else:
        out["content"] = {"plan": c.content.get("plan")}  # employment officers: the path to work, not the money
    if ctx.can(Section.CALCULATION) and c.calculation is not None:
        out["calculation"] = c.calculation
        out["calculated_at"] = local(c.calculated_at)
    if ctx.staff_view:
        out["protected_identity"] = c.protected_identity
        out["trust_check"] = c.trust_check
        if profile is not None:
            # Language and interpreter are for staff; address and contact never leave the service.
            out["client"] = {"preferred_language": profile.get("preferred_language", "sv"),
                             "interpreter_needed": bool(profile.get("interpreter_needed")),
                             "interpreter_language": profile.get("interpreter_language")}
    return out


def attachment_out(a: AttachmentMeta) -> dict[str, Any]:
    return {"id": str(a.id), "filename": a.filename, "media_type": a.media_type, "size": a.size,
            "sha256": a.sha256, "category": a.category, "created_at": local(a.created_at)}


def document_out(d: DocumentRecord) -> dict[str, Any]:
    return {"id": str(d.id), "type": d.request.type.value, "text": d.request.text, "status": d.request.status.value,
            "rejection_reason": d.request.rejection_reason, "label": {"sv": d.request.label("sv"),
                                                                       "en": d.request.label("en")},
            "attachment_id": str(d.attachment_id) if d.attachment_id else None,
            "due_date": d.due_date.isoformat() if d.due_date else None, "requested_at": local(d.requested_at)}


async def case_view(session: AsyncSession, ctx: CaseContext, sigs: list[Signature] | None = None) -> dict[str, Any]:
    """The case as ``case_out`` shows it to this caller, with the signatures and client facts it needs."""
    if sigs is None:
        sigs = await signature_store.signatures(session, ctx.case.id) if ctx.can(Section.SIGNATURES) else []
    profile = None
    if ctx.staff_view and ctx.can(Section.HOUSEHOLD):
        profile = await profiles.get_profile(session, ctx.case.applicant_pnr) or {}
    return case_out(ctx, sigs, profile)


def decision_out(decision: Decision) -> dict[str, Any]:
    """The decision as JSON, with the reason for need named in both languages (staff and the household read it)."""
    return {**decision.model_dump(mode="json"), "reason_for_need_label": need_reason_out(decision.reason_for_need)}
