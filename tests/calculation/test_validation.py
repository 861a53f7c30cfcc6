"""Bad input is refused with the field named (422), never guessed at and never a 500."""

from __future__ import annotations

import pytest

from services.calculation.service.calculator import Rejected
from tests.calculation.conftest import child, req


def reject(calc, body):
    with pytest.raises(Rejected) as caught:
        calc.from_raw(body)
    return caught.value


def fields(calc, body):
    return {e["field"] for e in reject(calc, body).errors}


def test_month_outside_the_data(calc):
    err = reject(calc, req("2019-12"))
    assert err.slug == "month-not-covered" and err.errors[0]["field"] == "month"
    assert err.body()["type"] == "urn:bistand:problem:month-not-covered" and err.extra["covered_years"][0] == 2021
    assert reject(calc, req("2030-01")).slug == "month-not-covered"


@pytest.mark.parametrize(("body", "field"), [
    (req(costs=[{"type": "rent", "amount": -1}]), "costs.0.amount"),
    (req(incomes=[{"type": "lottery", "member": "applicant", "amount": 5}]), "incomes.0.type"),
    (req(costs=[{"type": "yacht", "amount": 5}]), "costs.0.type"),
    (req(applicant="2026-02-30"), "household.applicant.birth_date"),
    (req(month="2026-13"), "month"),
    (req(month="March"), "month"),
    (req(costs=[{"type": "rent", "amount": 100.5}]), "costs.0.amount"),
    (req(costs=[{"type": "rent", "amount": "100"}]), "costs.0.amount"),
    (req(support_history=["2026-1"]), "support_history.0"),
    (req(deductions=[{"type": "fine", "amount": 1}]), "deductions.0.type"),
    (req(assets=[{"amount": -5}]), "assets.0.amount"),
    (req(persons_in_home=0), "household.persons_in_home"),
    (req(children=[{"ref": "Kid 1", "birth_date": "2020-01-01"}]), "household.children.0.ref"),
    ({**req(), "surprise": 1}, "surprise"),
])
def test_shape_errors_name_the_field(calc, body, field):
    err = reject(calc, body)
    assert err.slug == "validation-error" and field in {e["field"] for e in err.errors}


@pytest.mark.parametrize(("body", "field"), [
    (req("2026-03", applicant="2026-04-01"), "household.applicant.birth_date"),
    (req("2026-03", partner="2027-01-01"), "household.partner.birth_date"),
    (req("2026-03", children=[child("k", "2026-04-02")]), "household.children.0.birth_date"),
    (req("2026-03", children=[child("k", "2000-01-01")]), "household.children.0.birth_date"),      # 26: an adult
    (req("2026-03", children=[child("k", "2006-01-01")]), "household.children.0.school_youth"),     # 20, no school
    (req(incomes=[{"type": "pension", "member": "partner", "amount": 5}]), "incomes.0.member"),     # no partner
    (req(incomes=[{"type": "pension", "member": "ghost", "amount": 5}]), "incomes.0.member"),
    (req(costs=[{"type": "childcare", "amount": 5, "member": "ghost"}]), "costs.0.member"),
    (req(costs=[{"type": "other", "amount": 5}]), "costs.0.reason"),
    (req(children=[child("a", "2015-01-01"), child("a", "2016-01-01")]), "household.children.1.ref"),
    (req(children=[child("applicant", "2015-01-01")]), "household.children.0.ref"),
    (req(children=[child("a", "2015-01-01")], persons_in_home=1), "household.persons_in_home"),
])
def test_household_errors_name_the_field(calc, body, field):
    assert field in fields(calc, body)


def test_a_child_born_in_the_month_is_counted(calc):
    result = calc.from_raw(req("2026-03", children=[child("newborn", "2026-03-31")]))
    assert any(ln["member"] == "newborn" and ln["amount"] == 2740 for ln in result["lines"])
