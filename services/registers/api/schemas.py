"""The audit as each reader sees it: the person looked up is told what was asked and why, staff who asked."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from contracts.registers import Purpose, SectionStatus
from services.registers.domain.audit import Kind, LookupRow, Who


class SourceOutcomeOut(BaseModel):
    source: str = Field(description="The register asked (a source of the income look-up, or navet).")
    status: SectionStatus
    error: str | None = Field(default=None, description="A stable code when the source did not answer with data.")


class MyLookupOut(BaseModel):
    """A look-up about the caller. ``who`` is a category: never a caseworker's name or id."""

    id: uuid.UUID
    made_at: dt.datetime
    kind: Kind
    purpose: Purpose
    legal_basis: str
    period: str | None
    case_id: uuid.UUID | None
    who: Who
    sources: list[SourceOutcomeOut]


class StaffLookupOut(MyLookupOut):
    """A look-up for the audit: who asked (the service, its process, the caseworker) and the answer's hash. The
    person looked up is not shown: the case leads there, under the case's own access rules."""

    unit: str | None
    client_id: str = Field(description="The service that asked.")
    process: str
    requested_by: str = Field(description="The caseworker's id, or process:<process> for an automated look-up.")
    answer_sha256: str | None = Field(description="SHA-256 of the canonical JSON of the answer given (none when "
                                                  "the register was silent).")


def _sources(row: LookupRow) -> list[SourceOutcomeOut]:
    return [SourceOutcomeOut(source=o.source, status=o.status, error=o.error) for o in row.outcomes]


def mine(row: LookupRow) -> MyLookupOut:
    return MyLookupOut(id=row.id, made_at=row.made_at, kind=row.kind, purpose=row.purpose,
                       legal_basis=row.legal_basis, period=row.period, case_id=row.case_id, who=row.who,
                       sources=_sources(row))


def staff(row: LookupRow) -> StaffLookupOut:
    return StaffLookupOut(**mine(row).model_dump(), unit=row.unit, client_id=row.client_id, process=row.process,
                          requested_by=row.requested_by, answer_sha256=row.answer_sha256)
