"""POST /calculations on the calculation service: the request (one household and month) and its explained result.

Applications builds the request with these models and reads the result with them; the calculation service
validates with them (behind its fast parser, which accepts exactly what they accept) and its OpenAPI document
is written from them. Unknown request fields are refused (a misspelt field must not be silently ignored in a
calculation someone relies on); unknown result fields are ignored (the service may say more later).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

PATH = "/calculations"  # POST: one household; f"{PATH}/batch": many

# The vocabularies; the engine's own (services/calculation/domain/inputs.py) are tested equal to these.
COST_TYPES = ("rent", "household_electricity", "home_insurance", "work_travel", "union_fee", "a_kassa_fee",
              "childcare", "medical", "dental", "other")
INCOME_TYPES = ("wages_net", "sjukpenning", "aktivitetsstod", "bostadsbidrag", "barnbidrag", "flerbarnstillagg",
                "underhallsstod", "pension", "a_kassa", "csn_studiemedel", "foraldrapenning", "sjukersattning",
                "etableringsersattning", "other")
DEDUCTION_TYPES = ("overpayment",)
LINE_KINDS = ("norm", "cost", "income", "disregard", "deduction")
CONFIDENCES = ("confirmed", "probable", "derived")

MAX_KRONOR = 100_000_000
# The service's fast parser accepts exactly what these types accept, so they are strict where pydantic's lax
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
CostType = Literal[COST_TYPES]  # type: ignore[valid-type]
IncomeType = Literal[INCOME_TYPES]  # type: ignore[valid-type]
LineKind = Literal[LINE_KINDS]  # type: ignore[valid-type]
Confidence = Literal[CONFIDENCES]  # type: ignore[valid-type]


# --- the request (field order, names and descriptions are the published OpenAPI: keep them) -------------------

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


# --- the result -----------------------------------------------------------------------------------------------

class Bilingual(BaseModel):
    """The same words in Swedish and English."""

    sv: str
    en: str


class Line(BaseModel):
    """One explained component of the calculation; the lines of a kind sum to that kind's total."""

    kind: LineKind = Field(description="norm, cost, income, disregard (the part of an income not counted) or "
                                       "deduction (assets, set-off of over-payments)")
    component: str = Field(description="the cost or income type for cost and income lines; norm.personal, "
                                       "norm.common, disregard.* or deduction.* otherwise")
    rule_id: str = Field(description="the rule applied, a stable name (e.g. riksnorm.common, cost.rent.ceiling)")
    member: str | None = Field(description="applicant, partner or a child's / adult's ref; null: the household")
    amount: int = Field(ge=0, description="whole kronor per month")
    legal_reference: Bilingual = Field(description="the paragraph the line rests on, in the law of the month")
    norm_year: int
    source: str = Field(description="where the amount comes from (a norm table's source, application, ...)")
    confidence: Confidence | None = Field(None, description="norm lines: how sure the norm table's amount is")
    text: Bilingual = Field(description="the line explained to people")


class Totals(BaseModel):
    """Whole kronor per month, each the sum of its kind's lines."""

    norm: int = Field(ge=0)
    costs: int = Field(ge=0)
    incomes: int = Field(ge=0)
    disregarded: int = Field(ge=0)
    deductions: int = Field(ge=0)


class CalculationResult(BaseModel):
    """balance = norm + costs - (incomes - disregarded) - deductions; entitlement = max(0, balance), surplus =
    max(0, -balance)."""

    input_hash: str = Field(pattern=r"^sha256:[0-9a-f]{64}$",
                            description="of the normalised input: the same household in any order, the same hash")
    month: str = Field(pattern=MONTH_PATTERN)
    norm_year: int
    norm_source: str
    totals: Totals
    entitlement: int = Field(ge=0)
    surplus: int = Field(ge=0)
    lines: list[Line] = Field(description="empty when the batch asked for explain: false")


class FieldError(BaseModel):
    field: str = Field(description="the path of the bad field, e.g. items.3.costs.0.amount")
    message: str
    code: str


class ItemProblem(BaseModel):
    """Why one batch item was not calculated (problem+json, as a single calculation would answer)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError]
    covered_years: list[int] | None = Field(None, description="month-not-covered: the years the norms cover")


class BatchItem(BaseModel):
    """status 200 with result, or status 422 with problem."""

    index: int = Field(ge=0)
    status: Literal[200, 422]
    result: CalculationResult | None = None
    problem: ItemProblem | None = None


class BatchResult(BaseModel):
    count: int = Field(ge=0)
    failed: int = Field(ge=0)
    items: list[BatchItem] = Field(description="in the order sent")


# --- parsing --------------------------------------------------------------------------------------------------

_REQUEST = TypeAdapter(CalculationRequest)
_TRIAL = TypeAdapter(TrialRequest)
_RESULT = TypeAdapter(CalculationResult)


def parse_request(raw: Any) -> CalculationRequest:
    return _REQUEST.validate_python(raw)


def parse_trial(raw: Any) -> TrialRequest:
    return _TRIAL.validate_python(raw)


def parse_result(raw: Any) -> CalculationResult:
    return _RESULT.validate_python(raw)


def field_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    """A ValidationError as the 422 problem's ``errors``: [{field, message, code}], the field a dotted path."""
    out = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        where = ".".join(str(p) for p in err["loc"])
        out.append({"field": f"{prefix}{where}" if where else prefix.rstrip(".") or "body",
                    "message": err["msg"], "code": err["type"]})
    return out
