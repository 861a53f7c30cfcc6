from __future__ import annotations

import datetime as dt
import json

import pytest
from pydantic import ValidationError

from services.applications.domain.completeness import ApplicationContent
from services.applications.domain.content import (
    Applicant,
    Cost,
    CostType,
    DraftContent,
    Income,
    as_draft,
    next_period,
    period_last_day,
)
from tests.applications.test_domain_factories import ANNA, PERIOD, couple, couple_dict, pnr_for
from values.personal_number import (
    PersonalNumber,
    is_valid_personal_number,
    normalise_personal_number,
)


@pytest.mark.parametrize("raw", ["198903149808", "8903149808", "890314-9808", "19890314-9808", " 19890314 9808 "])
def test_personnummer_is_normalised_to_12_digits(raw):
    assert normalise_personal_number(raw) == ANNA
    assert Applicant(personal_number=raw).personal_number.value == ANNA


def test_the_12_digit_form_is_remembered_and_a_10_digit_form_follows_today():
    from values import personal_number as pn
    normalise_personal_number(ANNA)
    hits = pn._normalised_full.cache_info().hits
    assert normalise_personal_number(ANNA) == ANNA
    assert pn._normalised_full.cache_info().hits == hits + 1
    # "+": a hundred years or more. The century comes from today's date, so a 10-digit form is parsed every time.
    misses = pn._normalised_full.cache_info().misses
    assert normalise_personal_number("890314+9808") == "18" + ANNA[2:]
    assert pn._normalised_full.cache_info().misses == misses


@pytest.mark.parametrize("raw", [
    "198903149809",  # Luhn
    "198902309808",  # 30 February
    "19891314980",  # too short
    "abcdefghijkl",
    "",
    "1989031498080",
])
def test_invalid_personnummer_is_refused_without_echoing_it(raw):
    assert not is_valid_personal_number(raw)
    with pytest.raises(ValidationError) as err:
        Applicant(personal_number=raw)
    if raw.strip():
        assert raw not in str(err.value)
    assert "personnummer" in str(err.value)


def test_coordination_number_is_accepted():
    # samordningsnummer: day + 60
    assert PersonalNumber("198903749805").is_coordination_number


def test_personnummer_never_in_repr_or_str_of_models():
    content = couple()
    for text in (repr(content), str(content), repr(content.household), str(content.model_dump())):
        assert ANNA not in text
        assert ANNA[2:] not in text
        assert "PersonalNumber('****" in text or "personal_number" not in text
    assert ANNA not in repr(PersonalNumber(ANNA))
    assert ANNA not in f"{PersonalNumber(ANNA)}"


def test_personnummer_is_in_json_and_round_trips():
    content = couple()
    wire = content.model_dump_json()
    assert f'"{ANNA}"' in wire
    again = DraftContent.model_validate_json(wire)
    assert again == content
    assert DraftContent.model_validate(content.model_dump()) == content


def test_validation_errors_do_not_carry_inputs():
    data = couple_dict()
    data["household"]["applicant"]["personal_number"] = "198903149809"
    with pytest.raises(ValidationError) as err:
        DraftContent.model_validate(data)
    assert all("input" not in e or e["input"] is None for e in err.value.errors(include_input=False))
    assert "198903149809" not in str(err.value)


@pytest.mark.parametrize("amount", [100.5, 100.0, "100", -1, True, 2_000_000_000])
def test_money_is_strict_non_negative_integer_kronor(amount):
    with pytest.raises(ValidationError):
        Income(type="wages_net", member="applicant", amount=amount)


def test_money_from_json_must_be_an_integer():
    assert Income.model_validate_json('{"type":"pension","member":"applicant","amount":12000}').amount == 12000
    with pytest.raises(ValidationError):
        Income.model_validate_json('{"type":"pension","member":"applicant","amount":12000.5}')
    with pytest.raises(ValidationError):
        Income.model_validate_json('{"type":"pension","member":"applicant","amount":"12000"}')


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "26-01", "2026/01", "2026-00", ""])
def test_bad_periods(period):
    with pytest.raises(ValidationError):
        DraftContent(kind="first", period=period)


def test_period_helpers():
    assert next_period("2026-12") == "2027-01"
    assert str(period_last_day("2028-02")) == "2028-02-29"


def test_draft_needs_only_kind_and_period():
    draft = DraftContent(kind="monthly", period=PERIOD)
    assert draft.household is None and draft.incomes is None and draft.costs == []
    with pytest.raises(ValidationError):
        DraftContent.model_validate({"period": PERIOD})


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError):
        DraftContent.model_validate({**couple_dict(), "salary": 1})


