"""What a calculation is given: plain dataclasses (the engine's hot path never sees pydantic),
their normal form (sorted, so the order a caller lists things in changes neither result nor hash),
the input hash a decision can cite, and the checks that need more than one field.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import lru_cache

import orjson

from services.calculation.domain.norms import OLDEST_CHILD_AGE

APPLICANT = "applicant"
PARTNER = "partner"

COST_TYPES = ("rent", "household_electricity", "home_insurance", "work_travel", "union_fee", "a_kassa_fee",
              "childcare", "medical", "dental", "other")
INCOME_TYPES = ("wages_net", "sjukpenning", "aktivitetsstod", "bostadsbidrag", "barnbidrag", "flerbarnstillagg",
                "underhallsstod", "pension", "a_kassa", "csn_studiemedel", "foraldrapenning", "sjukersattning",
                "etableringsersattning", "other")
DEDUCTION_TYPES = ("overpayment",)

# The input classes are plain (not frozen, no slots) on purpose: they are built for every household of a
# batch, and orjson serialises plain dataclasses several times faster (the input hash). Treat them as
# read-only once built; normalise() makes new ones.


@dataclass
class Child:
    ref: str
    birth_date: dt.date
    lunch_at_home: bool = True  # False: lunch at preschool on weekdays (the lower 0-6 row)
    school_youth: bool = False  # in school (gymnasium or equivalent): stays in the household at 19-20
    earnings_earlier_this_year: int = 0  # own wages already disregarded this calendar year


@dataclass
class OtherAdult:
    ref: str
    birth_date: dt.date | None = None


@dataclass
class Household:
    applicant_birth_date: dt.date
    partner_birth_date: dt.date | None = None
    children: tuple[Child, ...] = ()
    other_adults: tuple[OtherAdult, ...] = ()
    persons_in_home: int | None = None  # None: the persons listed here


@dataclass
class Cost:
    type: str
    amount: int
    member: str | None = None
    reason: str | None = None


@dataclass
class Income:
    type: str
    member: str
    amount: int


@dataclass
class Asset:
    amount: int
    text: str | None = None


@dataclass
class Deduction:
    type: str
    amount: int
    reason: str | None = None


@dataclass
class CalculationInput:
    month: str  # "YYYY-MM"
    household: Household
    costs: tuple[Cost, ...] = ()
    incomes: tuple[Income, ...] = ()
    support_history: tuple[str, ...] = ()  # months with support, "YYYY-MM"
    assets: tuple[Asset, ...] = ()
    deductions: tuple[Deduction, ...] = ()
    municipality: str | None = None


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "code": self.code}


@lru_cache(maxsize=1024)
def month_parts(month: str) -> tuple[int, int, dt.date]:
    """(year, month, last day) of "YYYY-MM"."""
    year, mon = int(month[:4]), int(month[5:7])
    return year, mon, dt.date(year, mon, calendar.monthrange(year, mon)[1])


def month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def age_at(birth: dt.date, on: dt.date) -> int:
    """Completed years on ``on``. The norm counts the age at the end of the month, so a child moves to the
    next band from the month of the birthday."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _opt(value: str | None) -> str:
    return value or ""


def _sorted(items: tuple, key) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    return items if len(items) < 2 else tuple(sorted(items, key=key))


def normalise(inp: CalculationInput) -> CalculationInput:
    """The same household listed in another order is the same input."""
    h = inp.household
    household = Household(h.applicant_birth_date, h.partner_birth_date,
                          _sorted(h.children, lambda c: c.ref), _sorted(h.other_adults, lambda a: a.ref),
                          h.persons_in_home)
    return CalculationInput(
        inp.month,
        household,
        _sorted(inp.costs, lambda c: (c.type, _opt(c.member), c.amount, _opt(c.reason))),
        _sorted(inp.incomes, lambda i: (i.member, i.type, i.amount)),
        tuple(sorted(set(inp.support_history))),
        _sorted(inp.assets, lambda a: (a.amount, _opt(a.text))),
        _sorted(inp.deductions, lambda d: (d.type, d.amount, _opt(d.reason))),
        inp.municipality,
    )


def input_hash(normalised: CalculationInput) -> str:
    """sha256 of the canonical JSON of the normalised input (orjson writes a dataclass's fields in their
    declared order and dates as ISO strings, so the bytes are stable)."""
    return "sha256:" + hashlib.sha256(orjson.dumps(normalised)).hexdigest()


def check(inp: CalculationInput) -> list[FieldError]:
    """What only the whole input can tell: dates against the month, members that exist, sizes that fit."""
    errors: list[FieldError] = []
    _, _, month_end = month_parts(inp.month)
    h = inp.household
    if h.applicant_birth_date > month_end:
        errors.append(FieldError("household.applicant.birth_date", "is after the month applied for", "born-later"))
    if h.partner_birth_date is not None and h.partner_birth_date > month_end:
        errors.append(FieldError("household.partner.birth_date", "is after the month applied for", "born-later"))
    members = {APPLICANT} | ({PARTNER} if h.partner_birth_date is not None else set())
    seen: set[str] = set()
    for group, people in (("children", h.children), ("other_adults", h.other_adults)):
        for i, person in enumerate(people):
            where = f"household.{group}.{i}"
            if person.ref in (APPLICANT, PARTNER) or person.ref in seen:
                errors.append(FieldError(f"{where}.ref", f"'{person.ref}' is already used by another member",
                                         "duplicate-ref"))
            seen.add(person.ref)
            if person.birth_date is not None and person.birth_date > month_end:
                errors.append(FieldError(f"{where}.birth_date", "is after the month applied for", "born-later"))
    members |= seen
    for i, child in enumerate(h.children):
        if child.birth_date > month_end:
            continue
        age = age_at(child.birth_date, month_end)
        if age > OLDEST_CHILD_AGE:
            errors.append(FieldError(f"household.children.{i}.birth_date",
                                     f"the child is {age} this month: from 21 list them under other_adults",
                                     "adult-child"))
        elif age >= 19 and not child.school_youth:
            errors.append(FieldError(f"household.children.{i}.school_youth",
                                     "a 19-20 year old stays in the household only while in school; "
                                     "otherwise list them under other_adults", "adult-child"))
    listed = 1 + (h.partner_birth_date is not None) + len(h.children) + len(h.other_adults)
    if h.persons_in_home is not None and h.persons_in_home < listed:
        errors.append(FieldError("household.persons_in_home",
                                 f"is {h.persons_in_home} but the household lists {listed} persons", "too-small"))
    for i, income in enumerate(inp.incomes):
        if income.member not in members:
            errors.append(FieldError(f"incomes.{i}.member", f"no household member '{income.member}'",
                                     "unknown-member"))
    for i, cost in enumerate(inp.costs):
        if cost.member is not None and cost.member not in members:
            errors.append(FieldError(f"costs.{i}.member", f"no household member '{cost.member}'", "unknown-member"))
        if cost.type == "other" and not (cost.reason or "").strip():
            errors.append(FieldError(f"costs.{i}.reason", "an other cost needs the caseworker's reason",
                                     "reason-required"))
    return errors
