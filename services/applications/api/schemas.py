"""Request bodies and the shapes of the answers (wire models, apart from the tables; the routes answer with the
bodies service/views.py builds)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from contracts.representation import RepresentationKind, Scope
from services.applications.domain.attachments import DocumentType
from services.applications.domain.content import DraftContent, Period
from services.applications.domain.decision import Decision, Reason
from services.applications.domain.figures import MonthFigures
from services.applications.domain.languages import Language
from services.applications.domain.need_reasons import NeedReason
from services.applications.domain.text import NoNulModel
from values.personal_number import PersonalNumber

Source = Literal["paper", "phone", "visit"]


Text500 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class _In(NoNulModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, str_strip_whitespace=True)


class MonthlyIn(_In):
    month: Period


class ProfileIn(_In):
    preferred_language: Language | None = None
    interpreter_needed: bool | None = None
    interpreter_language: Language | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 \-]{6,20}$")] | None = None
    # email-validator's syntax check (no DNS look-up): "0@0" and "a@b" are not addresses mail can reach.
    email: Annotated[EmailStr, StringConstraints(max_length=254)] | None = None
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None

    @field_validator("preferred_language", "interpreter_needed", mode="before")
    @classmethod
    def _always_has_a_value(cls, value: Any) -> Any:
        # Left out keeps the saved value; null would clear what every profile must have.
        if value is None:
            raise ValueError("cannot be null: leave it out to keep the saved value")
        return value


class StaffApplicationIn(_In):
    """A caseworker registers an application for a client without e-ID (paper, phone, visit)."""

    personal_number: PersonalNumber
    source: Source
    content: DraftContent
    protected_identity: bool = False
    profile: ProfileIn | None = None  # language, interpreter need, contact: what the client told us


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
    reason_for_need: NeedReason | None = Field(
        None, description="försörjningshinder, Socialstyrelsen's categories (domain/need_reasons.py); required: a "
                          "decision without it is 422 decision-invalid naming the field")


class WithdrawIn(_In):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class PayIn(_In):
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


# --- response shapes (for the OpenAPI document; the routes build them as plain dicts) ------------------------

class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class NeedReasonLabel(_Out):
    code: NeedReason
    sv: str
    en: str


class DecisionOut(Decision):
    reason_for_need_label: NeedReasonLabel | None = Field(None, description="the reason for need in Swedish and "
                                                                           "English")


class SignatureOut(_Out):
    role: Literal["applicant", "partner"]
    signed_at: dt.datetime
    method: Literal["e_id", "paper"]
    valid: bool = Field(description="made on the content as it is now")


class MissingOut(_Out):
    code: str = Field(description="stable completeness code, e.g. housing.rent, signature.partner")
    sv: str
    en: str
    member: str | None = None


class ClientFacts(_Out):
    preferred_language: str
    interpreter_needed: bool
    interpreter_language: str | None = None


class CaseOut(_Out):
    id: uuid.UUID
    period: str
    kind: Literal["first", "monthly"]
    unit: str
    status: str
    outcome: str | None = None
    source: Literal["digital", "paper", "phone", "visit"]
    version: int = Field(description="also the ETag")
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None = None
    info_due: dt.date | None = None
    assigned: dict[str, str] = Field(description="role (caseworker, employment_officer) -> subject")
    actions: list[str] = Field(description="lifecycle events the caller may take now (an invitee: accept, decline, "
                                           "sign)")
    co_applicant: dict[str, str] | None = Field(
        None, description="the named co-applicant's answer: invited, joined (accepted or signed), declined")
    content: dict[str, Any] = Field(description="the application (employment officers: the plan only)")
    content_hash: str | None = Field(None, description="SHA-256 of the canonical content: what a signature binds")
    signatures: list[SignatureOut] | None = None
    missing: list[MissingOut] | None = Field(None, description="for drafts: what is still missing")
    protected_identity: bool | None = Field(None, description="staff only")
    trust_check: bool | None = Field(None, description="staff only: drawn for ekonomisk avstämning")
    client: ClientFacts | None = Field(None, description="staff only; never address or contact")
    calculation: dict[str, Any] | None = Field(None, description="the latest calculation, once made")
    calculated_at: dt.datetime | None = None


class SignedOut(_Out):
    signature: SignatureOut
    missing: list[MissingOut]


class AttachmentOut(_Out):
    id: uuid.UUID
    filename: str
    media_type: Literal["application/pdf", "image/jpeg", "image/png"]
    size: int
    sha256: str
    category: str
    created_at: dt.datetime


class AttachmentList(_Out):
    items: list[AttachmentOut]


class DocumentOut(_Out):
    id: uuid.UUID
    type: DocumentType
    text: str | None = None
    status: Literal["requested", "received", "approved", "rejected"]
    rejection_reason: str | None = None
    label: dict[str, str] | str
    attachment_id: uuid.UUID | None = None
    due_date: dt.date | None = None
    requested_at: dt.datetime


class DocumentList(_Out):
    items: list[DocumentOut]


class HistoryItem(_Out):
    at: dt.datetime
    actor: str
    actor_role: str
    event: str
    from_status: str | None = None
    to_status: str
    reason: str | None = None


class HistoryOut(_Out):
    items: list[HistoryItem]


class CalculationOut(_Out):
    calculation: dict[str, Any] = Field(description="the calculation service's answer, as given")
    components: list[dict[str, Any]] = Field(description="decision components: kind, code, member, computed, decided")
    calculated_at: dt.datetime


class RegisterLookupOut(_Out):
    """A register look-up made for the case, as the client sees it: when, why, from which sources (nothing else)."""

    made_at: dt.datetime
    purpose: str
    registry: str = Field(description="ssbtek (incomes and benefits) or folkbokforing (population register)")
    sources: list[str]


class InLanguage(_Out):
    """The language of an answer's texts (also in Content-Language) and their direction: rtl for Arabic."""

    language: Literal["sv", "en", "ar"] = Field(description="the language of the texts (kit.i18n.LANGUAGES)")
    direction: Literal["ltr", "rtl"] = Field(description="the texts' direction: rtl (right to left) for Arabic")


