"""The caseworker's list of requested documents (komplettering); the file rules are values.files."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from kit.i18n import N_
from services.applications.domain.texts import Lang, tr
from values.errors import DomainError
from values.files import (  # noqa: F401  (re-exported: the applications service's upload rules)
    ALLOWED_MEDIA_TYPES,
    EXTENSIONS,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS_PER_APPLICATION,
    SNIFF_BYTES,
    AttachmentRejected,
    MediaType,
    check_upload,
    sniff,
)

# --- requested documents (komplettering) --------------------------------------------------------

class DocumentType(StrEnum):
    BANK_STATEMENTS = "bank_statements"
    RENTAL_CONTRACT = "rental_contract"
    MEDICAL_CERTIFICATE = "medical_certificate"
    PAY_SLIP = "pay_slip"
    OTHER = "other"


DOCUMENT_LABELS: dict[DocumentType, str] = {  # English ids, translated from the catalogs (domain/texts.py)
    DocumentType.BANK_STATEMENTS: N_("bank statements"),
    DocumentType.RENTAL_CONTRACT: N_("rental contract"),
    DocumentType.MEDICAL_CERTIFICATE: N_("medical certificate"),
    DocumentType.PAY_SLIP: N_("pay slip"),
    DocumentType.OTHER: N_("other document"),
}


class DocumentStatus(StrEnum):
    REQUESTED = "requested"
    RECEIVED = "received"
    APPROVED = "approved"
    REJECTED = "rejected"


class DocumentEvent(StrEnum):
    RECEIVE = "receive"  # a file was uploaded (or a paper copy registered)
    APPROVE = "approve"
    REJECT = "reject"  # unreadable, wrong period, wrong document: the client sends a new one


DocumentActor = Literal["client", "co_applicant", "caseworker"]

# (status, event) -> (next status, who may)
DOCUMENT_TRANSITIONS: dict[tuple[DocumentStatus, DocumentEvent], tuple[DocumentStatus, frozenset[str]]] = {
    (DocumentStatus.REQUESTED, DocumentEvent.RECEIVE):
        (DocumentStatus.RECEIVED, frozenset({"client", "co_applicant", "caseworker"})),
    (DocumentStatus.REJECTED, DocumentEvent.RECEIVE):
        (DocumentStatus.RECEIVED, frozenset({"client", "co_applicant", "caseworker"})),
    (DocumentStatus.RECEIVED, DocumentEvent.APPROVE): (DocumentStatus.APPROVED, frozenset({"caseworker"})),
    (DocumentStatus.RECEIVED, DocumentEvent.REJECT): (DocumentStatus.REJECTED, frozenset({"caseworker"})),
}

OUTSTANDING = frozenset({DocumentStatus.REQUESTED, DocumentStatus.REJECTED})  # the client still has to act


class DocumentTransitionNotAllowed(DomainError):
    code = "document-transition-not-allowed"
    status = 409
    title = N_("That step is not possible for this document")


def document_transition(current: DocumentStatus, event: DocumentEvent, actor: DocumentActor) -> DocumentStatus:
    entry = DOCUMENT_TRANSITIONS.get((current, event))
    if entry is None:
        raise DocumentTransitionNotAllowed(f"'{event}' is not possible when the document is '{current}'.")
    target, actors = entry
    if actor not in actors:
        raise DocumentTransitionNotAllowed(f"'{event}' may not be done by '{actor}'.", code="document-role-not-allowed",
                                           status=403)
    return target


class DocumentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    type: DocumentType
    text: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    status: DocumentStatus = DocumentStatus.REQUESTED
    rejection_reason: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None

    @model_validator(mode="after")
    def _texts(self) -> Self:
        if self.type is DocumentType.OTHER and not self.text:
            raise ValueError("a requested document of type 'other' needs a text saying what is needed")
        if self.status is DocumentStatus.REJECTED and not self.rejection_reason:
            raise ValueError("say why the document was rejected, so the client knows what to send")
        return self

    def label(self, lang: Lang = "sv") -> str:
        base = tr(lang)(DOCUMENT_LABELS[self.type])
        return f"{base}: {self.text}" if self.text else base
