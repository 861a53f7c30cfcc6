"""The calculation service, over HTTP: the request built from an application, and its answer as decision
components. The contract is the calculation service's POST /calculations (see its README)."""

from __future__ import annotations

import re
from typing import Any

import httpx

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


def calculation_request(content: DraftContent, *, support_history: list[str], municipality: str | None) -> dict:
    household = content.household
    assert household is not None and household.applicant is not None and content.housing is not None
    start = period_first_day(content.period)
    partner = household.partner
    children = [{"ref": c.ref, "birth_date": c.birth_date.isoformat(),
                 "lunch_at_home": c.lunch_at_home if c.lunch_at_home is not None else True,
                 "school_youth": age_on(c.birth_date, start) >= SCHOOL_YOUTH_FROM_AGE}
                for c in household.children]
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
                             for o in household.other_adults],
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
        problem = response.json() if response.headers.get("content-type", "").endswith("json") else {}
        detail = problem.get("detail") if isinstance(problem, dict) else None
        raise Problem(422, "calculation-rejected", "The calculation service could not calculate this application",
                      detail if isinstance(detail, str) else None, errors=problem.get("errors", []))
    if response.status_code != 200:
        raise Problem(502, "calculation-failed", "The calculation service failed",
                      f"It answered {response.status_code}.")
    return response.json()  # type: ignore[no-any-return]


_CODE = re.compile(r"[^a-z0-9_.:-]")
_MEMBER = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_COSTS = {c.value for c in CostType} | {"rent"}
_INCOMES = {i.value for i in IncomeType}


def _code(raw: str) -> str:
    return _CODE.sub("_", raw.lower())[:64] or "line"


def _kind(line: dict[str, Any]) -> ComponentKind | None:
    component = str(line.get("component", "")).lower()
    rule = str(line.get("rule_id", "")).lower()
    if component.startswith(("norm", "riksnorm")) or rule.startswith(("norm", "riksnorm")):
        return ComponentKind.NORM
    if component in _INCOMES or component.startswith("income"):
        return ComponentKind.INCOME
    if component in _COSTS or component.startswith("cost"):
        return ComponentKind.COST
    return None  # disregards, assets, deductions: folded into the totals below


def components_from_result(result: dict[str, Any]) -> list[DecisionComponent]:
    """The calculation as decision components: the norm as one line, costs and incomes per line when the
    lines add up to the totals, otherwise one line per kind (disregards and deductions folded into incomes),
    so the components always give the calculation's entitlement."""
    totals = result["totals"]
    lines = result.get("lines", [])
    out = [DecisionComponent(kind=ComponentKind.NORM, code="riksnorm", computed=int(totals["norm"]),
                             decided=int(totals["norm"]))]
    for kind, total, fallback in ((ComponentKind.COST, int(totals["costs"]), "costs"),
                                  (ComponentKind.INCOME, int(totals["incomes"]), "incomes")):
        mine = [ln for ln in lines if _kind(ln) is kind and int(ln.get("amount", 0)) != 0]
        netted = total
        if kind is ComponentKind.INCOME:
            netted = max(0, total - int(totals.get("disregarded", 0)) + int(totals.get("deductions", 0)))
        if mine and netted == total and sum(int(ln["amount"]) for ln in mine) == total \
                and all(int(ln["amount"]) >= 0 for ln in mine):
            for ln in mine:
                component = str(ln.get("component"))
                code = component if component in _COSTS | _INCOMES else _code(str(ln.get("rule_id") or component))
                member = str(ln.get("member") or "")
                out.append(DecisionComponent(kind=kind, code=code, member=member if _MEMBER.match(member) else None,
                                             computed=int(ln["amount"]), decided=int(ln["amount"])))
        elif netted:
            out.append(DecisionComponent(kind=kind, code=fallback, computed=netted, decided=netted))
    if entitlement(out, "computed") != int(result["entitlement"]):
        raise Problem(502, "calculation-inconsistent", "The calculation does not add up",
                      "The calculation's lines do not give its entitlement; it cannot be decided on.")
    return out


def snapshot(result: dict[str, Any]) -> CalculationSnapshot:
    input_hash = str(result["input_hash"]).removeprefix("sha256:")
    return CalculationSnapshot(input_hash=input_hash, entitlement=int(result["entitlement"]), result=result)
