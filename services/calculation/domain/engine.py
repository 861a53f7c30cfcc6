"""The engine: one household and month in, the entitlement out, with one explained line per component.

    norm         = personal costs of each member + household common costs (riksnorm of the month's year)
    costs        = reasonable costs (rent up to the municipality's ceiling, medical up to the high-cost ceilings)
    incomes      = every income of every member, in full
    disregarded  = jobbstimulans + children's own earnings (the parts of incomes not counted)
    deductions   = assets + set-off of earlier over-payments
    balance      = norm + costs - (incomes - disregarded) - deductions
    entitlement  = max(0, balance);  surplus = max(0, -balance)

Each line has a ``kind`` (norm, cost, income, disregard, deduction); the lines of a kind sum to its total.
Pure and deterministic: plain dicts and ints, no I/O; the input is checked (inputs.check) before it gets here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.calculation.domain import rules as r
from services.calculation.domain.inputs import (
    APPLICANT,
    CalculationInput,
    age_at,
    input_hash,
    month_index,
    month_parts,
)
from services.calculation.domain.norms import BANDS, NormYear

Line = dict[str, Any]


@dataclass(frozen=True)
class RentCeilings:
    """Reasonable rent per household size, per municipality (a municipality not listed uses ``default``).
    Sizes beyond the longest list use its last amount. Empty: no ceiling, the rent is taken as given."""

    default: tuple[int, ...] = ()
    by_municipality: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def ceiling(self, municipality: str | None, persons: int) -> int | None:
        table = self.by_municipality.get(municipality.lower(), self.default) if municipality else self.default
        if not table:
            return None
        return table[min(persons, len(table)) - 1]


NO_CEILINGS = RentCeilings()


def jobbstimulans_month(month: str, history: tuple[str, ...]) -> int | None:
    """Which of the 24 jobbstimulans months ``month`` is (1..24), or None.

    It starts in the month after 6 consecutive months with support (months before ``month`` in the
    history) and lasts 24 months from there."""
    current = month_index(month)
    indices = sorted({month_index(m) for m in history if m < month})
    best = None
    run_start = prev = None
    for idx in [*indices, None]:
        if idx is not None and prev is not None and idx == prev + 1:
            prev = idx
            continue
        if run_start is not None and prev is not None and prev - run_start + 1 >= r.JOBBSTIMULANS_AFTER_MONTHS:
            first = run_start + r.JOBBSTIMULANS_AFTER_MONTHS
            if first <= current < first + r.JOBBSTIMULANS_FOR_MONTHS:
                best = current - first + 1  # a later run wins: runs are visited in order
        run_start = prev = idx
    return best


def calculate(inp: CalculationInput, norm: NormYear, ceilings: RentCeilings = NO_CEILINGS,
              *, explain: bool = True) -> dict[str, Any]:
    """``inp`` must be normalised and checked. ``explain=False`` leaves the lines out (bulk recalculation)."""
    month = inp.month
    law = r.law_for(month)
    year = norm.year
    src = norm.source_id
    conf = norm.confidence
    _, _, month_end = month_parts(month)
    h = inp.household
    lines: list[Line] = []
    add = lines.append

    # --- norm: personal costs -------------------------------------------------------------------
    ref_norm = law["norm"]
    norm_total = 0
    if h.partner_birth_date is not None:
        amount = norm.adults_living_together
        if explain:
            add({"kind": "norm", "component": "norm.personal", "rule_id": r.R_ADULTS_TOGETHER, "member": None,
                 "amount": amount, "legal_reference": ref_norm, "norm_year": year, "source": src,
                 "confidence": conf["personal"],
                 "text": {"sv": f"Personliga kostnader för sökande och make/sambo tillsammans: {amount} kr",
                          "en": f"Personal costs of the applicant and partner together: {amount} kr"}})
    else:
        amount = norm.adult_living_alone
        if explain:
            add({"kind": "norm", "component": "norm.personal", "rule_id": r.R_ADULT_ALONE, "member": APPLICANT,
                 "amount": amount, "legal_reference": ref_norm, "norm_year": year, "source": src,
                 "confidence": conf["personal"],
                 "text": {"sv": f"Personliga kostnader, vuxen: {amount} kr",
                          "en": f"Personal costs, adult: {amount} kr"}})
    norm_total += amount
    child_age: dict[str, int] = {}
    school_youth: dict[str, bool] = {}
    for child in h.children:
        age = age_at(child.birth_date, month_end)
        child_age[child.ref] = age
        school_youth[child.ref] = child.school_youth
        amount, band, no_lunch = norm.child_amount(age, child.lunch_at_home)
        label = BANDS[band]
        if no_lunch:
            sv = f"Personliga kostnader, barn {age} år (åldersgrupp {label}, utan lunch hemma vardagar): {amount} kr"
            en = f"Personal costs, child aged {age} (band {label}, no lunch at home on weekdays): {amount} kr"
            rule, c = r.R_CHILD_NO_LUNCH, conf["personal_without_lunch"]
        else:
            sv = f"Personliga kostnader, barn {age} år (åldersgrupp {label}): {amount} kr"
            en = f"Personal costs, child aged {age} (band {label}): {amount} kr"
            rule, c = r.R_CHILD, conf["personal"]
        if explain:
            add({"kind": "norm", "component": "norm.personal", "rule_id": rule, "member": child.ref, "amount": amount,
                 "legal_reference": ref_norm, "norm_year": year, "source": src, "confidence": c,
                 "text": {"sv": sv, "en": en}})
        norm_total += amount

    # --- norm: household common costs, shared when others live in the home -----------------------
    family = 1 + (h.partner_birth_date is not None) + len(h.children)
    listed = family + len(h.other_adults)
    in_home = h.persons_in_home or listed
    common = norm.common_costs(in_home)
    if in_home == family:
        amount = common
        sv = f"Hushållsgemensamma kostnader för {in_home} person{'er' if in_home > 1 else ''}: {amount} kr"
        en = f"Household common costs for {in_home} person{'s' if in_home > 1 else ''}: {amount} kr"
        rule = r.R_COMMON
    else:
        # A share by head count, rounded to whole kronor (Socialstyrelsen: 1 740 / 5 per person).
        amount = (2 * common * family + in_home) // (2 * in_home)
        sv = (f"Hushållsgemensamma kostnader: {common} kr för {in_home} personer i bostaden, "
              f"hushållets andel {family}/{in_home}: {amount} kr")
        en = (f"Household common costs: {common} kr for {in_home} persons in the home, "
              f"this household's share {family}/{in_home}: {amount} kr")
        rule = r.R_COMMON_SHARE
    if explain:
        add({"kind": "norm", "component": "norm.common", "rule_id": rule, "member": None, "amount": amount,
             "legal_reference": ref_norm, "norm_year": year, "source": src, "confidence": conf["common"],
             "text": {"sv": sv, "en": en}})
    norm_total += amount
    if h.other_adults:
        share = (2 * common + in_home) // (2 * in_home)
        alone = norm.adult_living_alone
        for adult in h.other_adults:
            if explain:
                add({"kind": "norm", "component": "norm.personal", "rule_id": r.R_OTHER_ADULT, "member": adult.ref,
                     "amount": alone, "legal_reference": ref_norm, "norm_year": year, "source": src,
                     "confidence": conf["personal"],
                     "text": {"sv": f"Personliga kostnader, vuxen i bostaden som inte är make/sambo "
                                    f"(som ensamstående): {alone} kr",
                              "en": f"Personal costs, adult in the home who is not a partner (as living alone): "
                                    f"{alone} kr"}})
            if explain:
                add({"kind": "norm", "component": "norm.common", "rule_id": r.R_OTHER_ADULT_SHARE, "member": adult.ref,
                     "amount": share, "legal_reference": ref_norm, "norm_year": year, "source": src,
                     "confidence": conf["common"],
                     "text": {"sv": f"Andel av hushållsgemensamma kostnader: {common} kr / {in_home} = {share} kr",
                              "en": f"Share of household common costs: {common} kr / {in_home} = {share} kr"}})
            norm_total += alone + share

    # --- reasonable costs ----------------------------------------------------------------------
    costs_total = 0
    rent_room: int | None = None
    rent_ceiling: int | None = None
    medical_room: dict[str | None, int] = {}
    medical_cap = norm.high_cost_care + norm.high_cost_medicine
    for cost in inp.costs:
        kind = cost.type
        asked = cost.amount
        amount = asked
        sv_label, en_label = r.COST_LABELS[kind]
        rule = r.R_COST + kind
        sv = f"{sv_label}: {amount} kr"
        en = f"{en_label}: {amount} kr"
        line_src = "application"
        if kind == "rent":
            if rent_room is None:
                rent_ceiling = ceilings.ceiling(inp.municipality, listed)
                rent_room = rent_ceiling if rent_ceiling is not None else -1
            if rent_room >= 0:
                if asked > rent_room:
                    amount = rent_room
                    rule = r.R_RENT_CEILING
                    sv = (f"{sv_label}: {asked} kr är över kommunens skäliga nivå {rent_ceiling or 0} kr "
                          f"för {listed} person{'er' if listed > 1 else ''}; {amount} kr räknas")
                    en = (f"{en_label}: {asked} kr is above the municipality's reasonable level "
                          f"{rent_ceiling or 0} kr for {listed} person{'s' if listed > 1 else ''}; "
                          f"{amount} kr is counted")
                    line_src = "municipality rent ceiling"
                rent_room -= amount
        elif kind == "medical":
            room = medical_room.get(cost.member, medical_cap)
            if asked > room:
                amount = room
                rule = r.R_MEDICAL_CEILING
                sv = (f"{sv_label}: {asked} kr, högkostnadsskyddet ({norm.high_cost_care} kr vård + "
                      f"{norm.high_cost_medicine} kr läkemedel) begränsar till {amount} kr")
                en = (f"{en_label}: {asked} kr, the high-cost ceilings ({norm.high_cost_care} kr care + "
                      f"{norm.high_cost_medicine} kr medicine) limit it to {amount} kr")
                line_src = src
            medical_room[cost.member] = room - amount
        elif cost.reason:
            sv = f"{sv}. Skäl: {cost.reason}"
            en = f"{en}. Reason: {cost.reason}"
        if explain:
            add({"kind": "cost", "component": kind, "rule_id": rule, "member": cost.member, "amount": amount,
                 "legal_reference": law[r.COST_LAW[kind]], "norm_year": year, "source": line_src,
                 "text": {"sv": sv, "en": en}})
        costs_total += amount

    # --- incomes, and what of them is not counted ------------------------------------------------
    incomes_total = 0
    disregard_lines: list[Line] = []
    disregarded = 0
    stim_month = -1  # not computed yet
    ref_income = law["income"]
    for income in inp.incomes:
        kind = income.type
        amount = income.amount
        member = income.member
        sv_label, en_label = r.INCOME_LABELS[kind]
        if explain:
            add({"kind": "income", "component": kind, "rule_id": r.R_INCOME + kind, "member": member, "amount": amount,
                 "legal_reference": ref_income, "norm_year": year, "source": "application",
                 "text": {"sv": f"{sv_label}: {amount} kr", "en": f"{en_label}: {amount} kr"}})
        incomes_total += amount
        if kind != r.EMPLOYMENT_INCOME or amount == 0:
            continue
        age = child_age.get(member)
        if age is not None:
            if age < r.CHILD_EARNINGS_ALWAYS_UNDER or school_youth[member]:
                child = next(c for c in h.children if c.ref == member)
                room = max(0, norm.prisbasbelopp - child.earnings_earlier_this_year)
                free = min(amount, room)
                if free:
                    if explain:
                        disregard_lines.append({
                            "kind": "disregard", "component": "disregard.child_earnings", "rule_id": r.R_CHILD_EARNINGS,
                            "member": member, "amount": free, "legal_reference": law["child_earnings"],
                            "norm_year": year, "source": f"prisbasbelopp {year}",
                            "text": {"sv": f"Barns/skolungdoms egen arbetsinkomst räknas inte upp till ett "
                                           f"prisbasbelopp per år ({norm.prisbasbelopp} kr, {room} kr kvar): "
                                           f"{free} kr",
                                     "en": f"A child's or school youth's own earnings are not counted up to one price "
                                           f"base amount a year ({norm.prisbasbelopp} kr, {room} kr left): "
                                           f"{free} kr"}})
                    disregarded += free
            continue
        if stim_month == -1:
            stim_month = jobbstimulans_month(month, inp.support_history) or 0
        if stim_month:
            free = (amount * r.JOBBSTIMULANS_PERCENT + 50) // 100  # 25 %, rounded to whole kronor
            if free:
                if explain:
                    disregard_lines.append({
                        "kind": "disregard", "component": "disregard.jobbstimulans", "rule_id": r.R_JOBBSTIMULANS,
                        "member": member, "amount": free, "legal_reference": law["jobbstimulans"], "norm_year": year,
                        "source": "support_history",
                        "text": {"sv": f"Jobbstimulans: 25 % av nettolönen räknas inte (månad {stim_month} av 24 efter "
                                       f"sex månader i följd med bistånd): {free} kr",
                                 "en": f"Job incentive: 25 % of net wages not counted (month {stim_month} of 24 after "
                                       f"six consecutive months on support): {free} kr"}})
                disregarded += free
    lines += disregard_lines  # after all incomes: the lines read income, then what of it is not counted

    # --- assets and set-off of over-payments ---------------------------------------------------
    deductions_total = 0
    for asset in inp.assets:
        amount = asset.amount
        what = f" ({asset.text})" if asset.text else ""
        if explain:
            add({"kind": "deduction", "component": "deduction.asset", "rule_id": r.R_ASSET, "member": None,
                 "amount": amount, "legal_reference": law["asset"], "norm_year": year, "source": "application",
                 "text": {"sv": f"Tillgång som kan användas{what}: {amount} kr",
                          "en": f"Asset that can be used{what}: {amount} kr"}})
        deductions_total += amount
    for deduction in inp.deductions:
        amount = deduction.amount
        why = f" ({deduction.reason})" if deduction.reason else ""
        if explain:
            add({"kind": "deduction", "component": "deduction.overpayment", "rule_id": r.R_OVERPAYMENT, "member": None,
                 "amount": amount, "legal_reference": law["overpayment"], "norm_year": year, "source": "caseworker",
                 "text": {"sv": f"Avräkning av tidigare felaktigt utbetalt bistånd{why}: {amount} kr",
                          "en": f"Set-off of support paid in error earlier{why}: {amount} kr"}})
        deductions_total += amount

    balance = norm_total + costs_total - (incomes_total - disregarded) - deductions_total
    return {
        "input_hash": input_hash(inp),
        "month": month,
        "norm_year": year,
        "norm_source": src,
        "totals": {"norm": norm_total, "costs": costs_total, "incomes": incomes_total, "disregarded": disregarded,
                   "deductions": deductions_total},
        "entitlement": balance if balance > 0 else 0,
        "surplus": -balance if balance < 0 else 0,
        "lines": lines if explain else [],
    }
