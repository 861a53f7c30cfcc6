"""The wire between applications and us (contracts/calculation.py), from both ends.

Applications builds its request with the contract's model (services/applications/integration/calculation.py) and
reads our answer with it, turning the lines into decision components by their ``kind`` and refusing results that
do not give the entitlement. Run against real results here, so a change on either side shows up at once. The fast
parser behind the contract's model must accept and give exactly what the model does."""

from __future__ import annotations

from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts import calculation as contract
from kit.problems import Problem
from services.applications.domain.content import DraftContent
from services.applications.domain.decision import ComponentKind, entitlement
from services.applications.integration.calculation import (
    KIND_COMPONENTS,
    calculation_request,
    components_from_result,
    snapshot,
)
from services.calculation.domain import inputs
from services.calculation.service import batch, fastparse
from services.calculation.service.requests import to_domain
from tests.applications.conftest import couple
from tests.calculation.conftest import child, months_before, req
from tests.calculation.test_fuzz_inputs import FUZZ, mutated
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


def test_an_other_cost_is_a_cost_by_its_kind(calc):
    """"other" is a cost type and an income type: the line's kind tells them apart (no guessing from names)."""
    result = calc.from_raw(req("2026-03", costs=[{"type": "other", "amount": 700, "reason": "glasögon"}],
                               incomes=[{"type": "other", "member": "applicant", "amount": 200}]))
    components = components_from_result(result)
    assert {(c.kind, c.code, c.computed) for c in components} >= {(ComponentKind.COST, "other", 700),
                                                                    (ComponentKind.INCOME, "other", 200)}
    assert entitlement(components, "computed") == result["entitlement"] == 5220 + 700 - 200


@SETTINGS
@given(households())
def test_every_generated_result_is_accepted(calc, raw):
    result = calc.from_raw(raw)
    assert entitlement(components_from_result(result), "computed") == result["entitlement"]


# --- the result's schema describes what the engine sends ---------------------------------------------------------

def test_every_kind_of_the_contract_maps_to_a_decision_component():
    assert set(KIND_COMPONENTS) == set(get_args(contract.LineKind)) == set(contract.LINE_KINDS)


def test_every_kind_the_engine_emits_is_in_the_contract_and_maps(calc):
    result = calc.from_raw(req("2026-03", children=[child("k", "2010-01-01")],
                               costs=[{"type": "rent", "amount": 9000}],
                               incomes=[{"type": "wages_net", "member": "applicant", "amount": 4000},
                                        {"type": "wages_net", "member": "k", "amount": 500}],
                               support_history=months_before("2026-03", 6), assets=[{"amount": 100}],
                               deductions=[{"type": "overpayment", "amount": 50}]))
    emitted = {line.kind for line in contract.parse_result(result).lines}
    assert emitted == set(contract.LINE_KINDS) == set(KIND_COMPONENTS)


@SETTINGS
@given(households(), st.booleans())
def test_every_generated_result_fits_the_contract_exactly(calc, raw, explain):
    """Every field the engine sends is in the schema (nothing dropped as unknown), every kind maps."""
    result = calc.from_raw(raw, explain=explain)
    parsed = contract.parse_result(result)
    assert parsed.model_dump(mode="json", exclude_unset=True) == result
    assert all(line.kind in KIND_COMPONENTS for line in parsed.lines)


def test_a_batch_answer_fits_the_contract(calc):
    results, failed = batch.run(calc, [req("2026-03"), req("2019-01"), {"month": "x"}], True)
    answer = contract.BatchResult.model_validate({"count": 3, "failed": failed, "items": results})
    assert failed == 2 and [i.status for i in answer.items] == [200, 422, 422]
    assert answer.items[1].problem.covered_years and answer.items[2].problem.errors[0].field.startswith("items.2.")


def test_a_result_outside_the_contract_is_refused(calc):
    result = calc.from_raw(req("2026-03"))
    for broken in ({**result, "lines": [{**result["lines"][0], "kind": "bonus"}]},
                   {k: v for k, v in result.items() if k != "totals"}):
        with pytest.raises(Problem) as caught:
            components_from_result(broken)
        assert caught.value.slug == "calculation-failed"


# --- the request --------------------------------------------------------------------------------------------------

def test_the_engine_knows_the_contracts_types():
    assert inputs.COST_TYPES == contract.COST_TYPES
    assert inputs.INCOME_TYPES == contract.INCOME_TYPES
    assert inputs.DEDUCTION_TYPES == contract.DEDUCTION_TYPES


@pytest.mark.parametrize("content", [
    couple("2026-03"),
    couple("2026-05", household={
        "applicant": {"personal_number": couple()["household"]["applicant"]["personal_number"], "name": "Anna"},
        "children": [{"ref": "child-1", "birth_date": "2005-05-15", "lunch_at_home": True},
                     {"ref": "child-2", "birth_date": "2009-01-01"}]},
        housing={"type": "rental", "rent": 9100, "household_size": 4},
        incomes={"items": [{"type": "wages_net", "member": "child-2", "amount": 900}]},
        plan={"activities": [{"member": "applicant", "status": "registered_at_af"}]}),
])
def test_the_request_applications_builds_validates_against_the_contract(calc, content):
    body = calculation_request(DraftContent.model_validate(content), support_history=months_before("2026-03", 2),
                               municipality=" Malmö ")
    request = contract.CalculationRequest.model_validate(body)  # what the calculation service checks
    assert body == request.model_dump(mode="json", exclude_unset=True) and body["municipality"] == "Malmö"
    assert fastparse.parse(body) == to_domain(request)  # and the fast path agrees
    assert components_from_result(calc.from_raw(body))


def test_a_request_outside_the_contract_is_refused_before_the_call():
    content = DraftContent.model_validate(couple("2026-03"))
    with pytest.raises(Problem) as caught:
        calculation_request(content, support_history=["2026-13"], municipality=None)
    assert caught.value.status == 422 and caught.value.slug == "calculation-rejected"
    assert caught.value.extra["errors"][0]["field"] == "support_history.0"


def _model(raw):
    try:
        return to_domain(contract.CalculationRequest.model_validate(raw))
    except ValidationError:
        return None


@FUZZ
@given(st.one_of(households(), mutated(households())))
def test_the_fast_parser_and_the_contract_model_agree(raw):
    """On valid and broken requests alike: the same accept or reject, the same parsed values."""
    fast = fastparse.parse(raw)
    assert (fast is None) == (_model(raw) is None)
    assert fast == _model(raw)
