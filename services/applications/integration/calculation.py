"""The calculation service, over HTTP: the request built from an application, and its answer as decision
components. Both sides of the wire are contracts.calculation's models (POST /calculations)."""

from __future__ import annotations

import calendar
import re
from typing import Any

import aiohttp
import httpx
import orjson
from pydantic import ValidationError

from contracts.calculation import (
    PATH,
    CalculationRequest,
    CalculationResult,
    Line,
    LineKind,
    field_errors,
    parse_result,
)
from kit.http import JsonPoster
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
    """The contract's CalculationRequest for the application's month, as JSON (only the fields set here)."""
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
    try:
        request = CalculationRequest.model_validate({
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
        })
    except ValidationError as exc:
        # The application's data does not fit the contract: what the calculation service would answer (its 422),
        # without the call.
        raise Problem(422, "calculation-rejected", "The calculation service could not calculate this application",
                      "One or more fields are invalid.", errors=field_errors(exc)) from None
    return request.model_dump(mode="json", exclude_unset=True)


async def calculate(client: httpx.AsyncClient | JsonPoster, body: dict[str, Any]) -> dict[str, Any]:
    """``client``: httpx (a caseworker's calculation) or the aiohttp poster (the proposal job's, many at once,
    where httpx's pool costs more CPU than the calculation itself); the same answers either way."""
    try:
        if isinstance(client, JsonPoster):
            status, content = await client.exchange(PATH, body)
        else:
            response = await client.post(PATH, json=body)
            status, content = response.status_code, response.content
    except (httpx.HTTPError, aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise Problem(503, "calculation-unavailable", "The calculation service cannot be reached",
                      "Try again in a moment.") from exc
    if status == 422:
        # The application's data does not fit the rules (e.g. a month the norms do not cover): the caller's to fix.
        try:
            problem = orjson.loads(content)
        except ValueError:
            problem = None
        problem = problem if isinstance(problem, dict) else {}
        detail = problem.get("detail")
        errors = problem.get("errors")
        raise Problem(422, "calculation-rejected", "The calculation service could not calculate this application",
                      detail if isinstance(detail, str) else None, errors=errors if isinstance(errors, list) else [])
    if status != 200:
        raise Problem(502, "calculation-failed", "The calculation service failed",
                      f"It answered {status}.")
    try:
        result = orjson.loads(content)
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


# The decision component each kind of line becomes. A disregard (jobbstimulans, children's earnings) is no
# component of its own: it lowers the same member's incomes. The norm lines become one component from the totals
# (the caseworker adjusts costs and incomes, not the riksnorm). Every kind of the contract is here (tested).
KIND_COMPONENTS: dict[LineKind, ComponentKind | None] = {
    "norm": ComponentKind.NORM,
    "cost": ComponentKind.COST,
    "income": ComponentKind.INCOME,
    "disregard": None,
    "deduction": ComponentKind.INCOME,  # lowers the entitlement as an income does
}


def _line_code(line: Line) -> str:
    return line.component if line.component in _COSTS | _INCOMES else _code(line.rule_id or line.component)


def _member(line: Line) -> str | None:
    member = line.member or ""
    return member if _MEMBER.match(member) else None


def _own(lines: list[Line]) -> list[DecisionComponent]:
    """One component per line with an amount, of its kind's component kind."""
    return [DecisionComponent(kind=KIND_COMPONENTS[ln.kind], code=_line_code(ln), member=_member(ln),
                              computed=ln.amount, decided=ln.amount) for ln in lines if ln.amount]


def _detailed(result: CalculationResult) -> list[DecisionComponent] | None:
    """One component per cost and income line; a disregard lowers the same member's incomes, a deduction is a
    line of its own. None when the disregards cannot be taken from that member's incomes."""
    by_kind: dict[str, list[Line]] = {kind: [] for kind in KIND_COMPONENTS}
    for line in result.lines:
        by_kind[line.kind].append(line)
    norm = result.totals.norm
    out = [DecisionComponent(kind=ComponentKind.NORM, code="riksnorm", computed=norm, decided=norm)]
    out += _own(by_kind["cost"])
    incomes = [[_line_code(ln), _member(ln), ln.amount] for ln in by_kind["income"]]
    for disregard in by_kind["disregard"]:
        left = disregard.amount
        for income in sorted((i for i in incomes if i[1] == _member(disregard)), key=lambda i: -i[2]):
            taken = min(left, income[2])
            income[2] -= taken
            left -= taken
        if left:
            return None
    out += [DecisionComponent(kind=ComponentKind.INCOME, code=code, member=member, computed=amount, decided=amount)
            for code, member, amount in incomes if amount]
    out += _own(by_kind["deduction"])
    return out


def _aggregated(result: CalculationResult) -> list[DecisionComponent]:
    totals = result.totals
    incomes = max(0, totals.incomes - totals.disregarded + totals.deductions)
    pairs = ((ComponentKind.NORM, "riksnorm", totals.norm), (ComponentKind.COST, "costs", totals.costs),
             (ComponentKind.INCOME, "incomes", incomes))
    return [DecisionComponent(kind=kind, code=code, computed=amount, decided=amount)
            for kind, code, amount in pairs if amount or kind is ComponentKind.NORM]


def components_from_result(result: dict[str, Any]) -> list[DecisionComponent]:
    """The calculation as decision components, per line where the lines allow it (the caseworker adjusts
    lines, not totals), otherwise one per kind; either way they must give the calculation's entitlement."""
    try:
        parsed = parse_result(result)
        for build in (_detailed, _aggregated):
            components = build(parsed)
            if components is not None and entitlement(components, "computed") == parsed.entitlement:
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
