"""The contract's request models (contracts.calculation) as the domain's dataclasses.

The engine itself never sees pydantic: these copies are the one place the wire's shape meets the domain's.
"""

from __future__ import annotations

import datetime as dt

from contracts.calculation import CalculationRequest, TrialRequest
from services.calculation.domain import inputs as d


def to_domain(request: CalculationRequest) -> d.CalculationInput:
    h = request.household
    return d.CalculationInput(
        month=request.month,
        household=d.Household(
            applicant_birth_date=h.applicant.birth_date,
            partner_birth_date=h.partner.birth_date if h.partner else None,
            children=tuple(d.Child(c.ref, c.birth_date, c.lunch_at_home, c.school_youth,
                                   c.earnings_earlier_this_year) for c in h.children),
            other_adults=tuple(d.OtherAdult(a.ref, a.birth_date) for a in h.other_adults),
            persons_in_home=h.persons_in_home,
        ),
        costs=tuple(d.Cost(c.type, c.amount, c.member, c.reason or None) for c in request.costs),
        incomes=tuple(d.Income(i.type, i.member, i.amount) for i in request.incomes),
        support_history=tuple(request.support_history),
        assets=tuple(d.Asset(a.amount, a.text or None) for a in request.assets),
        deductions=tuple(d.Deduction(x.type, x.amount, x.reason or None) for x in request.deductions),
        municipality=request.municipality or None,
    )


def trial_to_domain(trial: TrialRequest, month: str) -> d.CalculationInput:
    year, mon, _ = d.month_parts(month)
    # An age becomes a birth date on the 1st of the month that many years back: exactly that age all month.
    children = tuple(d.Child(f"child{n + 1}", dt.date(year - c.age, mon, 1), c.lunch_at_home, c.age >= 16)
                     for n, c in enumerate(trial.children))
    adult = dt.date(year - 30, 1, 1)
    costs = tuple(d.Cost(kind, getattr(trial, kind)) for kind in
                  ("rent", "household_electricity", "home_insurance", "work_travel", "childcare")
                  if getattr(trial, kind))
    incomes = tuple(d.Income(kind, d.APPLICANT, amount) for kind, amount in
                    (("wages_net", trial.wages_net), ("other", trial.other_incomes)) if amount)
    return d.CalculationInput(month=month,
                              household=d.Household(adult, adult if trial.adults == 2 else None, children),
                              costs=costs, incomes=incomes, municipality=trial.municipality or None)
