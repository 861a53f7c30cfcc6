"""What a client applies with: household, housing, incomes, costs, assets, plan. Wire-ready pydantic models.

``DraftContent`` is what the client saves step by step (every section optional, fields filled in any
order). The submitted form, ``completeness.ApplicationContent``, has the same shape and is valid only when
complete (completeness imports content, never the other way). Money is integer kronor per month, >= 0.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from services.applications.domain.text import NoNulModel
from values.personal_number import PersonalNumber

MAX_KRONOR = 1_000_000_000  # a sanity ceiling, not a rule: stops overflow and typos with many zeros

# strict: a float or a numeric string is refused, so 12.5 kronor never sneaks in as 12.
Kronor = Annotated[int, Field(ge=0, le=MAX_KRONOR, strict=True)]
Period = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
# Refs for children and other adults, chosen by the client app ("child-1"); "applicant" and "partner" are fixed.
MemberRef = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]

APPLICANT = "applicant"
PARTNER = "partner"


class Model(NoNulModel):
    # Inputs never echo back in validation errors: they may hold a personnummer and errors get logged.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, str_strip_whitespace=True)


# --- periods ----------------------------------------------------------------------------------

def period_first_day(period: str) -> dt.date:
    year, month = period.split("-")
    return dt.date(int(year), int(month), 1)


def period_last_day(period: str) -> dt.date:
    return next_period_first_day(period) - dt.timedelta(days=1)


def next_period_first_day(period: str) -> dt.date:
    first = period_first_day(period)
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)


def next_period(period: str) -> str:
    return next_period_first_day(period).strftime("%Y-%m")


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


# --- household --------------------------------------------------------------------------------

class ApplicationKind(StrEnum):
    FIRST = "first"  # ansökan (nyansökan)
    MONTHLY = "monthly"  # fortsatt ansökan


class PartnerRelation(StrEnum):
    MARRIED = "married"
    REGISTERED_PARTNER = "registered_partner"
    COHABITING = "cohabiting"  # sambo


class Residence(StrEnum):
    FULL_TIME = "full_time"
    ALTERNATING = "alternating"  # växelvis boende: lives half the time with the other parent


class AdultRelation(StrEnum):
    ADULT_CHILD = "adult_child"
    PARENT = "parent"
    SIBLING = "sibling"
    FRIEND_OR_LODGER = "friend_or_lodger"
    OTHER = "other"


class Applicant(Model):
    personal_number: PersonalNumber
    name: ShortText | None = None


class Partner(Model):
    """The co-applicant: a spouse, registered partner or sambo, who applies and signs together with the applicant."""

    personal_number: PersonalNumber
    name: ShortText | None = None
    relation: PartnerRelation = PartnerRelation.COHABITING


class Child(Model):
    ref: MemberRef
    birth_date: dt.date
    personal_number: PersonalNumber | None = None
    name: ShortText | None = None
    residence: Residence = Residence.FULL_TIME
    # Only asked for ages 0-6: the riksnorm is lower when the child has lunch at preschool on weekdays.
    lunch_at_home: bool | None = None

    @model_validator(mode="after")
    def _birth_date_matches_personal_number(self) -> Self:
        pnr = self.personal_number
        if pnr is not None and not pnr.is_coordination_number and pnr.birth_date != self.birth_date:
            raise ValueError("birth_date does not match the child's personnummer")
        return self


class OtherAdult(Model):
    """Someone sharing the home without being a co-applicant (an adult child, a lodger): their own case."""

    ref: MemberRef
    relation: AdultRelation
    relation_text: ShortText | None = None
    birth_date: dt.date | None = None
    name: ShortText | None = None


class Household(Model):
    applicant: Applicant | None = None
    partner: Partner | None = None
    children: list[Child] = Field(default_factory=list, max_length=20)
    other_adults: list[OtherAdult] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _refs_unique_and_people_distinct(self) -> Self:
        refs = [c.ref for c in self.children] + [a.ref for a in self.other_adults]
        if len(refs) != len(set(refs)):
            raise ValueError("member refs must be unique")
        if {APPLICANT, PARTNER} & set(refs):
            raise ValueError("'applicant' and 'partner' are reserved refs")
        pnrs = [p.personal_number for p in (self.applicant, self.partner) if p is not None]
        pnrs += [c.personal_number for c in self.children if c.personal_number is not None]
        if len(pnrs) != len(set(pnrs)):
            raise ValueError("the same personnummer appears twice in the household")
        return self

    def member_refs(self) -> set[str]:
        refs = {c.ref for c in self.children} | {a.ref for a in self.other_adults}
        if self.applicant is not None:
            refs.add(APPLICANT)
        if self.partner is not None:
            refs.add(PARTNER)
        return refs

    def people_count(self) -> int:
        return (self.applicant is not None) + (self.partner is not None) + len(self.children) + len(self.other_adults)


# --- housing ----------------------------------------------------------------------------------

class HousingType(StrEnum):
    RENTAL = "rental"  # hyresrätt, first-hand contract
    SUBLET = "sublet"  # andrahandskontrakt
    TENANT_OWNED = "tenant_owned"  # bostadsrätt (monthly fee)
    OWN_HOUSE = "own_house"
    LODGER = "lodger"  # inneboende
    WITH_PARENTS = "with_parents"
    SHELTERED = "sheltered"  # kommunal / tränings- eller försökslägenhet, boende
    HOMELESS = "homeless"
    OTHER = "other"


NO_RENT_HOUSING = frozenset({HousingType.HOMELESS})


class Housing(Model):
    type: HousingType | None = None
    # The housing cost per month (rent, or the bostadsrätt fee): the one place rent is given.
    rent: Kronor | None = None
    household_size: Annotated[int, Field(ge=1, le=30, strict=True)] | None = None  # people living in the home
    text: LongText | None = None


# --- incomes ----------------------------------------------------------------------------------

class IncomeType(StrEnum):
    WAGES_NET = "wages_net"
    SJUKPENNING = "sjukpenning"
    AKTIVITETSSTOD = "aktivitetsstod"
    BOSTADSBIDRAG = "bostadsbidrag"
    BARNBIDRAG = "barnbidrag"
    FLERBARNSTILLAGG = "flerbarnstillagg"
    UNDERHALLSSTOD = "underhallsstod"
    PENSION = "pension"
    A_KASSA = "a_kassa"
    CSN_STUDIEMEDEL = "csn_studiemedel"
    FORALDRAPENNING = "foraldrapenning"
    SJUKERSATTNING = "sjukersattning"
    ETABLERINGSERSATTNING = "etableringsersattning"
    OTHER = "other"


class Income(Model):
    type: IncomeType
    member: MemberRef  # whose income: "applicant", "partner" or a child/adult ref
    amount: Kronor  # per month, after tax
    text: ShortText | None = None
    # Carried over from last month by the prefill: the client must confirm or change it before submit.
    needs_confirmation: bool = False

    @model_validator(mode="after")
    def _other_needs_text(self) -> Self:
        if self.type is IncomeType.OTHER and not self.text:
            raise ValueError("an income of type 'other' needs a text")
        return self


class Incomes(Model):
    none_declared: bool = False  # "I/we have no incomes this month": an answer, not a gap
    items: list[Income] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _not_both(self) -> Self:
        if self.none_declared and self.items:
            raise ValueError("incomes are listed although 'no incomes' is declared")
        return self


# --- costs ------------------------------------------------------------------------------------

class CostType(StrEnum):
    # Rent is not here: it is housing.rent, so it can never be given twice.
    HOUSEHOLD_ELECTRICITY = "household_electricity"
    HOME_INSURANCE = "home_insurance"
    WORK_TRAVEL = "work_travel"
    UNION_FEE = "union_fee"
    A_KASSA_FEE = "a_kassa_fee"
    CHILDCARE = "childcare"
    MEDICAL = "medical"
    DENTAL = "dental"
    OTHER = "other"


# Costs that come back every month unless the client says otherwise; the prefill carries these.
RECURRING_BY_DEFAULT = frozenset({
    CostType.HOUSEHOLD_ELECTRICITY, CostType.HOME_INSURANCE, CostType.WORK_TRAVEL,
    CostType.UNION_FEE, CostType.A_KASSA_FEE, CostType.CHILDCARE,
})


class Cost(Model):
    type: CostType
    amount: Kronor
    member: MemberRef | None = None
    text: ShortText | None = None
    recurring: bool | None = None  # None: the type's default (RECURRING_BY_DEFAULT)

    @property
    def is_recurring(self) -> bool:
        return self.recurring if self.recurring is not None else self.type in RECURRING_BY_DEFAULT

    @model_validator(mode="after")
    def _other_needs_text(self) -> Self:
        if self.type is CostType.OTHER and not self.text:
            raise ValueError("a cost of type 'other' needs a text")
        return self


# --- assets -----------------------------------------------------------------------------------

class BankBalance(Model):
    member: MemberRef
    bank: ShortText | None = None
    balance: Kronor


class Vehicle(Model):
    member: MemberRef
    registration: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10)] | None = None
    estimated_value: Kronor
    needed_for_work_or_disability: bool = False


class Property(Model):
    member: MemberRef
    description: ShortText
    estimated_value: Kronor


class OtherAsset(Model):
    member: MemberRef
    description: ShortText
    value: Kronor


class Assets(Model):
    none_declared: bool = False  # "no savings, vehicles or property": an answer, not a gap
    bank_balances: list[BankBalance] = Field(default_factory=list, max_length=50)
    vehicles: list[Vehicle] = Field(default_factory=list, max_length=20)
    properties: list[Property] = Field(default_factory=list, max_length=20)
    other: list[OtherAsset] = Field(default_factory=list, max_length=50)

    def has_items(self) -> bool:
        return bool(self.bank_balances or self.vehicles or self.properties or self.other)

    @model_validator(mode="after")
    def _not_both(self) -> Self:
        if self.none_declared and self.has_items():
            raise ValueError("assets are listed although 'no assets' is declared")
        return self


# --- plan / activity --------------------------------------------------------------------------

class ActivityStatus(StrEnum):
    REGISTERED_AT_AF = "registered_at_af"  # inskriven hos Arbetsförmedlingen
    IN_ACTIVITY = "in_activity"  # in a programme, course or municipal labour-market activity
    SICK_LISTED = "sick_listed"
    OTHER = "other"


class Activity(Model):
    member: MemberRef  # "applicant" or "partner"
    status: ActivityStatus
    has_medical_certificate: bool | None = None  # asked when sick-listed
    text: LongText | None = None

    @model_validator(mode="after")
    def _details(self) -> Self:
        if self.status is ActivityStatus.OTHER and not self.text:
            raise ValueError("activity status 'other' needs a text")
        if self.status is ActivityStatus.SICK_LISTED and self.has_medical_certificate is None:
            raise ValueError("say whether there is a medical certificate")
        return self


class Plan(Model):
    activities: list[Activity] = Field(default_factory=list, max_length=10)

    def for_member(self, ref: str) -> Activity | None:
        return next((a for a in self.activities if a.member == ref), None)


# --- the content ------------------------------------------------------------------------------

class DraftContent(Model):
    """A saved, possibly partial application. Kind and period fix what is applied for; the rest may be empty."""

    kind: ApplicationKind
    period: Period
    household: Household | None = None
    housing: Housing | None = None
    incomes: Incomes | None = None
    costs: list[Cost] = Field(default_factory=list, max_length=100)  # none is a valid answer
    assets: Assets | None = None
    plan: Plan | None = None
    message: LongText | None = None  # free text to the caseworker


def as_draft(content: DraftContent | dict[str, Any]) -> DraftContent:
    """Any content (draft, complete, or a dict) as a DraftContent."""
    if isinstance(content, DraftContent):
        return DraftContent.model_validate(content.model_dump())
    return DraftContent.model_validate(content)
