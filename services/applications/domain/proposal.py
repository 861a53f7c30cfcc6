"""The decision proposal made on every submitted application: every check listed as passed, failed or not
available, with the values compared and a reason in Swedish and English. Pure: the registers' answers, the previous
application and the case's documents come in, the checks go out.

A source that did not answer makes its check "not_available", never "nothing found": a missing answer is never read
as zero. The proposal is for a person to decide on (``fast_lane`` when every check passed); automation may only
approve what it says when the municipality has switched that on (domain/automation.py).

Checks (code: what is compared):
    incomes      stated vs register incomes per person and kind (Försäkringskassan, Pensionsmyndigheten, CSN,
                 a-kassa), within a tolerance; a register income of a kind the client stated none of is a
                 *suggestion*, kept apart
    changes      this month against the client's previous application: household, rent, incomes, new costs
    documents    the completeness rules (content and signatures) and the requested documents not yet in
    plan         the stated activity against Arbetsförmedlingen's registration and activity reports
    vehicles     vehicles owned (Transportstyrelsen) that are not declared
    permits      a residence permit (Migrationsverket) ending before or within the month
    residents    who is registered at the applicant's address (population register) against the declared household
    trust_check  the case drawn for ekonomisk avstämning
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.registers import (
    Benefit,
    LookupAnswer,
    PopulationRecord,
    RegistrationStatus,
    Section,
    SectionStatus,
    Source,
)
from services.applications.domain.completeness import MissingItem
from services.applications.domain.content import (
    APPLICANT,
    PARTNER,
    ActivityStatus,
    DraftContent,
    IncomeType,
    period_first_day,
    period_last_day,
)


class CheckStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_AVAILABLE = "not_available"


class CheckCode(StrEnum):
    INCOMES = "incomes"
    CHANGES = "changes"
    DOCUMENTS = "documents"
    PLAN = "plan"
    VEHICLES = "vehicles"
    PERMITS = "permits"
    RESIDENTS = "residents"
    TRUST_CHECK = "trust_check"


class ProposalOutcome(StrEnum):
    ALL_PASSED = "all_passed"
    CHECKS_FAILED = "checks_failed"  # at least one check failed: a person looks at what it found
    NOT_AVAILABLE = "not_available"  # none failed, but at least one could not be made


# Which register benefit is which income of the application form.
BENEFIT_INCOME: dict[Benefit, IncomeType] = {
    Benefit.BOSTADSBIDRAG: IncomeType.BOSTADSBIDRAG,
    Benefit.SJUKPENNING: IncomeType.SJUKPENNING,
    Benefit.FORALDRAPENNING: IncomeType.FORALDRAPENNING,
    Benefit.UNDERHALLSSTOD: IncomeType.UNDERHALLSSTOD,
    Benefit.AKTIVITETSSTOD: IncomeType.AKTIVITETSSTOD,
    Benefit.SJUKERSATTNING: IncomeType.SJUKERSATTNING,
    Benefit.ETABLERINGSERSATTNING: IncomeType.ETABLERINGSERSATTNING,
    Benefit.PENSION: IncomeType.PENSION,
    Benefit.STUDIEMEDEL: IncomeType.CSN_STUDIEMEDEL,
    Benefit.ARBETSLOSHETSERSATTNING: IncomeType.A_KASSA,
}
# The incomes the registers can confirm, and the sources that pay them.
COMPARABLE_INCOMES = frozenset(BENEFIT_INCOME.values())
INCOME_SOURCES = (Source.FORSAKRINGSKASSAN, Source.PENSIONSMYNDIGHETEN, Source.CSN, Source.AKASSA)
# Sources each check needs, per person asked about.
CHECK_SOURCES: dict[CheckCode, tuple[Source, ...]] = {
    CheckCode.INCOMES: INCOME_SOURCES,
    CheckCode.PLAN: (Source.ARBETSFORMEDLINGEN,),
    CheckCode.VEHICLES: (Source.TRANSPORTSTYRELSEN,),
    CheckCode.PERMITS: (Source.MIGRATIONSVERKET,),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Check(_Frozen):
    code: CheckCode
    status: CheckStatus
    sv: str
    en: str
    values: dict[str, Any] = Field(default_factory=dict)  # what was compared, for the caseworker


class IncomeLine(_Frozen):
    member: str
    type: IncomeType
    stated: int | None  # None: the client stated none of this kind
    registered: int | None  # what the register says was paid
    agrees: bool
    suggested: bool = False  # a register income the client did not state: a suggestion, never merged silently


class ProposalInput(BaseModel):
    """Everything the checks read. ``applicant`` / ``partner``: the registers' answer for the month, None when the
    look-up got no answer at all; ``partner_asked``: a joined co-applicant was looked up too."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    content: DraftContent
    previous: DraftContent | None = None
    applicant: LookupAnswer | None = None
    partner: LookupAnswer | None = None
    partner_asked: bool = False
    population: PopulationRecord | None = None
    missing: Sequence[MissingItem] = ()
    outstanding_documents: Sequence[str] = ()  # labels of requested documents not yet received or approved
    trust_check_drawn: bool = False
    tolerance: int = 0