class MyCaseOut(_Out):
    id: uuid.UUID
    period: str
    month: str
    kind: str
    status: str
    outcome: str | None = None
    title: str
    text: str
    todo: list[str]
    due_date: dt.date | None = None
    missing: list[dict[str, Any]] | None = None
    documents: list[dict[str, Any]] | None = None
    calculation: dict[str, Any] | None = None
    decision: dict[str, Any] | None = None
    register_lookups: list[RegisterLookupOut] | None = None


class MyCase(MyCaseOut, InLanguage):
    """One case on Mina sidor, with the language of its texts."""


class MyCases(InLanguage):
    items: list[MyCaseOut]


class InvitationOut(_Out):
    application_id: uuid.UUID
    period: str
    month: str
    kind: str
    invited_by: str | None = Field(None, description="the applicant's name as they wrote it, if they did")
    created_at: dt.datetime
    accept: str = Field(description="POST here to join (or sign the application, which also accepts)")
    decline: str


class Invitations(InLanguage):
    items: list[InvitationOut]


class ProfileOut(_Out):
    preferred_language: str
    interpreter_needed: bool
    interpreter_language: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None


class QueueProposal(_Out):
    outcome: Literal["all_passed", "checks_failed", "not_available"]
    fast_lane: bool = Field(description="every check passed")


class QueueItem(_Out):
    id: uuid.UUID
    period: str
    kind: str
    unit: str
    status: str
    source: str | None = None
    submitted_at: dt.datetime | None = None
    waiting_days: int
    assigned: dict[str, str]
    flags: list[Literal["trust_check", "protected_identity", "info_overdue", "fast_lane", "automated",
                        "review_requested"]]
    info_due: dt.date | None = None
    proposal: QueueProposal | None = Field(None, description="the current decision proposal's state, once made")


class QueuePage(_Out):
    items: list[QueueItem]
    next_cursor: str | None = None


class DrawOut(_Out):
    id: uuid.UUID
    unit: str
    month: str
    per_caseworker: int
    seed_id: str = Field(description="fingerprint of the secret seed the draw used")
    population: int
    drawn_by: str
    drawn_at: dt.datetime
    case_ids: list[uuid.UUID]


# --- the decision proposal and automation ---------------------------------------------------------------------

class ProposalCheckOut(_Out):
    code: str
    status: Literal["passed", "failed", "not_available"]
    sv: str
    en: str
    values: dict[str, Any]


class ProposalOut(_Out):
    id: uuid.UUID
    case_id: uuid.UUID
    made_at: dt.datetime
    outcome: Literal["all_passed", "checks_failed", "not_available"]
    fast_lane: bool
    discrepancies: int = Field(description="income lines where the client and the registers disagree")
    earlier_proposals: int
    checks: list[ProposalCheckOut]
    income_lines: list[dict[str, Any]]
    suggested_incomes: list[dict[str, Any]] = Field(description="register incomes the client stated none of: "
                                                                 "suggestions, never merged into the stated ones")
    calculation: dict[str, Any]
    automation: dict[str, Any]


