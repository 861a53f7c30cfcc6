from __future__ import annotations

import pytest

from services.applications.domain.completeness import (
    ApplicationContent,
    IncompleteApplication,
    MissingItem,
    ensure_complete,
    missing_items,
)
from services.applications.domain.content import DraftContent
from services.applications.domain.signing import sign
from tests.applications.test_domain_factories import ANNA, BERTIL, CECILIA, PERIOD, WHEN, couple, couple_dict, single


def codes(items: list[MissingItem]) -> list[str]:
    return [i.code for i in items]


def signed(content: DraftContent) -> list:
    return [sign(content, pnr, WHEN) for pnr in (ANNA, BERTIL) if content.household.partner or pnr == ANNA]


def test_empty_draft_lists_everything_in_filling_order():
    assert codes(missing_items(DraftContent(kind="first", period=PERIOD))) == [
        "household.applicant",
        "housing.type",
        "housing.rent",
        "housing.household_size",
        "incomes.declared",
        "assets.declared",
        "plan.applicant",
    ]


def test_complete_and_signed_couple_has_nothing_missing():
    content = couple()
    assert missing_items(content, signed(content)) == []


def test_unsigned_couple_misses_both_signatures_and_only_them():
    assert codes(missing_items(couple())) == ["signature.applicant", "signature.partner"]


def test_partner_signature_missing():
    content = couple()
    items = missing_items(content, [sign(content, ANNA, WHEN)])
    assert codes(items) == ["signature.partner"]
    assert items[0].member == "partner"


def test_signature_on_older_content_does_not_count():
    before = couple()
    signatures = signed(before)
    after = couple(message="Ändrat efter signering")
    assert codes(missing_items(after, signatures)) == ["signature.applicant", "signature.partner"]


def test_explicit_no_incomes_counts_as_declared():
    assert "incomes.declared" not in codes(missing_items(single()))
    assert "incomes.declared" in codes(missing_items(single(incomes={"none_declared": False})))
    assert "incomes.declared" in codes(missing_items(single(incomes=None)))


def test_no_assets_flag_counts_as_declared():
    assert "assets.declared" in codes(missing_items(single(assets={})))
    assert "assets.declared" not in codes(missing_items(single(assets={"vehicles": [
        {"member": "applicant", "estimated_value": 15000}]})))


def test_lunch_question_only_for_children_up_to_six():
    data = couple_dict()
    data["household"]["children"] = [
        {"ref": "baby", "birth_date": "2025-12-01"},
        {"ref": "six", "birth_date": "2019-06-01"},  # 6 in March 2026
        {"ref": "seven", "birth_date": "2019-01-01"},  # 7 in March 2026: one amount, no question
    ]
    items = [i for i in missing_items(DraftContent.model_validate(data)) if i.code == "household.child.lunch_at_home"]
    assert [i.member for i in items] == ["baby", "six"]


@pytest.mark.parametrize("birth_date", ["2026-04-01", "2004-01-01"])  # not born yet / 22 years old
def test_child_age_outside_the_household_band(birth_date):
    data = couple_dict()
    data["household"]["children"] = [{"ref": "c", "birth_date": birth_date, "lunch_at_home": True}]
    assert "household.child.age" in codes(missing_items(DraftContent.model_validate(data)))


def test_plan_needed_for_each_adult_applicant():
    content = couple(plan={"activities": [{"member": "applicant", "status": "registered_at_af"}]})
    assert "plan.partner" in codes(missing_items(content))
    assert "plan.applicant" not in codes(missing_items(content))


def test_homeless_needs_no_rent():
    content = single(housing={"type": "homeless", "household_size": 1})
    assert "housing.rent" not in codes(missing_items(content))
    content = single(housing={"type": "rental", "household_size": 1})
    assert "housing.rent" in codes(missing_items(content))


def test_household_size_lower_than_listed_people():
    content = couple(housing={"type": "rental", "rent": 8200, "household_size": 2})
    assert "housing.household_size_mismatch" in codes(missing_items(content))


def test_unknown_member_references_are_reported_once_per_section():
    content = couple(incomes={"items": [
        {"type": "underhallsstod", "member": "child-9", "amount": 1673},
        {"type": "barnbidrag", "member": "child-9", "amount": 1250},
    ]}, costs=[{"type": "childcare", "amount": 10, "member": "ghost"}])
    unknown = [(i.code, i.member) for i in missing_items(content) if i.code.endswith("member_unknown")]
    assert unknown == [("incomes.member_unknown", "child-9"), ("costs.member_unknown", "ghost")]


def test_unconfirmed_incomes_are_reported():
    data = couple_dict()
    data["incomes"]["items"][0]["needs_confirmation"] = True
    items = [i for i in missing_items(DraftContent.model_validate(data)) if i.code == "incomes.confirm"]
    assert len(items) == 1 and "bostadsbidrag" in items[0].sv and items[0].member == "applicant"


def test_every_item_has_swedish_and_english_text():
    drafts = [DraftContent(kind="first", period=PERIOD), couple(), single(housing={"household_size": 1})]
    for draft in drafts:
        for item in missing_items(draft):
            assert item.sv and item.en and item.sv != item.en
            assert item.text("sv") == item.sv and item.text("en") == item.en
            assert ANNA not in item.sv + item.en and CECILIA not in item.sv + item.en


def test_ensure_complete_raises_with_the_items():
    with pytest.raises(IncompleteApplication) as err:
        ensure_complete(couple())
    assert err.value.status == 422
    assert err.value.code == "application-incomplete"
    assert [m["code"] for m in err.value.extra["missing"]] == ["signature.applicant", "signature.partner"]


def test_ensure_complete_returns_the_complete_model():
    content = couple()
    result = ensure_complete(content, signed(content))
    assert isinstance(result, ApplicationContent)
    assert result.model_dump() == content.model_dump()
