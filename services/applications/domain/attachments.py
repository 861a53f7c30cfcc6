"""Uploaded documents: what a file really is (by its bytes), the limits, and the caseworker's list of requests."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

import filetype
from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from services.applications.domain.errors import DomainError

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # 10 MiB per file
MAX_ATTACHMENTS_PER_APPLICATION = 30
SNIFF_BYTES = 262  # filetype needs at most this many leading bytes

MediaType = Literal["application/pdf", "image/jpeg", "image/png"]
ALLOWED_MEDIA_TYPES: frozenset[str] = frozenset({"application/pdf", "image/jpeg", "image/png"})
EXTENSIONS: dict[str, str] = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def sniff(first_bytes: bytes) -> MediaType | None:
    """The media type read from the file's own leading bytes, or None if it is not one we accept.

    The filename and the client's Content-Type are never consulted: an .exe renamed to .pdf is an exe.
    """
    head = bytes(first_bytes[:SNIFF_BYTES])
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    kind = filetype.guess(head)
    if kind is not None and kind.mime in ("image/jpeg", "image/png"):
        return kind.mime  # type: ignore[return-value]
    return None


class AttachmentRejected(DomainError):
    status = 422
    title = "The file cannot be accepted"


def check_upload(first_bytes: bytes, size: int, existing_count: int) -> MediaType:
    """The upload rules in one place; raises AttachmentRejected with a stable code."""
    if existing_count >= MAX_ATTACHMENTS_PER_APPLICATION:
        raise AttachmentRejected(
            f"At most {MAX_ATTACHMENTS_PER_APPLICATION} files per application.", code="attachment-too-many", status=409
        )
    if size > MAX_ATTACHMENT_BYTES:
        raise AttachmentRejected("A file may be at most 10 MB.", code="attachment-too-large", status=413)
    if size <= 0:
        raise AttachmentRejected("The file is empty.", code="attachment-empty")
    media_type = sniff(first_bytes)
    if media_type is None:
        raise AttachmentRejected(
            "Only PDF, JPEG and PNG files are accepted.", code="attachment-unsupported-type", status=415
        )
    return media_type


# --- requested documents (komplettering) --------------------------------------------------------

class DocumentType(StrEnum):
    BANK_STATEMENTS = "bank_statements"
    RENTAL_CONTRACT = "rental_contract"
    MEDICAL_CERTIFICATE = "medical_certificate"
    PAY_SLIP = "pay_slip"
    OTHER = "other"


DOCUMENT_LABELS: dict[DocumentType, tuple[str, str]] = {
    DocumentType.BANK_STATEMENTS: ("kontoutdrag", "bank statements"),
    DocumentType.RENTAL_CONTRACT: ("hyreskontrakt", "rental contract"),
    DocumentType.MEDICAL_CERTIFICATE: ("läkarintyg", "medical certificate"),
    DocumentType.PAY_SLIP: ("lönespecifikation", "pay slip"),
    DocumentType.OTHER: ("annan handling", "other document"),
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
    title = "That step is not possible for this document"


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

    def label(self, lang: Literal["sv", "en"] = "sv") -> str:
        base = DOCUMENT_LABELS[self.type][0 if lang == "sv" else 1]
        return f"{base}: {self.text}" if self.text else base