class Proposal(_Frozen):
    checks: list[Check]
    income_lines: list[IncomeLine]
    suggested_incomes: list[IncomeLine]  # kept apart from what the client stated

    @property
    def outcome(self) -> ProposalOutcome:
        statuses = {c.status for c in self.checks}
        if CheckStatus.FAILED in statuses:
            return ProposalOutcome.CHECKS_FAILED
        if CheckStatus.NOT_AVAILABLE in statuses:
            return ProposalOutcome.NOT_AVAILABLE
        return ProposalOutcome.ALL_PASSED

    @property
    def fast_lane(self) -> bool:
        return self.outcome is ProposalOutcome.ALL_PASSED

    @property
    def discrepancies(self) -> int:
        """Income lines where the client and the registers disagree (suggestions included)."""
        return sum(1 for line in self.income_lines if not line.agrees)

    def check(self, code: CheckCode) -> Check:
        return next(c for c in self.checks if c.code is code)


# --- helpers --------------------------------------------------------------------------------------------------

def _check(code: CheckCode, status: CheckStatus, sv: str, en: str, **values: Any) -> Check:
    return Check(code=code, status=status, sv=sv, en=en, values=values)


def _people(data: ProposalInput) -> list[tuple[str, LookupAnswer | None]]:
    """(member ref, their answer) for each adult asked about."""
    people: list[tuple[str, LookupAnswer | None]] = [(APPLICANT, data.applicant)]
    if data.partner_asked:
        people.append((PARTNER, data.partner))
    return people


def _section(answer: LookupAnswer | None, source: Source) -> Section | None:
    """The source's section when it answered with data, else None."""
    if answer is None:
        return None
    found = next((s for s in answer.sections if s.source is source), None)
    return found if found is not None and found.status is SectionStatus.OK else None


def _unanswered(data: ProposalInput, code: CheckCode) -> list[str]:
    """``member:source`` for every source the check needs that did not answer."""
    return [f"{member}:{source.value}" for member, answer in _people(data) for source in CHECK_SOURCES[code]
            if _section(answer, source) is None]


def _not_available(code: CheckCode, missing: list[str], what_sv: str, what_en: str) -> Check:
    return _check(code, CheckStatus.NOT_AVAILABLE,
                  f"{what_sv} kunde inte kontrolleras: registret svarade inte ({', '.join(missing)}).",
                  f"{what_en} could not be checked: the register did not answer ({', '.join(missing)}).",
                  unanswered=missing)


# --- incomes ----------------------------------------------------------------------------------------------------

def _stated(content: DraftContent) -> dict[tuple[str, IncomeType], int]:
    stated: dict[tuple[str, IncomeType], int] = defaultdict(int)
    for income in content.incomes.items if content.incomes else []:
        stated[(income.member, income.type)] += income.amount
    return stated


def _registered(answer: LookupAnswer | None, period: str) -> dict[IncomeType, int]:
    paid: dict[IncomeType, int] = defaultdict(int)
    for source in INCOME_SOURCES:
        section = _section(answer, source)
        for payment in section.payments if section else []:
            if payment.period == period:
                paid[BENEFIT_INCOME[payment.benefit]] += payment.amount
    return paid


