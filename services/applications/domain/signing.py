"""Signatures bind a person to one exact version of the content: change a field and earlier signatures are void.

The signed form is canonical JSON (sorted keys, no whitespace, UTF-8) of the content and its period,
hashed with SHA-256. The e-ID signing itself happens elsewhere; this records and checks it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints

from kit.i18n import N_
from services.applications.domain.content import APPLICANT, PARTNER, DraftContent
from values.errors import DomainError
from values.personal_number import PersonalNumber

# Bump when the content model changes in a way that changes its JSON: old hashes stay explainable.
SIGNING_FORMAT = "bistand.application.v1"

ContentHash = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class SignerRole(StrEnum):
    APPLICANT = APPLICANT
    PARTNER = PARTNER


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def signing_payload(content: DraftContent) -> dict[str, Any]:
    # exclude_none: an absent optional field and an explicit null sign the same.
    return {
        "format": SIGNING_FORMAT,
        "period": content.period,
        "content": content.model_dump(mode="json", exclude_none=True),
    }


def content_hash(content: DraftContent) -> str:
    return hashlib.sha256(canonical_json(signing_payload(content))).hexdigest()


class Signer(BaseModel):
    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    role: SignerRole
    personal_number: PersonalNumber


class RequiredSignatures(BaseModel):
    """Who must sign, and what: the hash of the content as it is now."""

    model_config = ConfigDict(frozen=True)

    content_hash: ContentHash
    signers: tuple[Signer, ...]


class Signature(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    role: SignerRole
    personal_number: PersonalNumber
    content_hash: ContentHash
    signed_at: AwareDatetime
    method: Literal["e_id", "paper"] = "e_id"  # paper: signed form registered by a caseworker


def required_signers(content: DraftContent) -> RequiredSignatures:
    """Every adult applicant: the applicant and, when there is one, the partner (co-applicant)."""
    signers: list[Signer] = []
    household = content.household
    if household is not None and household.applicant is not None:
        signers.append(Signer(role=SignerRole.APPLICANT, personal_number=household.applicant.personal_number))
        if household.partner is not None:
            signers.append(Signer(role=SignerRole.PARTNER, personal_number=household.partner.personal_number))
    return RequiredSignatures(content_hash=content_hash(content), signers=tuple(signers))


def _signed_by(signer: Signer, required: RequiredSignatures, signatures: Sequence[Signature]) -> bool:
    return any(
        s.personal_number == signer.personal_number
        and s.role == signer.role
        and s.content_hash == required.content_hash
        for s in signatures
    )


def missing_signers(required: RequiredSignatures, signatures: Sequence[Signature]) -> list[Signer]:
    return [signer for signer in required.signers if not _signed_by(signer, required, signatures)]


def is_fully_signed(required: RequiredSignatures, signatures: Sequence[Signature]) -> bool:
    # No signers (no applicant yet) is never "fully signed".
    return bool(required.signers) and not missing_signers(required, signatures)


def signature_is_valid(signature: Signature, content: DraftContent) -> bool:
    required = required_signers(content)
    return any(
        signer.personal_number == signature.personal_number and signer.role == signature.role
        for signer in required.signers
    ) and signature.content_hash == required.content_hash


class NotASigner(DomainError):
    code = "signature-not-a-signer"
    status = 403
    title = N_("Only the applicant and the co-applicant sign")


def sign(
    content: DraftContent,
    personal_number: PersonalNumber | str,
    signed_at: Any,
    method: Literal["e_id", "paper"] = "e_id",
) -> Signature:
    """Record that this person signed the content as it is now (after the e-ID service confirmed it)."""
    pnr = PersonalNumber(personal_number)
    required = required_signers(content)
    signer = next((s for s in required.signers if s.personal_number == pnr), None)
    if signer is None:
        raise NotASigner(N_("This person is not an applicant in this application."))
    return Signature(
        role=signer.role, personal_number=pnr, content_hash=required.content_hash, signed_at=signed_at, method=method
    )
