"""A fast path from decoded JSON to the domain's dataclasses, behind the contract's request model.

The model (contracts.calculation.CalculationRequest) stays the definition of what is valid and the source of
every error message. This parser says "valid, here it is" or "not valid" (returns None); on None the caller runs
the model, which names the bad field. The two accept exactly the same inputs and give the same dataclasses (the
model's types are strict for that reason); tests/calculation/test_fuzz_inputs.py and test_contract.py check it on
generated valid and mutated requests. Whatever the input (wrong JSON types, unhashable values where a name is
expected), this parser answers None, never raises.
Why: pydantic plus the model-to-dataclass copy is about half the time of a batch item.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from contracts.calculation import (
    COST_TYPES,
    DATE_PATTERN,
    DEDUCTION_TYPES,
    INCOME_TYPES,
    LINE_PATTERN,
    MAX_KRONOR,
    MONTH_PATTERN,
    REF_PATTERN,
    TEXT_PATTERN,
)
from services.calculation.domain import inputs as d

# The schema's patterns are anchored with ^...$; fullmatch on the bare pattern keeps Python's "$" (which would
# also match before a final newline) out of it.
_MONTH = re.compile(MONTH_PATTERN[1:-1]).fullmatch
_DATE = re.compile(DATE_PATTERN[1:-1]).fullmatch
_REF = re.compile(REF_PATTERN[1:-1]).fullmatch
_TEXT = re.compile(TEXT_PATTERN[1:-1]).fullmatch
_LINE = re.compile(LINE_PATTERN[1:-1]).fullmatch
_OLDEST = dt.date(1900, 1, 1)
# Every month a request may name, so a support history of 40 months is one C-level set check.
_MONTHS = frozenset(f"{y:04d}-{m:02d}" for y in range(1900, 2200) for m in range(1, 13))
_COSTS = frozenset(COST_TYPES)
_INCOMES = frozenset(INCOME_TYPES)
_DEDUCTIONS = frozenset(DEDUCTION_TYPES)

_TOP = frozenset({"month", "household", "costs", "incomes", "support_history", "assets", "deductions",
                  "municipality"})
_HOUSEHOLD = frozenset({"applicant", "partner", "children", "other_adults", "persons_in_home"})
_CHILD = frozenset({"ref", "birth_date", "lunch_at_home", "school_youth", "earnings_earlier_this_year"})
_ADULT = frozenset({"ref", "birth_date"})
_COST = frozenset({"type", "amount", "member", "reason"})
_INCOME = frozenset({"type", "member", "amount"})
_ASSET = frozenset({"amount", "text"})
_DEDUCTION = frozenset({"type", "amount", "reason"})


class _Unsure(Exception):
    pass


_UNSURE = _Unsure()


def _kr(value: Any) -> int:
    if type(value) is not int or not 0 <= value <= MAX_KRONOR:
        raise _UNSURE
    return value


def _date(value: Any) -> dt.date:
    if type(value) is not str or not _DATE(value):
        raise _UNSURE
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise _UNSURE from None
    if day < _OLDEST:
        raise _UNSURE
    return day


def _ref(value: Any) -> str:
    if type(value) is not str or not _REF(value):
        raise _UNSURE
    return value


def _text(value: Any, limit: int = 500, allowed: Any = _TEXT) -> str | None:
    """As pydantic's strip, then max length and pattern. Python's strip() also takes \x1c-\x1f for whitespace,
    pydantic's does not; those are refused first (by _TEXT), so the two strips agree on everything that is left."""
    if value is None:
        return None
    if type(value) is not str or not _TEXT(value):
        raise _UNSURE
    value = value.strip()
    if len(value) > limit or not allowed(value):
        raise _UNSURE
    return value or None


def _month(value: Any) -> str:
    if type(value) is not str or not _MONTH(value):
        raise _UNSURE
    return value


def _kind(value: Any, allowed: frozenset[str]) -> str:
    if type(value) is not str or value not in allowed:  # a dict or list here is unhashable: check the type first
        raise _UNSURE
    return value


def _list(obj: dict[str, Any], key: str, limit: int) -> list[Any]:
    value = obj.get(key, ())
    if type(value) is not list and value != ():
        raise _UNSURE
    if len(value) > limit:
        raise _UNSURE
    return value  # type: ignore[return-value]


def _dict(value: Any, allowed: frozenset[str]) -> dict[str, Any]:
    if type(value) is not dict or not value.keys() <= allowed:
        raise _UNSURE
    return value


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise _UNSURE
    return value


def _person(value: Any) -> dt.date:
    person = _dict(value, frozenset({"birth_date"}))
    return _date(person["birth_date"]) if "birth_date" in person else _date(None)


def parse(raw: Any) -> d.CalculationInput | None:
    try:
        return _parse(raw)
    except (_Unsure, KeyError):
        return None


def _parse(raw: Any) -> d.CalculationInput:
    top = _dict(raw, _TOP)
    month = _month(top["month"])
    h = _dict(top["household"], _HOUSEHOLD)
    applicant = _person(h["applicant"])
    partner = h.get("partner")
    partner_birth = None if partner is None else _person(partner)
    children = []
    for c in _list(h, "children", 20):
        c = _dict(c, _CHILD)
        children.append(d.Child(_ref(c["ref"]), _date(c["birth_date"]),
                                _bool(c["lunch_at_home"]) if "lunch_at_home" in c else True,
                                _bool(c["school_youth"]) if "school_youth" in c else False,
                                _kr(c["earnings_earlier_this_year"]) if "earnings_earlier_this_year" in c else 0))
    adults = []
    for a in _list(h, "other_adults", 20):
        a = _dict(a, _ADULT)
        born = a.get("birth_date")
        adults.append(d.OtherAdult(_ref(a["ref"]), None if born is None else _date(born)))
    in_home = h.get("persons_in_home")
    if in_home is not None and (type(in_home) is not int or not 1 <= in_home <= 100):  # type(True) is bool
        raise _UNSURE
    costs = []
    for c in _list(top, "costs", 100):
        c = _dict(c, _COST)
        kind = _kind(c["type"], _COSTS)
        member = c.get("member")
        costs.append(d.Cost(kind, _kr(c["amount"]), None if member is None else _ref(member), _text(c.get("reason"))))
    incomes = []
    for i in _list(top, "incomes", 100):
        i = _dict(i, _INCOME)
        kind = _kind(i["type"], _INCOMES)
        incomes.append(d.Income(kind, _ref(i["member"]), _kr(i["amount"])))
    history = _list(top, "support_history", 600)
    try:
        common = _MONTHS.issuperset(history)
    except TypeError:  # something unhashable in the list
        raise _UNSURE from None
    if not common:  # a month outside 1900-2199, or not a month at all: one by one
        for month_ in history:
            _month(month_)
    assets = [d.Asset(_kr(a["amount"]), _text(a.get("text"))) for a in map(
        lambda a: _dict(a, _ASSET), _list(top, "assets", 100))]
    deductions = []
    for x in _list(top, "deductions", 100):
        x = _dict(x, _DEDUCTION)
        if _kind(x["type"], _DEDUCTIONS) != "overpayment":
            raise _UNSURE
        deductions.append(d.Deduction("overpayment", _kr(x["amount"]), _text(x.get("reason"))))
    municipality = _text(top.get("municipality"), 64, _LINE)
    return d.CalculationInput(month, d.Household(applicant, partner_birth, tuple(children), tuple(adults), in_home),
                              tuple(costs), tuple(incomes), tuple(history), tuple(assets), tuple(deductions),
                              municipality)