def income_lines(data: ProposalInput) -> tuple[list[IncomeLine], list[IncomeLine]]:
    """(the compared lines, the register incomes the client stated none of). Only kinds a register pays are
    compared; a person whose income sources did not all answer is not compared at all."""
    stated = _stated(data.content)
    lines: list[IncomeLine] = []
    suggested: list[IncomeLine] = []
    for member, answer in _people(data):
        if any(_section(answer, s) is None for s in INCOME_SOURCES):
            continue
        registered = _registered(answer, data.content.period)
        kinds = sorted({t for (m, t) in stated if m == member and t in COMPARABLE_INCOMES} | set(registered))
        for kind in kinds:
            said, paid = stated.get((member, kind)), registered.get(kind, 0)
            line = IncomeLine(member=member, type=kind, stated=said, registered=paid,
                              agrees=said is not None and abs(said - paid) <= data.tolerance or
                              said is None and paid == 0, suggested=said is None and paid > 0)
            lines.append(line)
            if line.suggested:
                suggested.append(line)
    return lines, suggested


def check_incomes(data: ProposalInput, lines: list[IncomeLine]) -> Check:
    missing = _unanswered(data, CheckCode.INCOMES)
    if missing:
        return _not_available(CheckCode.INCOMES, missing, "Inkomsterna", "The incomes")
    values = {"tolerance": data.tolerance, "lines": [line.model_dump(mode="json") for line in lines]}
    differing = [line for line in lines if not line.agrees]
    if differing:
        kinds = ", ".join(f"{line.member} {line.type.value}" for line in differing)
        return _check(CheckCode.INCOMES, CheckStatus.FAILED,
                      f"Uppgivna inkomster skiljer sig från registren ({kinds}).",
                      f"Stated incomes differ from the registers ({kinds}).", **values)
    return _check(CheckCode.INCOMES, CheckStatus.PASSED, "Uppgivna inkomster stämmer med registren.",
                  "Stated incomes agree with the registers.", **values)


# --- change from last month -----------------------------------------------------------------------------------

def _members(content: DraftContent) -> list[str]:
    household = content.household
    if household is None:
        return []
    people = [p.personal_number.value for p in (household.applicant, household.partner) if p is not None]
    people += [c.personal_number.value if c.personal_number else f"{c.ref}:{c.birth_date}" for c in household.children]
    people += [f"{a.ref}:{a.relation.value}" for a in household.other_adults]
    return sorted(people)


def changes(content: DraftContent, previous: DraftContent) -> list[dict[str, Any]]:
    """What differs from the previous application: each ``{what, before, now}`` (no personnummer, counts only)."""
    out: list[dict[str, Any]] = []
    size, size_before = (c.housing.household_size if c.housing else None for c in (content, previous))
    if size != size_before:
        out.append({"what": "household_size", "before": size_before, "now": size})
    members, members_before = _members(content), _members(previous)
    if members != members_before:
        out.append({"what": "household_members", "before": len(members_before), "now": len(members)})
    rent, rent_before = (c.housing.rent if c.housing else None for c in (content, previous))
    if rent != rent_before:
        out.append({"what": "rent", "before": rent_before, "now": rent})
    incomes, incomes_before = _stated(content), _stated(previous)
    for member, kind in sorted(set(incomes) | set(incomes_before)):
        now, before = incomes.get((member, kind)), incomes_before.get((member, kind))
        if now != before:
            out.append({"what": f"income:{member}:{kind.value}", "before": before, "now": now})
    old_costs = {c.type for c in previous.costs}
    out += [{"what": f"new_cost:{c.type.value}", "before": None, "now": c.amount}
            for c in content.costs if c.type not in old_costs]
    return out


def check_changes(data: ProposalInput) -> Check:
    if data.previous is None:
        return _check(CheckCode.CHANGES, CheckStatus.NOT_AVAILABLE,
                      "Det finns ingen tidigare ansökan att jämföra med.",
                      "There is no earlier application to compare with.")
    found = changes(data.content, data.previous)
    values = {"previous_period": data.previous.period, "changes": found}
    if found:
        return _check(CheckCode.CHANGES, CheckStatus.FAILED,
                      f"Uppgifterna har ändrats sedan {data.previous.period} ({len(found)} ändringar).",
                      f"The details changed since {data.previous.period} ({len(found)} changes).", **values)
    return _check(CheckCode.CHANGES, CheckStatus.PASSED,
                  f"Inget har ändrats sedan {data.previous.period}.",
                  f"Nothing changed since {data.previous.period}.", **values)


# --- documents ------------------------------------------------------------------------------------------------

