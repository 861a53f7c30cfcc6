from __future__ import annotations

import pytest

from services.applications.domain.completeness import missing_items
from services.applications.domain.content import ApplicationKind, Assets, CostType
from services.applications.domain.prefill import PrefillPeriodError, prefill_monthly
from tests.applications.test_domain_factories import couple, single


def test_prefill_carries_household_housing_plan_and_recurring_costs():
    previous = couple()
    draft = prefill_monthly(previous, "2026-04")
    assert draft.kind is ApplicationKind.MONTHLY
    assert draft.period == "2026-04"
    assert draft.household == previous.household
    assert draft.housing == previous.housing
    assert draft.plan == previous.plan
    recurring = {CostType.HOUSEHOLD_ELECTRICITY, CostType.HOME_INSURANCE, CostType.CHILDCARE}
    assert {c.type for c in draft.costs} == recurring


def test_prefill_drops_one_off_costs_but_keeps_those_marked_recurring():
    previous = couple(costs=[
        {"type": "dental", "amount": 900},
        {"type": "medical", "amount": 300, "recurring": True},
        {"type": "other", "amount": 50, "text": "Glasögon"},
        {"type": "work_travel", "amount": 970, "recurring": False},
    ])
    assert [(c.type, c.amount) for c in prefill_monthly(previous, "2026-04").costs] == [(CostType.MEDICAL, 300)]


def test_incomes_are_carried_but_must_be_confirmed():
    previous = couple()
    draft = prefill_monthly(previous, "2026-04")
    assert [(i.type, i.amount) for i in draft.incomes.items] == [(i.type, i.amount) for i in previous.incomes.items]
    assert all(i.needs_confirmation for i in draft.incomes.items)
    assert not any(i.needs_confirmation for i in previous.incomes.items)  # the old content is untouched
    codes = [i.code for i in missing_items(draft)]
    assert codes.count("incomes.confirm") == 3


def test_assets_message_and_no_income_answer_are_asked_again():
    draft = prefill_monthly(single(message="hej"), "2026-04")
    assert draft.assets is None and draft.message is None and draft.incomes is None
    codes = [i.code for i in missing_items(draft)]
    assert "incomes.declared" in codes and "assets.declared" in codes


def test_confirmed_prefill_is_complete_apart_from_signatures():
    draft = prefill_monthly(couple(), "2026-04")
    draft.incomes.items[:] = [i.model_copy(update={"needs_confirmation": False}) for i in draft.incomes.items]
    draft = draft.model_copy(update={"assets": Assets(none_declared=True)})
    assert [i.code for i in missing_items(draft)] == ["signature.applicant", "signature.partner"]


@pytest.mark.parametrize("period", ["2026-03", "2026-02", "2025-12"])
def test_prefill_must_be_for_a_later_month(period):
    with pytest.raises(PrefillPeriodError) as err:
        prefill_monthly(couple(), period)
    assert err.value.code == "prefill-period-not-later"


def test_prefill_validates_the_period_format():
    with pytest.raises(ValueError):
        prefill_monthly(couple(), "2026-4")
