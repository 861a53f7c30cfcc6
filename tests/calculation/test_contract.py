"""The applications service's reading of our answer (services/applications/integration/calculation.py) must add up for
every kind of result: it turns the lines into decision components and refuses results that do not give
the entitlement. Run against real results here, so a change on either side shows up at once."""

from __future__ import annotations

from hypothesis import given

from services.applications.domain.decision import ComponentKind, entitlement
from services.applications.integration.calculation import components_from_result, snapshot
from tests.calculation.conftest import child, months_before, req
from tests.calculation.test_properties import SETTINGS, households


def test_a_plain_result_becomes_one_component_per_line(calc):
    result = calc.from_raw(req("2026-03", partner="1990-01-01", children=[child("barn1", "2020-01-01")],
                               costs=[{"type": "rent", "amount": 12000}, {"type": "childcare", "amount": 500}],
                               incomes=[{"type": "barnbidrag", "member": "applicant", "amount": 1250}]))
    components = components_from_result(result)
    assert entitlement(components, "computed") == result["entitlement"]
    kinds = [(c.kind, c.code) for c in components]
    assert (ComponentKind.COST, "rent") in kinds and (ComponentKind.INCOME, "barnbidrag") in kinds
    assert snapshot(result).input_hash == result["input_hash"].removeprefix("sha256:")


def test_disregards_and_deductions_fold_into_incomes(calc):
    result = calc.from_raw(req("2026-03", incomes=[{"type": "wages_net", "member": "applicant", "amount": 4000}],
                               support_history=months_before("2026-03", 6), assets=[{"amount": 300}]))
    assert result["totals"]["disregarded"] == 1000
    assert entitlement(components_from_result(result), "computed") == result["entitlement"] == 5220 - 3000 - 300


@SETTINGS
@given(households())
def test_every_generated_result_is_accepted(calc, raw):
    result = calc.from_raw(raw)
    assert entitlement(components_from_result(result), "computed") == result["entitlement"]