def check_documents(data: ProposalInput) -> Check:
    values = {"missing": [m.code for m in data.missing], "outstanding_documents": list(data.outstanding_documents)}
    if data.missing or data.outstanding_documents:
        return _check(CheckCode.DOCUMENTS, CheckStatus.FAILED, "Uppgifter eller begärda handlingar saknas.",
                      "Information or requested documents are missing.", **values)
    return _check(CheckCode.DOCUMENTS, CheckStatus.PASSED, "Alla uppgifter och begärda handlingar finns.",
                  "All information and requested documents are in.", **values)


# --- plan and activity ----------------------------------------------------------------------------------------

_AF_STATUSES = frozenset({ActivityStatus.REGISTERED_AT_AF, ActivityStatus.IN_ACTIVITY})


def _previous_period(period: str) -> str:
    first = period_first_day(period)
    return f"{first.year - (first.month == 1)}-{(first.month - 2) % 12 + 1:02d}"


def check_plan(data: ProposalInput) -> Check:
    plan = data.content.plan
    findings: list[dict[str, Any]] = []
    missing: list[str] = []
    recent = {data.content.period, _previous_period(data.content.period)}
    for member, answer in _people(data):
        activity = plan.for_member(member) if plan else None
        if activity is None:
            findings.append({"member": member, "problem": "no_plan"})
            continue
        if activity.status is ActivityStatus.OTHER:
            findings.append({"member": member, "problem": "other_activity"})
        elif activity.status is ActivityStatus.SICK_LISTED:
            if not activity.has_medical_certificate:
                findings.append({"member": member, "problem": "no_medical_certificate"})
        elif activity.status in _AF_STATUSES:
            section = _section(answer, Source.ARBETSFORMEDLINGEN)
            if section is None:
                missing.append(f"{member}:{Source.ARBETSFORMEDLINGEN.value}")
                continue
            registration = section.registration
            if registration is None or registration.status is not RegistrationStatus.REGISTERED:
                findings.append({"member": member, "problem": "not_registered_at_af",
                                 "register": registration.status.value if registration else None})
            elif any(not r.submitted for r in registration.activity_reports if r.period in recent):
                findings.append({"member": member, "problem": "activity_report_missing"})
    if findings:
        return _check(CheckCode.PLAN, CheckStatus.FAILED,
                      "Planeringen stämmer inte med Arbetsförmedlingens uppgifter eller behöver bedömas.",
                      "The plan does not agree with Arbetsförmedlingen or needs an assessment.",
                      findings=findings, unanswered=missing)
    if missing:
        return _not_available(CheckCode.PLAN, missing, "Planeringen", "The plan")
    return _check(CheckCode.PLAN, CheckStatus.PASSED, "Planeringen stämmer med Arbetsförmedlingens uppgifter.",
                  "The plan agrees with Arbetsförmedlingen.")


# --- vehicles and permits -------------------------------------------------------------------------------------

def _plate(value: str | None) -> str:
    return "".join((value or "").split()).upper()


def check_vehicles(data: ProposalInput) -> Check:
    missing = _unanswered(data, CheckCode.VEHICLES)
    if missing:
        return _not_available(CheckCode.VEHICLES, missing, "Fordonsinnehav", "Vehicles owned")
    declared = [v for v in (data.content.assets.vehicles if data.content.assets else [])]
    plates = {_plate(v.registration) for v in declared if v.registration}
    unplated = sum(1 for v in declared if not v.registration)
    owned = [(member, v) for member, answer in _people(data)
             for v in (_section(answer, Source.TRANSPORTSTYRELSEN) or Section(
                 source=Source.TRANSPORTSTYRELSEN, status=SectionStatus.OK)).vehicles]
    undeclared = [(member, v) for member, v in owned if _plate(v.registration) not in plates]
    undeclared = undeclared[unplated:]  # a declared vehicle without its plate covers one owned vehicle
    values = {"owned": len(owned), "declared": len(declared),
              "undeclared": [{"member": m, "registration": v.registration, "kind": v.kind} for m, v in undeclared]}
    if undeclared:
        return _check(CheckCode.VEHICLES, CheckStatus.FAILED, "Det finns fordon som inte är uppgivna i ansökan.",
                      "There are vehicles owned that the application does not declare.", **values)
    return _check(CheckCode.VEHICLES, CheckStatus.PASSED, "Fordonsinnehavet stämmer med ansökan.",
                  "Vehicles owned agree with the application.", **values)


