"""Request bodies and the case as each caller may see it (wire models, apart from the tables)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.applications import store
from services.applications.api.deps import CaseContext
from services.applications.domain import lifecycle
from services.applications.domain.access import Section
from services.applications.domain.attachments import DocumentType
from services.applications.domain.completeness import missing_items
from services.applications.domain.content import DraftContent, Period
from services.applications.domain.decision import Reason
from services.applications.domain.personal_number import PersonalNumber
from services.applications.domain.signing import Signature, content_hash, signature_is_valid

Source = Literal["paper", "phone", "visit"]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, str_strip_whitespace=True)


class MonthlyIn(_In):
    month: Period


class StaffApplicationIn(_In):
    """A caseworker registers an application for a client without e-ID (paper, phone, visit)."""

    personal_number: PersonalNumber
    source: Source
    content: DraftContent
    protected_identity: bool = False


class SignIn(_In):
    # What the signer saw: if the content changed since, the signature is refused instead of binding them to it.
    content_hash: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None
    # Staff registering a signed paper form name the signer; clients sign for themselves.
    personal_number: PersonalNumber | None = None


class AssignIn(_In):
    sub: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None  # default: myself
    role: Literal["caseworker", "employment_officer"] = "caseworker"


class DocumentAsk(_In):
    type: DocumentType
    text: Text500 | None = None


class RequestInfoIn(_In):
    due_date: dt.date
    documents: list[DocumentAsk] = Field(default_factory=list, max_length=20)
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class AnswerInfoIn(_In):
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class DocumentStepIn(_In):
    attachment_id: uuid.UUID | None = None  # for "receive": the uploaded file that answers the request
    reason: Text500 | None = None  # for "reject"


class AdjustmentIn(_In):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_.:-]{1,64}$")]
    member: str | None = None
    decided: Annotated[int, Field(ge=0, le=1_000_000_000, strict=True)]
    reason: Reason


class DecisionIn(_In):
    """The caseworker's decision on the latest calculation: changes per component with reasons, written reasons."""

    adjustments: list[AdjustmentIn] = Field(default_factory=list, max_length=100)
    reasons_sv: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)] | None = None
    reasons_en: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)] | None = None


class WithdrawIn(_In):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class PayIn(_In):
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class ProfileIn(_In):
    preferred_language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")] | None = None
    interpreter_needed: bool | None = None
    interpreter_language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")] | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 \-]{6,20}$")] | None = None
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}$")] | None = None
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None


def signature_out(s: Signature, draft: DraftContent) -> dict[str, Any]:
    # Role, not personnummer: who signed is clear from the role, and numbers stay out of responses.
    return {"role": s.role.value, "signed_at": s.signed_at.isoformat(), "method": s.method,
            "valid": signature_is_valid(s, draft)}


def case_out(ctx: CaseContext, signatures: list[Signature] | None = None,
             profile: dict[str, Any] | None = None) -> dict[str, Any]:
    """The case as this caller may see it: all of it, or for employment officers the status and the plan."""
    c = ctx.case
    out: dict[str, Any] = {
        "id": str(c.id), "period": c.period, "kind": c.kind, "unit": c.unit, "status": c.status.value,
        "outcome": c.outcome.value if c.outcome else None, "source": c.source, "version": c.version,
        "created_at": c.created_at.isoformat(), "updated_at": c.updated_at.isoformat(),
        "submitted_at": c.submitted_at.isoformat() if c.submitted_at else None,
        "info_due": c.info_due.isoformat() if c.info_due else None,
        "assigned": c.assigned,
        "actions": [e.value for e in lifecycle.allowed_events(c.state, ctx.role)] if ctx.role else [],
    }
    draft = c.draft()
    if ctx.can(Section.HOUSEHOLD):
        out["content"] = c.content
        out["content_hash"] = content_hash(draft)
        sigs = signatures or []
        out["signatures"] = [signature_out(s, draft) for s in sigs]
        out["missing"] = [m.model_dump() for m in missing_items(draft, sigs)] if c.status.value == "draft" else []
    else:
        out["content"] = {"plan": c.content.get("plan")}  # employment officers: the path to work, not the money
    if ctx.staff_view:
        out["protected_identity"] = c.protected_identity
        out["trust_check"] = c.trust_check
        if profile is not None:
            # Language and interpreter are for staff; address and contact never leave the service.
            out["client"] = {"preferred_language": profile.get("preferred_language", "sv"),
                             "interpreter_needed": bool(profile.get("interpreter_needed")),
                             "interpreter_language": profile.get("interpreter_language")}
    return out


def attachment_out(a: store.AttachmentMeta) -> dict[str, Any]:
    return {"id": str(a.id), "filename": a.filename, "media_type": a.media_type, "size": a.size,
            "sha256": a.sha256, "category": a.category, "created_at": a.created_at.isoformat()}


def document_out(d: store.DocumentRecord) -> dict[str, Any]:
    return {"id": str(d.id), "type": d.request.type.value, "text": d.request.text, "status": d.request.status.value,
            "rejection_reason": d.request.rejection_reason, "label": {"sv": d.request.label("sv"),
                                                                       "en": d.request.label("en")},
            "attachment_id": str(d.attachment_id) if d.attachment_id else None,
            "due_date": d.due_date.isoformat() if d.due_date else None, "requested_at": d.requested_at.isoformat()}
