"""The calculation service, over HTTP: the request built from an application, and its answer as decision
components. The contract is the calculation service's POST /calculations (see its README)."""

from __future__ import annotations

import calendar
import re
from typing import Any

import httpx
from pydantic import ValidationError

from kit.problems import Problem
from services.applications.domain.content import (
    CostType,
    DraftContent,
    IncomeType,
    age_on,
    period_first_day,
)
from services.applications.domain.decision import CalculationSnapshot, ComponentKind, DecisionComponent, entitlement

SCHOOL_YOUTH_FROM_AGE = 16  # gymnasieungdom: the norm's school-youth band (the calculation decides the amount)
OLDEST_CHILD_AGE = 20  # the norm's last child band is 19-20; the calculation counts ages at the month's end


def calculation_request(content: DraftContent, *, support_history: list[str], municipality: str | None) -> dict:
    household = content.household
    assert household is not None and household.applicant is not None and content.housing is not None
    start = period_first_day(content.period)
    end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    partner = household.partner
    # A child who turns 21 this month is counted as an adult sharing the home for the whole month.
    grown = [c for c in household.children if age_on(c.birth_date, end) > OLDEST_CHILD_AGE]
    children = [{"ref": c.ref, "birth_date": c.birth_date.isoformat(),
                 "lunch_at_home": c.lunch_at_home if c.lunch_at_home is not None else True,
                 "school_youth": age_on(c.birth_date, start) >= SCHOOL_YOUTH_FROM_AGE}
                for c in household.children if c not in grown]
    costs: list[dict[str, Any]] = []
    if content.housing.rent:
        costs.append({"type": "rent", "amount": content.housing.rent, "member": None, "reason": None})
    costs += [{"type": c.type.value, "amount": c.amount, "member": c.member, "reason": c.text} for c in content.costs]
    incomes = [{"type": i.type.value, "member": i.member, "amount": i.amount}
               for i in (content.incomes.items if content.incomes else [])]
    assets: list[dict[str, Any]] = []
    if content.assets:
        a = content.assets
        assets += [{"amount": b.balance, "text": f"bank: {b.bank or ''}".strip()} for b in a.bank_balances]
        assets += [{"amount": v.estimated_value, "text": "vehicle"} for v in a.vehicles
                   if not v.needed_for_work_or_disability]
        assets += [{"amount": p.estimated_value, "text": p.description} for p in a.properties]
        assets += [{"amount": o.value, "text": o.description} for o in a.other]
    return {
        "month": content.period,
        "household": {
            "applicant": {"birth_date": household.applicant.personal_number.birth_date.isoformat()},
            "partner": {"birth_date": partner.personal_number.birth_date.isoformat()} if partner else None,
            "children": children,
            "other_adults": [{"ref": o.ref, "birth_date": o.birth_date.isoformat() if o.birth_date else None}
                             for o in household.other_adults]
                            + [{"ref": c.ref, "birth_date": c.birth_date.isoformat()} for c in grown],
            "persons_in_home": content.housing.household_size,
        },
        "costs": costs,
        "incomes": incomes,
        "support_history": support_history,
        "assets": assets,
        "deductions": [],
        "municipality": municipality,
    }