def check_permits(data: ProposalInput) -> Check:
    missing = _unanswered(data, CheckCode.PERMITS)
    if missing:
        return _not_available(CheckCode.PERMITS, missing, "Uppehållstillstånd", "Residence permits")
    last_day = period_last_day(data.content.period)
    ending = [{"member": member, "kind": p.kind, "valid_until": p.valid_until.isoformat()}
              for member, answer in _people(data)
              for p in (_section(answer, Source.MIGRATIONSVERKET) or Section(
                  source=Source.MIGRATIONSVERKET, status=SectionStatus.OK)).permits
              if p.valid_until is not None and p.valid_until <= last_day]
    if ending:
        return _check(CheckCode.PERMITS, CheckStatus.FAILED,
                      "Ett uppehållstillstånd upphör före eller under månaden.",
                      "A residence permit ends before or during the month.", ending=ending)
    return _check(CheckCode.PERMITS, CheckStatus.PASSED, "Inget uppehållstillstånd upphör under månaden.",
                  "No residence permit ends during the month.", ending=[])


# --- residents at the address ---------------------------------------------------------------------------------

def check_residents(data: ProposalInput) -> Check:
    record = data.population
    if record is None:
        return _check(CheckCode.RESIDENTS, CheckStatus.NOT_AVAILABLE,
                      "Folkbokföringen svarade inte.", "The population register did not answer.")
    if not record.found:
        return _check(CheckCode.RESIDENTS, CheckStatus.FAILED, "Sökande finns inte i folkbokföringen.",
                      "The applicant is not in the population register.")
    if record.protected:
        return _check(CheckCode.RESIDENTS, CheckStatus.NOT_AVAILABLE,
                      "Skyddade personuppgifter: boende på adressen visas inte.",
                      "Protected identity: the residents at the address are not shown.")
    household = data.content.household
    declared = {p.personal_number.value for p in (household.partner,) if p is not None} if household else set()
    declared |= {c.personal_number.value for c in household.children if c.personal_number} if household else set()
    registered = set(record.residents)
    # Children and other adults given without a personnummer may be any of the others registered there.
    unnamed = (sum(1 for c in household.children if not c.personal_number) + len(household.other_adults)
               if household else 0)
    not_declared = max(0, len(registered - declared) - unnamed)
    size = data.content.housing.household_size if data.content.housing else None
    values = {"registered_at_address": 1 + len(registered), "declared_household_size": size,
              "not_declared": not_declared, "not_registered_here": len(declared - registered)}
    if not_declared or declared - registered or (size is not None and 1 + len(registered) > size):
        return _check(CheckCode.RESIDENTS, CheckStatus.FAILED,
                      "De som är folkbokförda på adressen stämmer inte med hushållet i ansökan.",
                      "The people registered at the address do not match the household in the application.",
                      **values)
    return _check(CheckCode.RESIDENTS, CheckStatus.PASSED,
                  "De som är folkbokförda på adressen stämmer med hushållet.",
                  "The people registered at the address match the household.", **values)


# --- trust check ----------------------------------------------------------------------------------------------

def check_trust(data: ProposalInput) -> Check:
    if data.trust_check_drawn:
        return _check(CheckCode.TRUST_CHECK, CheckStatus.FAILED,
                      "Ansökan är utvald för ekonomisk avstämning.", "The application is drawn for a trust check.")
    return _check(CheckCode.TRUST_CHECK, CheckStatus.PASSED, "Ansökan är inte utvald för ekonomisk avstämning.",
                  "The application is not drawn for a trust check.")


def make_proposal(data: ProposalInput) -> Proposal:
    lines, suggested = income_lines(data)
    checks = [check_incomes(data, lines), check_changes(data), check_documents(data), check_plan(data),
              check_vehicles(data), check_permits(data), check_residents(data), check_trust(data)]
    return Proposal(checks=checks, income_lines=lines, suggested_incomes=suggested)


def with_suggestions(content: DraftContent, suggested: Iterable[IncomeLine]) -> DraftContent:
    """The content with the suggested register incomes added, for the second calculation (never the saved one)."""
    items = [*(content.incomes.items if content.incomes else [])]
    extra = [{"type": line.type.value, "member": line.member, "amount": line.registered or 0} for line in suggested]
    incomes = {"none_declared": False, "items": [i.model_dump(mode="json") for i in items] + extra}
    return DraftContent.model_validate({**content.model_dump(mode="json"), "incomes": incomes})
