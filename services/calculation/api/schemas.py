"""The wire: request models (pydantic, validated at the edge) and their conversion to the domain's dataclasses.

The engine itself never sees pydantic. Unknown fields are refused (a misspelt field must not be
silently ignored in a calculation someone relies on).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from services.calculation.domain import inputs as d

MAX_KRONOR = 100_000_000
# The fast parser (fastparse.py) accepts exactly what these types accept, so they are strict where pydantic's lax
# mode would guess: no "12" or 12.0 or true for a number, no 1 or "yes" for a boolean, no Unicode digits in a
# month ("\d" would take "٢٠٢٦-03"), dates only as "YYYY-MM-DD" strings (not as epoch seconds).
# Free text refuses control characters: a NUL cannot be stored in PostgreSQL text or jsonb, and the text travels
# on with the calculation (applications keeps it with the case).
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
REF_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TEXT_PATTERN = r"^[^\x00-\x08\x0e-\x1f\x7f]*$"  # tab, newlines allowed
LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
_DATE_STRING = re.compile(DATE_PATTERN).fullmatch


def _date_string(value: Any) -> Any:
    if type(value) is not str or not _DATE_STRING(value):
        raise ValueError("a date as YYYY-MM-DD is required")
    return value


Kronor = Annotated[int, Field(ge=0, le=MAX_KRONOR, strict=True, description="whole kronor per month")]
Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN), Field(examples=["2026-03"])]
Ref = Annotated[str, StringConstraints(pattern=REF_PATTERN)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500, pattern=TEXT_PATTERN)]
Municipality = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64, pattern=LINE_PATTERN)]
BirthDate = Annotated[dt.date, BeforeValidator(_date_string), Field(ge=dt.date(1900, 1, 1))]
Flag = Annotated[bool, Field(strict=True)]
CostType = Literal[d.COST_TYPES]  # type: ignore[valid-type]
IncomeType = Literal[d.INCOME_TYPES]  # type: ignore[valid-type]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonIn(_In):
    birth_date: BirthDate


class ChildIn(_In):
    ref: Ref
    birth_date: BirthDate
    lunch_at_home: Flag = Field(True, description="false: lunch at preschool on weekdays (the lower 0-6 amount)")
    school_youth: Flag = Field(False, description="in school: stays in the household at 19-20; own earnings "
                                                  "disregarded up to one prisbasbelopp a year from 18")
    earnings_earlier_this_year: Kronor = Field(0, description="own wages already disregarded this calendar year")


class OtherAdultIn(_In):
    ref: Ref
    birth_date: BirthDate | None = None


class HouseholdIn(_In):
    applicant: PersonIn
    partner: PersonIn | None = None
    children: list[ChildIn] = Field(default_factory=list, max_length=20)
    other_adults: list[OtherAdultIn] = Field(default_factory=list, max_length=20)
    persons_in_home: int | None = Field(None, ge=1, le=100, strict=True,
                                        description="everyone living in the home; null: the persons listed")


class CostIn(_In):
    type: CostType
    amount: Kronor
    member: Ref | None = None
    reason: Reason | None = None


class IncomeIn(_In):
    type: IncomeType
    member: Ref
    amount: Kronor


class AssetIn(_In):
    amount: Kronor
    text: Reason | None = None


class DeductionIn(_In):
    type: Literal["overpayment"]
    amount: Kronor
    reason: Reason | None = None


class CalculationRequest(_In):
    month: Month
    household: HouseholdIn
    costs: list[CostIn] = Field(default_factory=list, max_length=100)
    incomes: list[IncomeIn] = Field(default_factory=list, max_length=100)
    support_history: list[Month] = Field(default_factory=list, max_length=600,
                                         description="months with support (for jobbstimulans)")
    assets: list[AssetIn] = Field(default_factory=list, max_length=100)
    deductions: list[DeductionIn] = Field(default_factory=list, max_length=100)
    municipality: Municipality | None = None

    def to_domain(self) -> d.CalculationInput:
        h = self.household
        return d.CalculationInput(
            month=self.month,
            household=d.Household(
                applicant_birth_date=h.applicant.birth_date,
                partner_birth_date=h.partner.birth_date if h.partner else None,
                children=tuple(d.Child(c.ref, c.birth_date, c.lunch_at_home, c.school_youth,
                                       c.earnings_earlier_this_year) for c in h.children),
                other_adults=tuple(d.OtherAdult(a.ref, a.birth_date) for a in h.other_adults),
                persons_in_home=h.persons_in_home,
            ),
            costs=tuple(d.Cost(c.type, c.amount, c.member, c.reason or None) for c in self.costs),
            incomes=tuple(d.Income(i.type, i.member, i.amount) for i in self.incomes),
            support_history=tuple(self.support_history),
            assets=tuple(d.Asset(a.amount, a.text or None) for a in self.assets),
            deductions=tuple(d.Deduction(x.type, x.amount, x.reason or None) for x in self.deductions),
            municipality=self.municipality or None,
        )


class BatchRequest(_In):
    items: list[CalculationRequest] = Field(description="up to CALCULATION_BATCH_MAX_ITEMS households; a bad "
                                                        "item gives an error entry at its index")
    explain: Flag = Field(True, description="false: totals only, without the lines (bulk recalculation)")


class TrialChild(_In):
    age: int = Field(ge=0, le=20, strict=True)
    lunch_at_home: Flag = True


class TrialRequest(_In):
    """Provberäkning: no names, no personal numbers, no birth dates; nothing is stored."""

    month: Month | None = Field(None, description="default: this month (Europe/Stockholm)")
    adults: int = Field(1, ge=1, le=2, strict=True, description="1 or 2")
    children: list[TrialChild] = Field(default_factory=list, max_length=20)
    rent: Kronor = 0
    household_electricity: Kronor = 0
    home_insurance: Kronor = 0
    work_travel: Kronor = 0
    childcare: Kronor = 0
    wages_net: Kronor = Field(0, description="the household's net wages per month")
    other_incomes: Kronor = Field(0, description="benefits and other incomes per month, together")
    municipality: Municipality | None = None

    def to_domain(self, month: str) -> d.CalculationInput:
        year, mon, _ = d.month_parts(month)
        # An age becomes a birth date on the 1st of the month that many years back: exactly that age all month.
        children = tuple(d.Child(f"child{n + 1}", dt.date(year - c.age, mon, 1), c.lunch_at_home, c.age >= 16)
                         for n, c in enumerate(self.children))
        adult = dt.date(year - 30, 1, 1)
        costs = tuple(d.Cost(kind, getattr(self, kind)) for kind in
                      ("rent", "household_electricity", "home_insurance", "work_travel", "childcare")
                      if getattr(self, kind))
        incomes = tuple(d.Income(kind, d.APPLICANT, amount) for kind, amount in
                        (("wages_net", self.wages_net), ("other", self.other_incomes)) if amount)
        return d.CalculationInput(month=month,
                                  household=d.Household(adult, adult if self.adults == 2 else None, children),
                                  costs=costs, incomes=incomes, municipality=self.municipality or None)


_REQUEST = TypeAdapter(CalculationRequest)
_TRIAL = TypeAdapter(TrialRequest)


def field_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    out = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        where = ".".join(str(p) for p in err["loc"])
        out.append({"field": f"{prefix}{where}" if where else prefix.rstrip(".") or "body",
                    "message": err["msg"], "code": err["type"]})
    return out


def parse_request(raw: Any) -> CalculationRequest:
    return _REQUEST.validate_python(raw)


def parse_trial(raw: Any) -> TrialRequest:
    return _TRIAL.validate_python(raw)