@pytest.mark.parametrize(("path", "value"), [
    (("incomes",), {"items": [{"type": "other", "member": "applicant", "amount": 5}]}),  # other needs text
    (("costs",), [{"type": "other", "amount": 5}]),
    (("incomes",), {"none_declared": True, "items": [{"type": "pension", "member": "applicant", "amount": 5}]}),
    (("assets",), {"none_declared": True, "vehicles": [{"member": "applicant", "estimated_value": 1}]}),
    (("plan",), {"activities": [{"member": "applicant", "status": "sick_listed"}]}),  # certificate?
    (("plan",), {"activities": [{"member": "applicant", "status": "other"}]}),  # other needs text
    (("household", "children"), [{"ref": "a", "birth_date": "2020-01-01"}, {"ref": "a", "birth_date": "2021-01-01"}]),
    (("household", "children"), [{"ref": "partner", "birth_date": "2020-01-01"}]),
    (("household", "children"), [{"ref": "Child 1", "birth_date": "2020-01-01"}]),
    (("household", "partner"), {"personal_number": ANNA}),  # the same person twice
    (("household", "children"), [  # birth date does not match the personnummer
        {"ref": "c", "birth_date": "2020-01-02", "personal_number": pnr_for(dt.date(2020, 1, 1))}]),
    (("housing",), {"type": "rental", "rent": 100, "household_size": 0}),
    (("housing",), {"type": "castle"}),
    (("incomes",), {"items": [{"type": "lottery", "member": "applicant", "amount": 5}]}),
])
def test_section_rules(path, value):
    data = couple_dict()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValidationError):
        DraftContent.model_validate(data)


def test_child_with_matching_personnummer():
    child = {"ref": "c", "birth_date": "2020-01-01", "personal_number": pnr_for(dt.date(2020, 1, 1))}
    data = couple_dict()
    data["household"]["children"] = [child]
    assert DraftContent.model_validate(data).household.children[0].personal_number is not None


def test_all_income_types_exist():
    expected = {
        "wages_net", "sjukpenning", "aktivitetsstod", "bostadsbidrag", "barnbidrag", "flerbarnstillagg",
        "underhallsstod", "pension", "a_kassa", "csn_studiemedel", "foraldrapenning", "sjukersattning",
        "etableringsersattning", "other",
    }
    from services.applications.domain.content import IncomeType

    assert {t.value for t in IncomeType} == expected


def test_cost_recurring_default_and_override():
    assert Cost(type=CostType.HOUSEHOLD_ELECTRICITY, amount=1).is_recurring
    assert not Cost(type=CostType.DENTAL, amount=1).is_recurring
    assert Cost(type=CostType.MEDICAL, amount=1, recurring=True).is_recurring
    assert not Cost(type=CostType.WORK_TRAVEL, amount=1, recurring=False).is_recurring


def test_application_content_only_when_complete():
    complete = ApplicationContent.model_validate(couple_dict())
    assert complete.housing.rent == 8200
    with pytest.raises(ValidationError) as err:
        ApplicationContent.model_validate(couple_dict(incomes={"items": []}))
    assert "incomes.declared" in str(err.value)
    with pytest.raises(ValidationError):
        ApplicationContent.model_validate({"kind": "first", "period": PERIOD})
    assert as_draft(complete) == couple()
    assert type(as_draft(complete)) is DraftContent


def test_models_give_a_json_schema_for_the_api():
    for model in (DraftContent, ApplicationContent):
        schema = model.model_json_schema()
        text = json.dumps(schema)
        assert "Personnummer" in text
    applicant = Applicant.model_json_schema()
    assert applicant["properties"]["personal_number"]["type"] == "string"


def test_the_window_of_months_to_apply_for():
    import datetime as dt

    from services.applications.domain.months import PeriodOutOfRange, check_period, latest_period

    today = dt.date(2026, 11, 30)
    assert latest_period(today) == "2027-01"
    assert check_period("2027-01", today) == "2027-01"
    assert check_period("2020-01", today) == "2020-01"
    for period in ("0000-01", "2019-12", "2027-02", "9384-07"):
        with pytest.raises(PeriodOutOfRange) as raised:
            check_period(period, today, "body.month")
        assert raised.value.status == 422 and raised.value.extra["errors"][0]["field"] == "body.month"