async def calculate(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    try:
        response = await client.post("/calculations", json=body)
    except httpx.HTTPError as exc:
        raise Problem(503, "calculation-unavailable", "The calculation service cannot be reached",
                      "Try again in a moment.") from exc
    if response.status_code == 422:
        # The application's data does not fit the rules (e.g. a month the norms do not cover): the caller's to fix.
        try:
            problem = response.json()
        except ValueError:
            problem = None
        problem = problem if isinstance(problem, dict) else {}
        detail = problem.get("detail")
        errors = problem.get("errors")
        raise Problem(422, "calculation-rejected", "The calculation service could not calculate this application",
                      detail if isinstance(detail, str) else None, errors=errors if isinstance(errors, list) else [])
    if response.status_code != 200:
        raise Problem(502, "calculation-failed", "The calculation service failed",
                      f"It answered {response.status_code}.")
    try:
        result = response.json()
    except ValueError:
        result = None
    if not isinstance(result, dict):
        raise Problem(502, "calculation-failed", "The calculation service failed", "Its answer is not JSON.")
    return result


_CODE = re.compile(r"[^a-z0-9_.:-]")
_MEMBER = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_COSTS = {c.value for c in CostType} | {"rent"}
_INCOMES = {i.value for i in IncomeType}


def _code(raw: str) -> str:
    return _CODE.sub("_", raw.lower())[:64] or "line"


def _kind(line: dict[str, Any]) -> str | None:
    component = str(line.get("component", "")).lower()
    rule = str(line.get("rule_id", "")).lower()
    if component.startswith(("norm", "riksnorm")) or rule.startswith(("norm", "riksnorm")):
        return "norm"
    if component in _INCOMES or component.startswith("income"):
        return "income"
    if component in _COSTS or component.startswith("cost"):
        return "cost"
    if component.startswith("disregard"):
        return "disregard"
    if component.startswith("deduction"):
        return "deduction"
    return None


def _line_code(line: dict[str, Any]) -> str:
    component = str(line.get("component"))
    return component if component in _COSTS | _INCOMES else _code(str(line.get("rule_id") or component))


def _member(line: dict[str, Any]) -> str | None:
    member = str(line.get("member") or "")
    return member if _MEMBER.match(member) else None


def _detailed(result: dict[str, Any]) -> list[DecisionComponent] | None:
    """One component per cost and income line; a disregard (jobbstimulans, children's earnings) lowers the
    same member's incomes, a deduction is a line of its own. None when the lines cannot be split that way."""
    totals, lines = result["totals"], result.get("lines", [])
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        kind = _kind(line)
        if kind is None and int(line.get("amount", 0)):
            return None  # a line we do not understand: use the totals
        by_kind.setdefault(kind or "", []).append(line)
    if any(int(ln.get("amount", 0)) < 0 for ln in lines):
        return None
    out = [DecisionComponent(kind=ComponentKind.NORM, code="riksnorm", computed=int(totals["norm"]),
                             decided=int(totals["norm"]))]
    out += [DecisionComponent(kind=ComponentKind.COST, code=_line_code(ln), member=_member(ln),
                              computed=int(ln["amount"]), decided=int(ln["amount"]))
            for ln in by_kind.get("cost", []) if int(ln["amount"])]
    incomes = [[_line_code(ln), _member(ln), int(ln["amount"])] for ln in by_kind.get("income", [])]
    for disregard in by_kind.get("disregard", []):
        left = int(disregard["amount"])
        for income in sorted((i for i in incomes if i[1] == _member(disregard)), key=lambda i: -i[2]):
            taken = min(left, income[2])
            income[2] -= taken
            left -= taken
        if left:
            return None
    out += [DecisionComponent(kind=ComponentKind.INCOME, code=code, member=member, computed=amount, decided=amount)
            for code, member, amount in incomes if amount]
    out += [DecisionComponent(kind=ComponentKind.INCOME, code=_line_code(ln), member=_member(ln),
                              computed=int(ln["amount"]), decided=int(ln["amount"]))
            for ln in by_kind.get("deduction", []) if int(ln["amount"])]
    return out


def _aggregated(result: dict[str, Any]) -> list[DecisionComponent]:
    totals = result["totals"]
    incomes = max(0, int(totals["incomes"]) - int(totals.get("disregarded", 0)) + int(totals.get("deductions", 0)))
    pairs = ((ComponentKind.NORM, "riksnorm", int(totals["norm"])), (ComponentKind.COST, "costs", int(totals["costs"])),
             (ComponentKind.INCOME, "incomes", incomes))
    return [DecisionComponent(kind=kind, code=code, computed=amount, decided=amount)
            for kind, code, amount in pairs if amount or kind is ComponentKind.NORM]


def components_from_result(result: dict[str, Any]) -> list[DecisionComponent]:
    """The calculation as decision components, per line where the lines allow it (the caseworker adjusts
    lines, not totals), otherwise one per kind; either way they must give the calculation's entitlement."""
    try:
        expected = int(result["entitlement"])
        for build in (_detailed, _aggregated):
            components = build(result)
            if components is not None and entitlement(components, "computed") == expected:
                return components
    except (KeyError, TypeError, ValueError, ValidationError) as exc:  # an answer outside the contract
        raise Problem(502, "calculation-failed", "The calculation service answered outside its contract",
                      "The answer could not be read.") from exc
    raise Problem(502, "calculation-inconsistent", "The calculation does not add up",
                  "The calculation's lines do not give its entitlement; it cannot be decided on.")


def snapshot(result: dict[str, Any]) -> CalculationSnapshot:
    try:
        input_hash = str(result["input_hash"]).removeprefix("sha256:")
        return CalculationSnapshot(input_hash=input_hash, entitlement=int(result["entitlement"]), result=result)
    except (KeyError, TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise Problem(502, "calculation-failed", "The calculation service answered outside its contract",
                      "The answer has no usable input hash.") from exc