Delegation = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]


class AutomationPolicyIn(_In):
    enabled: bool
    delegation: Delegation | None = Field(None, description="the named delegation automated approvals are made "
                                                            "under (required when enabled)")


class AutomationPolicyOut(_Out):
    enabled: bool
    delegation: str | None = None
    updated_at: dt.datetime | None = None


class UndoIn(_In):
    reason: Reason


class ReviewRequestIn(_In):
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class ReviewRequestOut(_Out):
    case_id: uuid.UUID
    review_requested: bool
    new: bool = Field(description="false when it had been asked for already")


class FiguresOut(_Out):
    unit: str
    from_: str = Field(alias="from")
    to: str
    months: list[MonthFigures]


# --- register extracts (registerutdrag) ----------------------------------------------------------------------------

class RegisterutdragIn(_In):
    # In the body, never the URL: a personnummer does not belong in access logs.
    personal_number: PersonalNumber = Field(description="The client who asked for their extract on paper.")


class ServiceAnswered(BaseModel):
    service: str
    status: Literal["answered", "missing"]
    reason: str | None = Field(description="Why a part is missing: not_configured, unavailable, refused, "
                                           "invalid_answer")


class RegisterutdragSummary(BaseModel):
    id: uuid.UUID
    status: Literal["complete", "partial"]
    requested_via: Literal["client", "staff"]
    requested_at: dt.datetime
    expires_at: dt.datetime = Field(description="Until when the gathered extract is kept (then 410).")
    purged: bool
    services: list[ServiceAnswered] = Field(description="Which services answered, which did not and why.")
    json_: str = Field(alias="json", description="Where to fetch it as JSON.")
    pdf: str = Field(description="Where to fetch it as a PDF.")


class RegisterutdragList(BaseModel):
    items: list[RegisterutdragSummary]


class RegisterutdragPart(BaseModel):
    service: str
    title: dict[str, str]
    status: Literal["answered", "missing"]
    reason: str | None
    reason_text: dict[str, str] | None = Field(description="Why the part is missing, in Swedish and English.")
    generated_at: dt.datetime | None
    sections: list[dict[str, Any]] = Field(description="contracts.subject_access.Section, as the service gave it.")


class Registerutdrag(RegisterutdragSummary):
    subject: dict[str, str]
    generated_at: dt.datetime
    parts: list[RegisterutdragPart]


# --- ombud (representations) -------------------------------------------------------------------------------------

ShortName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class RepresentationIn(_In):
    """Staff register who may act for a client: a god man or förvaltare (the court's decision) or a fullmakt."""

    personal_number: PersonalNumber = Field(description="The client.")
    client_name: ShortName | None = Field(None, description="The client's name, shown to the representative.")
    representative: PersonalNumber = Field(description="The representative's personnummer (they log in with it).")
    representative_name: ShortName = Field(description="The representative's name, shown to the client.")
    kind: RepresentationKind
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope))
    valid_from: dt.date | None = Field(None, description="The first day it holds (default: today, Swedish time).")
    valid_until: dt.date = Field(description="The last day it holds (Swedish time); required, not in the past.")
    document: Text500 = Field(description="What it rests on, e.g. \"beslut Stockholms tingsrätt 2026-03-01, "
                                          "mål nr Ä 1234-26\" or \"fullmakt 2026-03-01\".")


class RepresentationOut(_Out):
    id: uuid.UUID
    client: str
    client_name: str | None
    representative: str
    representative_name: str | None
    kind: RepresentationKind
    scopes: list[Scope]
    valid_from: dt.date
    valid_until: dt.date
    document: str
    status: Literal["upcoming", "active", "ended", "revoked"]
    registered_by: str
    registered_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: str | None


class RepresentationList(_Out):
    items: list[RepresentationOut]


class MyRepresentationOut(_Out):
    id: uuid.UUID = Field(description="Send it as X-Representation to act for the client.")
    client_name: str | None = Field(description="The client's name, if known")
    kind: RepresentationKind
    scopes: list[Scope]
    valid_from: dt.date
    valid_until: dt.date


class MyRepresentations(_Out):
    items: list[MyRepresentationOut]


class MyRepresentativeOut(_Out):
    id: uuid.UUID
    representative_name: str | None
    kind: RepresentationKind
    scopes: list[Scope]
    valid_from: dt.date
    valid_until: dt.date


class MyRepresentatives(_Out):
    items: list[MyRepresentativeOut]
