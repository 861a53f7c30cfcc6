"""The registers service on the wire: what applications and meetings ask it, and what it answers.

Two look-ups, both made by the registers service on the caller's behalf and audited there:
- incomes and benefits of one person for one month (SSBTEK-shaped): one section per source, each either data, or
  the source's own error, or unavailable (no answer in time, circuit open). A partial answer is normal, and a
  source that did not answer is never read as "nothing paid";
- the population register (Navet-shaped): name, address, who is registered at the same address and the
  protected-identity marking. The registers service is the owner of that fact for every other service.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from values.personal_number import PersonalNumber

LOOKUP_PATH = "/internal/lookups"
POPULATION_PATH = "/internal/population"
LOOKUPS_BATCH_PATH = "/internal/lookups/batch"  # added: the look-ups of one decision proposal in one call
MAX_BATCH_LOOKUPS = 10
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
MAX_PEOPLE = 100


class Source(StrEnum):
    FORSAKRINGSKASSAN = "forsakringskassan"
    PENSIONSMYNDIGHETEN = "pensionsmyndigheten"
    SKATTEVERKET = "skatteverket"
    CSN = "csn"
    ARBETSFORMEDLINGEN = "arbetsformedlingen"
    AKASSA = "akassa"
    TRANSPORTSTYRELSEN = "transportstyrelsen"
    MIGRATIONSVERKET = "migrationsverket"


class Purpose(StrEnum):
    DECISION_PROPOSAL = "decision_proposal"  # the automated proposal on a submitted application
    CASE_HANDLING = "case_handling"  # a caseworker assessing the case
    PROTECTION_CHECK = "protection_check"  # before a service shows or contacts a person


class SectionStatus(StrEnum):
    OK = "ok"
    ERROR = "error"  # the source answered with an error of its own
    UNAVAILABLE = "unavailable"  # no answer: timeout, connection refused, circuit open


class Benefit(StrEnum):
    BOSTADSBIDRAG = "bostadsbidrag"
    SJUKPENNING = "sjukpenning"
    FORALDRAPENNING = "foraldrapenning"
    UNDERHALLSSTOD = "underhallsstod"
    AKTIVITETSSTOD = "aktivitetsstod"
    SJUKERSATTNING = "sjukersattning"
    ETABLERINGSERSATTNING = "etableringsersattning"
    PENSION = "pension"
    STUDIEMEDEL = "studiemedel"
    ARBETSLOSHETSERSATTNING = "arbetsloshetsersattning"


class Payment(BaseModel):
    benefit: Benefit
    period: str = Field(pattern=PERIOD_PATTERN, description="The month the payment is for.")
    amount: int = Field(ge=0, description="Kronor, as paid out (after tax).")


class TaxedIncome(BaseModel):
    year: int = Field(ge=1900, le=2200)
    amount: int = Field(ge=0, description="Kronor, taxed income declared for the year.")


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    NOT_REGISTERED = "not_registered"
    DEREGISTERED = "deregistered"


class ActivityReport(BaseModel):
    period: str = Field(pattern=PERIOD_PATTERN)
    submitted: bool


class Registration(BaseModel):
    status: RegistrationStatus
    programme: str | None = Field(default=None, max_length=200)
    since: dt.date | None = None
    activity_reports: list[ActivityReport] = Field(default_factory=list)


class Vehicle(BaseModel):
    registration: str = Field(max_length=10)
    kind: str = Field(max_length=50)
    owned_since: dt.date | None = None


class Permit(BaseModel):
    kind: str = Field(max_length=100)
    valid_until: dt.date | None = None


class Section(BaseModel):
    """One source's part of the answer. Only ``status == ok`` carries data; the lists are then the whole truth
    for the month (empty means the source knows of nothing)."""

    source: Source
    status: SectionStatus
    error: str | None = Field(default=None, max_length=100,
                              description="A stable code when status is error or unavailable (timeout, "
                                          "circuit_open, source_error, …); never the source's free text.")
    payments: list[Payment] = Field(default_factory=list)
    taxed_incomes: list[TaxedIncome] = Field(default_factory=list)
    registration: Registration | None = None
    vehicles: list[Vehicle] = Field(default_factory=list)
    permits: list[Permit] = Field(default_factory=list)


class LookupRequest(BaseModel):
    """POST /internal/lookups with a service token. ``process`` names the calling service's process (for a
    caseworker's look-up too, e.g. ``applications:case_handling``), ``caseworker`` the person when there is one."""

    model_config = ConfigDict(extra="forbid")

    personal_number: PersonalNumber
    case_id: UUID | None = None
    period: str = Field(pattern=PERIOD_PATTERN)
    purpose: Purpose
    legal_basis: str = Field(min_length=1, max_length=200)
    process: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_.:-]+$")
    unit: str | None = Field(default=None, max_length=100,
                             description="The case's unit, so the unit's team lead can follow up its look-ups.")
    caseworker: str | None = Field(default=None, max_length=100,
                                   description="The caseworker's id when a person, not a process, asked for it.")
    sources: list[Source] | None = Field(default=None, max_length=len(Source),
                                         description="Which sources to ask; all when left out.")


class LookupAnswer(BaseModel):
    lookup_id: UUID
    made_at: dt.datetime
    period: str
    sections: list[Section]
    complete: bool = Field(description="Every asked source answered with data.")


class Address(BaseModel):
    street: str = Field(max_length=200)
    postal_code: str = Field(max_length=10)
    city: str = Field(max_length=100)


class PopulationQuery(BaseModel):
    """POST /internal/population with a service token."""

    model_config = ConfigDict(extra="forbid")

    personal_numbers: list[PersonalNumber] = Field(min_length=1, max_length=MAX_PEOPLE)
    purpose: Purpose
    case_id: UUID | None = None
    process: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_.:-]+$")
    # Optional, for the audit (added with the registers service): the case's unit (its team lead follows up the
    # unit's look-ups), the caseworker when a person asked, and the legal basis (else the purpose's default).
    unit: str | None = Field(default=None, max_length=100)
    caseworker: str | None = Field(default=None, max_length=100)
    legal_basis: str | None = Field(default=None, min_length=1, max_length=200)


class PopulationRecord(BaseModel):
    """One person as the population register has them. For a protected person the register gives no address and
    no co-residents, and neither does this answer."""

    personal_number: str = Field(description="12 digits, as asked.")
    found: bool
    protected: bool = False
    name: str | None = Field(default=None, max_length=200)
    address: Address | None = None
    residents: list[str] = Field(default_factory=list,
                                 description="Others registered at the same address (12 digits).")


class PopulationAnswer(BaseModel):
    people: list[PopulationRecord]


class LookupBatch(BaseModel):
    """POST /internal/lookups/batch with a service token (added): the look-ups one process needs at once (a decision
    proposal: the applicant's and partner's incomes and the applicant's population record), in one call. Each is
    made and audited exactly as it would be on its own route; the registers are asked at the same time."""

    model_config = ConfigDict(extra="forbid")

    lookups: list[LookupRequest] = Field(default_factory=list, max_length=MAX_BATCH_LOOKUPS)
    population: PopulationQuery | None = None


class LookupBatchAnswer(BaseModel):
    lookups: list[LookupAnswer] = Field(description="One per asked look-up, in the asked order.")
    population: PopulationAnswer | None = Field(
        default=None, description="None when not asked, or when the population register did not answer (alone, "
                                  "that is POST /internal/population's 503).")
